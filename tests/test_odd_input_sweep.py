"""Every command of the CLI and every page of the web app, given odd values (numbers past what the database
holds, empty strings, markup, NUL-free junk, half-made references): a clear error or an answer, never an
internal error (the CLI's exit 1) or a 500. These sweeps found overflowing ids and limits, and a NUL in a
note's path; each case also has its own test beside the code it exercises."""

import contextlib
import io

import click
import pytest
from fastapi.testclient import TestClient

from layerwise.cli.main import cli as root
from layerwise.cli.main import main
from layerwise.library import Library
from layerwise.sample import load_demo
from layerwise.times import iso_week
from layerwise.web.app import create_app

# no value climbs out of the folder a test runs in: commands that write (`-o FILE`) write there
ODD = ["", "0", "-1", str(2**70), str(2**63), str(2**31), "x" * 3000, "[/x]", "[bold]", ":fire:", "2026-W99",
       "2026-W00", "nan", "1e309", "arxiv:", "doi:", "doi:10.", "http://", "https://[x", "pick:0", "pick:99", "map:",
       ":", "café ☕", "%s%n", "1,2", "a:b:c"]
INTERACTIVE = {"serve", "study", "review", "timer"}  # need a terminal or run until stopped: tested on their own


def _run(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, err.getvalue()


def _commands(group: click.Group, prefix: list[str]):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, [*prefix, name])
        elif not {*prefix, name} & INTERACTIVE:
            yield [*prefix, name], command


def _argument_sets(command: click.Command):
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    options = [p for p in command.params if isinstance(p, click.Option) and not p.is_flag and p.name != "help"]
    for value in ODD:
        positional = [value] * len(arguments)
        yield positional
        for option in options:
            yield [*positional, option.opts[0], value]


@pytest.mark.slow
def test_every_command_with_odd_values_never_ends_in_an_internal_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("demo").code == 0
    failed = []
    for path, command in _commands(root, []):
        for args in _argument_sets(command):
            code, err = _run([*path, *args])
            if code == 1 or "Traceback" in err:
                failed.append((" ".join([*path, *(a[:20] for a in args)]), err.strip()[-160:]))
    assert failed == []


@pytest.mark.slow
def test_every_page_with_odd_values_in_its_address_or_form_is_never_a_500(tmp_path):
    library = Library(tmp_path / "home")
    load_demo(library)
    app = create_app(library)
    client = TestClient(app, base_url="http://127.0.0.1:8765", raise_server_exceptions=False)
    odd = ["0", "-1", str(2**70), str(2**63), "x", "%5B%2Fx%5D", "2026-W99", "..%2F..%2Fetc", "nan", "1e309", "%00",
           "a" * 3000, "caf%C3%A9"]
    gets = ["/map", "/map/{}", "/review", "/digest", "/digest/download", "/stats", "/login", "/study", "/study/{}",
            "/study/{}/clock", "/notes", "/notes/edit", "/inbox", "/items/{}", "/week", "/week.ics", "/week/review", "/team"]
    queries = ["limit", "offset", "q", "week", "by", "path", "format", "slug", "kind", "days", "track", "depth", "back"]
    posts = ["/map/{}/mark", "/review/{}", "/digest/publish", "/study/start", "/study/{}/{}", "/notes/edit",
             "/items/{}/{}", "/week/{}/{}", "/week/review/{}/pick/{}", f"/week/review/{iso_week()}/pick/{{}}",
             "/week/review/{}/reflection", "/week/review/{}/done"]
    fields = ["layer", "rating", "ref", "minutes", "outcome", "summary", "when", "path", "text", "choice", "day",
              "learned", "change", "draft", "version", "back"]
    failed = []
    for template in gets:
        for value in odd:
            url = template.format(value, value)
            for query in ["", *(f"?{q}={value}" for q in queries)]:
                if client.get(url + query).status_code >= 500:
                    failed.append(url + query)
    for template in posts:
        for value in odd:
            url = template.format(value, value)
            plain = value.replace("%", "")
            for data in [*({field: plain} for field in fields), dict.fromkeys(fields, plain)]:
                if client.post(url, data={"csrf": app.state.csrf, **data}).status_code >= 500:
                    failed.append(f"POST {url} {sorted(data)}")
    library.close()
    assert failed == []
