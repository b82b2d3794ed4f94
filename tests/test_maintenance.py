"""A damaged library gives a way out (issue 17): a clear line naming `layerwise check`, a check that finds the
damage, a repair that keeps every readable row and the old file, and backups (by hand and before upgrades).
The damage is real: pages of the SQLite file overwritten with garbage, found through SQLite's dbstat table."""

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import data_file, downgrade_library
from layerwise.library import Library
from layerwise.sample import SAMPLE_PATH
from layerwise.store import SCHEMA_REVISIONS


def _library(home: Path) -> Path:
    library = Library(home)
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    library.close()
    return home / "library.sqlite3"


def _overwrite_page(database: Path, table: str, which: float = 0.5) -> None:
    """Fill one page of a table's b-tree with garbage, as a bad disk sector would."""
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                                            "ORDER BY pageno", (table,))]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    page = pages[int(len(pages) * which)]
    with open(database, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(random.Random(page).randbytes(size))


def test_a_lost_items_page_is_named_checked_and_repaired(tmp_path, cli, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("LAYERWISE_HOME", str(home))
    database = _library(home)
    _overwrite_page(database, "items")
    exported = cli("export", "--format", "jsonl")  # the way out: every readable row, the library left as it is
    assert exported.code == 0 and "damaged" in exported.err
    rows = [json.loads(line) for line in exported.out.splitlines()]
    assert 2900 < len(rows) < 3000 and len({r["title"] for r in rows}) == len(rows)
    for command in (["overview"], ["list", "-n", "3000"]):
        result = cli(*command)
        assert result.code == 2, (command, result)
        assert "damaged" in result.err and "layerwise check" in result.err and "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1
    checked = cli("check")
    assert checked.code == 2 and "BAD  pages and indexes" in checked.out
    repaired = cli("repair")
    assert repaired.code == 0, repaired
    assert "saved" in repaired.out and "lost: items rows with ids" in repaired.err
    kept = [p for p in database.parent.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1  # the damaged file is set aside, never deleted
    assert cli("check").code == 0
    found = json.loads(cli("list", "--json", "-n", "0").out)["total"]
    assert 2900 < found < 3000 + 100  # one page of items lost, everything else kept (and the map's resources)
    assert json.loads(cli("search", "attention", "--json").out)["total"] > 0  # the search index was rebuilt
    assert cli("week").code == 0


def test_a_damaged_search_index_is_found_and_rebuilt(tmp_path, cli, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("LAYERWISE_HOME", str(home))
    database = _library(home)
    before = json.loads(cli("search", "attention", "--json").out)["total"]
    _overwrite_page(database, "items_fts_data", 0.3)
    checked = cli("check")
    assert checked.code == 2 and "BAD" in checked.out
    assert cli("repair").code == 0
    assert cli("check").code == 0
    assert json.loads(cli("search", "attention", "--json").out)["total"] == before


def test_backups_by_hand_and_before_an_upgrade(tmp_path, cli, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("LAYERWISE_HOME", str(home))
    database = _library(home)
    made = cli("backup")
    assert made.code == 0
    copy = Path(made.out.strip().removeprefix("backed up to "))
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] >= 3000
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    previous, head = SCHEMA_REVISIONS[-2:]
    downgrade_library(f"sqlite:///{database}", previous)  # the library as the previous release left it
    assert cli("overview").code == 0  # upgraded on open ...
    kept = sorted((home / "backups").glob(f"*before-{head}.sqlite3"))
    assert len(kept) == 1  # ... after a copy as it was
    with sqlite3.connect(kept[0]) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == previous
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head


def test_a_healthy_library_passes_check_on_both_engines(db_url, cli, monkeypatch):
    """PostgreSQL checks its own pages and is backed up with its own tools; layerwise says so."""
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", db_url)
    assert cli("demo").code == 0
    checked = cli("check", "--json")
    assert checked.code == 0 and all(f["ok"] for f in json.loads(checked.out))
    result = cli("backup")
    if db_url.startswith("postgresql"):
        assert result.code == 2 and "pg_dump" in result.err
    else:
        assert result.code == 0 and "backed up to" in result.out


@pytest.mark.slow
def test_kill_9_during_an_import_leaves_the_library_as_it_was_and_the_import_can_run_again(tmp_path, cli, monkeypatch):
    """The import is one transaction: a process killed outright mid-write loses nothing that was there and
    half-writes nothing; running the same import again finishes (issue 16)."""
    home = tmp_path / "home"
    monkeypatch.setenv("LAYERWISE_HOME", str(home))
    records = tmp_path / "arxiv-head.jsonl"
    with gzip.open(data_file("corpora", "arxiv-2025-26.jsonl.gz")) as source, open(records, "wb") as out:
        for _ in range(30_000):
            out.write(source.readline())
    first = tmp_path / "first.jsonl"
    first.write_text('{"title": "Already in the library before the crash", "url": "https://example.org/kept"}\n')
    assert cli("import", str(first)).code == 0
    env = {**os.environ, "LAYERWISE_HOME": str(home)}
    process = subprocess.Popen([sys.executable, "-m", "layerwise", "import", str(records)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wal = home / "library.sqlite3-wal"
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline and not (wal.exists() and wal.stat().st_size > 4 * 2**20):
        time.sleep(0.01)
    assert process.poll() is None, "the import ended before it could be killed mid-write"
    process.send_signal(signal.SIGKILL)
    process.wait()
    listed = json.loads(cli("list", "--json").out)
    assert listed["total"] == 1 and listed["items"][0]["title"] == "Already in the library before the crash"
    assert cli("check").code == 0
    again = cli("import", str(records))
    assert again.code == 0 and json.loads(cli("list", "--json").out)["total"] > 20_000


def test_a_repair_knows_every_table(sqlite_library):
    """Salvage copies the tables it names: a table added by a migration and left out would be lost in a repair."""
    from layerwise.store.health import TABLES

    sqlite_library.open()
    with sqlite3.connect(sqlite_library.database_file) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {t for t in tables if not t.startswith(("items_fts", "sqlite_", "alembic_"))} == set(TABLES)
