"""The command line as a user meets it: exit codes, one-line errors, --json, speed of start-up, docs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import data_file

ROOT = Path(__file__).resolve().parents[1]


def test_demo_then_overview_search_show(cli):
    result = cli("demo")
    assert result.code == 0 and "3,000 items" in result.out and "layerwise serve" in result.out
    data = json.loads(cli("overview", "--json").out)
    assert data["by_source"]["arxiv"] >= 3000  # the sample, and starting resources that are arXiv papers
    assert data["items"] == 3000 + data["by_source"]["map"]  # and the concept map's starting resources
    found = json.loads(cli("search", "retrieval augmented generation", "--json", "-n", "3").out)
    assert found["total"] > 3 and len(found["items"]) == 3
    ref = found["items"][0]["refs"][0]
    shown = json.loads(cli("show", ref, "--json").out)
    assert shown["title"] == found["items"][0]["title"]
    assert cli("demo").out.count("3000 already there") == 1  # running the demo twice duplicates nothing


def test_import_names_every_skip_and_tells_some_skipped_from_all_failed(cli, tmp_path):
    """Exit 3: the good records were kept and some skipped, each named; exit 2: nothing was kept (issue 16)."""
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"id": "a", "title": "A fine record title"}\n{broken\n' + "[1]\n" * 14)
    result = cli("import", str(path))
    assert result.code == 3
    assert f"skipped {path}:2: not valid JSON" in result.err and f"skipped {path}:16: not a JSON object" in result.err
    assert result.err.count("skipped ") == 15 and "1 added" in result.out and "15 skipped (kept 1 of 16 records)" in result.out
    assert json.loads(cli("list", "--json").out)["total"] == 1
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{broken\n[2]\n")
    failed = cli("import", str(broken))
    assert failed.code == 2 and failed.err.count("skipped ") == 2


@pytest.mark.parametrize("args, message", [
    (("show", "999"), "error: no item with id 999"),
    (("import", "/nonexistent/file.bib"), "error: /nonexistent/file.bib: no such file"),
    (("list", "--since", "last week"), "error: --since takes a date"),
    (("feed", "remove", "nothing"), "error: no feed 'nothing'"),
    (("add", "http://127.0.0.1:9/x"), "error: http://127.0.0.1:9/x: cannot connect"),
])
def test_errors_are_one_line_with_exit_code_2(cli, args, message):
    result = cli(*args)
    assert result.code == 2
    assert result.err.startswith(message) and result.err.count("\n") == 1
    assert "Traceback" not in result.err


def test_usage_errors_exit_2(cli):
    result = cli("status", "1", "finished")
    assert result.code == 2 and "Invalid value" in result.err


def test_status_tag_and_filters(cli, tmp_path):
    bib = data_file("files", "bibtex", "top100-deep-learning.bib")
    assert cli("import", str(bib), "--source", "top100").code == 0
    assert cli("status", "top100:he2016deep", "reading").code == 0
    assert "must-read" in cli("tag", "top100:he2016deep", "must-read").out
    listed = json.loads(cli("list", "--status", "reading", "--tag", "must-read", "--json").out)
    assert listed["total"] == 1 and "residual" in listed["items"][0]["title"].lower()


def test_export_to_file_is_atomic_and_round_trips(cli, tmp_path):
    cli("import", str(data_file("files", "bibtex", "top100-deep-learning.bib")))
    out = tmp_path / "lib.bib"
    result = cli("export", "--format", "bibtex", "-o", str(out))
    assert result.code == 0 and out.exists() and not (tmp_path / "lib.bib.part").exists()
    assert out.read_text().count("@") >= 95


def test_database_too_new_is_a_clear_error(cli, tmp_path):
    import sqlite3

    cli("overview")
    db = Path(os.environ["LAYERWISE_HOME"]) / "library.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0042_from_the_future'")
    result = cli("list")
    assert result.code == 2 and "newer layerwise" in result.err


def _run(*args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "layerwise", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def test_startup_does_not_import_heavy_modules():
    code = ("import sys, layerwise.cli.main as m; "
            "heavy = [n for n in ('sqlalchemy', 'alembic', 'httpx', 'feedparser', 'trafilatura', 'bibtexparser', "
            "'pypdf', 'rich', 'numpy', 'lxml', 'psycopg', 'rispy', 'markdown_it') if n in sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_help_runs_in_a_real_process():
    result = _run("--help")
    assert result.returncode == 0 and "learn what matters" in result.stdout.lower()


def test_the_program_skips_the_teardown_collections_and_keeps_its_exit_code(tmp_path):
    """`layerwise` (the script and `python -m`) freezes the objects it leaves, so the interpreter's last
    collections skip them, whether the command succeeded or failed; exit handlers still run after it."""
    from importlib.metadata import entry_points

    assert [e.value for e in entry_points(group="console_scripts") if e.name == "layerwise"] == ["layerwise.cli.main:run"]
    code = ("import atexit, gc, sys; from layerwise.cli.main import run; "
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0)); "
            "sys.argv = ['layerwise', *sys.argv[1:]]; run()")
    env = {**os.environ, "LAYERWISE_HOME": str(tmp_path / "home")}
    ok = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True, env=env)
    failed = subprocess.run([sys.executable, "-c", code, "show", "999"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and ok.stdout.splitlines()[-1] == "frozen True"
    assert failed.returncode == 2 and failed.stdout.splitlines()[-1] == "frozen True"
    assert failed.stderr.startswith("error: ") and "Traceback" not in failed.stderr


def test_numbers_past_what_the_database_holds_are_one_clear_line(cli):
    """Found by running every command with odd arguments: a limit, an offset or an id past SQLite's integers
    ended in `internal error: OverflowError`."""
    assert cli("demo").code == 0
    huge = str(2**70)
    for args in (["list", "--limit", huge], ["list", "--offset", huge], ["search", "rag", "--offset", str(2**63 - 1)],
                 ["map", "show", "dag", "--items", huge], ["focus", "remove", huge], ["user", "revoke", huge],
                 ["week", "accept", huge], ["review-week", "--carry", huge]):
        result = cli(*args)
        assert result.code == 2 and "is not in the range" in result.err and "internal error" not in result.err, args
    assert cli("list", "--limit", str(2**31 - 1), "--offset", str(2**31 - 1)).code == 0  # the largest: nothing


@pytest.mark.slow
def test_the_progress_bar_shows_a_path_as_written(tmp_path):
    """In a terminal the import draws a bar labelled with the file's path; a folder named like Rich markup
    (`a[/b]`) used to end it in `internal error: MarkupError`."""
    from terminal import run_in_terminal

    folder = tmp_path / "a[" / "b] [bold]"
    folder.mkdir(parents=True)
    path = folder / "refs.bib"
    path.write_bytes(data_file("files", "bibtex", "top100-deep-learning.bib").read_bytes())
    code, shown = run_in_terminal(tmp_path / "home", ["import", str(path)], [], timeout=120)
    assert code == 0, shown
    assert "importing " in shown and "b] [bold]" in shown and "added" in shown


def test_captured_text_that_looks_like_markup_prints_as_written(cli, tmp_path):
    """Titles and abstracts come from outside: `[bold]`, a closing tag Rich would raise on, an emoji code."""
    odd = "Tensors [/b] and [bold]grads[/bold] :fire:"
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps({"id": "odd-1", "title": odd, "abstract": f"About {odd}."}) + "\n")
    assert cli("import", str(path)).code == 0
    listed, shown, overview = cli("list"), cli("show", "1"), cli("overview")
    assert listed.code == shown.code == overview.code == 0
    assert odd in " ".join(listed.out.split()) and odd in shown.out and f"About {odd}." in shown.out
    assert odd in overview.out  # the latest captured


@pytest.mark.slow
def test_ctrl_c_during_import_leaves_library_unchanged(tmp_path):
    """A real SIGINT to a real process in the middle of a large import."""
    import signal
    import time

    corpus = data_file("corpora", "arxiv-2025-26.jsonl.gz")
    env = {**os.environ, "LAYERWISE_HOME": str(tmp_path / "home")}
    assert _run("overview", env=env).returncode == 0
    # a suite started in the background inherits an ignored SIGINT; the child must see Ctrl-C as a user would
    proc = subprocess.Popen([sys.executable, "-m", "layerwise", "import", str(corpus)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # interrupt once the import is writing (its transaction grows the WAL), however loaded the machine is
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if sum(f.stat().st_size for f in (tmp_path / "home").rglob("*-wal")) > 4_000_000:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "library is unchanged" in err and "Traceback" not in err
    assert json.loads(_run("list", "--json", env=env).stdout)["total"] == 0


def _commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        yield " ".join((*prefix, name)), command


def test_every_command_has_help_and_is_in_the_readme():
    from layerwise.cli.main import cli as root

    readme = (ROOT / "README.md").read_text()
    for name, command in _commands(root):
        assert (command.help or "").strip(), f"{name} has no help text"
        assert f"layerwise {name}" in readme, f"`layerwise {name}` is not in the README tour"


def _limited(size_bytes):
    def setup():
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (size_bytes, size_bytes))
    return setup


def test_disk_full_during_import_and_export_is_one_line_and_loses_nothing(tmp_path):
    env = {**os.environ, "LAYERWISE_HOME": str(tmp_path / "home")}
    bib = data_file("files", "bibtex", "top100-deep-learning.bib")
    assert _run("import", str(bib), env=env).returncode == 0
    before = json.loads(_run("list", "--json", env=env).stdout)["total"]
    big = data_file("relevance", "csfcube-dev", "corpus.jsonl.gz")
    db = tmp_path / "home" / "library.sqlite3"
    limit = db.stat().st_size + 200_000  # room to start, not to finish
    proc = subprocess.run([sys.executable, "-m", "layerwise", "import", str(big)], env=env, capture_output=True,
                          text=True, preexec_fn=_limited(limit), timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert json.loads(_run("list", "--json", env=env).stdout)["total"] == before
    out = tmp_path / "export.jsonl"
    proc = subprocess.run([sys.executable, "-m", "layerwise", "export", "--format", "jsonl", "-o", str(out)], env=env,
                          capture_output=True, text=True, preexec_fn=_limited(4096), timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert not out.exists() and not (tmp_path / "export.jsonl.part").exists()
