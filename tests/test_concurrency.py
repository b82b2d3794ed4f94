"""Writers at once: several `layerwise import` processes into one library, on SQLite and PostgreSQL. Each waits
for the library's write lock instead of failing; nothing is lost and nothing is duplicated."""

import gzip
import json
import os
import subprocess
import sys

from layerwise.sample import SAMPLE_PATH


def test_three_imports_at_once_all_land_without_duplicates(library, tmp_path):
    lines = gzip.open(SAMPLE_PATH, "rt").read().splitlines()
    parts = [lines[0:1200], lines[900:2100], lines[1800:3000]]  # overlapping: the same works meet
    files = []
    for n, part in enumerate(parts):
        path = tmp_path / f"part{n}.jsonl"
        path.write_text("\n".join(part) + "\n")
        files.append(path)
    library.open()  # the schema exists before the writers race
    env = {**os.environ, "LAYERWISE_HOME": str(tmp_path / "home"), "LAYERWISE_DATABASE_URL": library.database_url}
    runs = [subprocess.Popen([sys.executable, "-m", "layerwise", "import", str(f)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for f in files]
    results = [(r.wait(timeout=300), r.stdout.read(), r.stderr.read()) for r in runs]
    assert all(code == 0 for code, _, _ in results), results
    expected = {json.loads(line)["id"] for line in lines}
    items, total = library.find(limit=None)
    assert total == len(expected) == 3000
    assert {i.arxiv_id for i in items} == expected
    added = sum(int(out.split(":")[-1].split(" added")[0]) for _, out, _ in results)
    assert added == 3000  # each record counted once as new, whichever import got to it first


def test_a_user_writes_while_an_import_runs(library, tmp_path):
    """A rating, a status and a focus made while another process imports wait for it instead of failing."""
    import time

    from layerwise.rank import profile

    library.import_file(str(SAMPLE_PATH), source="arxiv")
    first = library.find(limit=1)[0][0]
    lines = gzip.open(SAMPLE_PATH, "rt").read().splitlines()
    big = tmp_path / "renamed.jsonl"  # 3,000 new works: the same records under other ids and titles
    big.write_text("".join(json.dumps({**json.loads(line), "id": f"x{n}", "title": f"Renamed {n}: "
                                       + json.loads(line)["title"]}) + "\n" for n, line in enumerate(lines)))
    env = {**os.environ, "LAYERWISE_HOME": str(tmp_path / "home"), "LAYERWISE_DATABASE_URL": library.database_url}
    run = subprocess.Popen([sys.executable, "-m", "layerwise", "import", str(big)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # the import is under way
    profile.rate(library, str(first.id), 1)
    library.set_status([str(first.id)], "reading")
    profile.add_focus(library, "need", "evaluation of retrieval-augmented generation")
    assert run.wait(timeout=300) == 0, run.stderr.read()
    assert library.get(str(first.id)).status == "reading"
    assert [f.text for f in profile.focuses(library)] == ["evaluation of retrieval-augmented generation"]
    assert library.find(limit=1)[1] == 6000
