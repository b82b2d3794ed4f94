"""Checking, backing up and mending the library database.

SQLite keeps the whole library in one file, so a bad disk, a copy taken mid-write or a stray tool can damage
pages of it. `check` runs SQLite's own checks (pages and indexes, references between tables, the full-text
index against the items); `backup` copies the file with SQLite's online backup (consistent while other
processes write); `salvage` copies every row that can still be read, range by range, into a fresh library
file, so that a damaged page costs the rows on it and nothing else. PostgreSQL checks and backs up its own
pages (`pg_dump`); there, layerwise checks the references between tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from layerwise.errors import DatabaseDamaged
from layerwise.store.sql import first_line, run, tuples
from layerwise.times import utc_now

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# Every table a library holds, parents before children (the order rows are salvaged in).
TABLES = ("items", "item_refs", "item_tags", "feeds", "people", "tokens", "web_sessions", "focuses", "feedback", "picks",
          "concept_layers", "item_concepts", "meta", "sessions", "dives", "cards", "reviews", "week_reviews",
          "review_choices", "citations", "endorsements", "mentions", "item_status", "shared_notes",
          "team_digests", "item_vectors")
ROWID_LIMIT = 2**63 - 1


@dataclass
class Finding:
    what: str
    ok: bool
    detail: str = ""


def damaged(exc: BaseException) -> bool:
    """Whether a database error says the file itself is damaged (rather than busy, locked or full)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


def damage(exc: BaseException, where: str) -> DatabaseDamaged:
    """The error a damaged library file gets, whichever command found it."""
    return DatabaseDamaged(f"the library database is damaged ({first_line(exc)}): `layerwise check` says what is "
                           "wrong, `layerwise repair` saves every row that can be read", where=where)


def check(conn: Connection) -> list[Finding]:
    """The database's own consistency checks, each with what it found."""
    if conn.dialect.name != "sqlite":
        return [_references(conn)]
    findings = []
    try:
        problems = [str(r[0]) for r in tuples(conn, "PRAGMA integrity_check(20)")]
    except Exception as exc:  # a file too damaged to check is the finding itself
        problems = [first_line(exc)]
    findings.append(Finding("pages and indexes (SQLite integrity check)", problems == ["ok"],
                            "" if problems == ["ok"] else "; ".join(problems[:5])))
    findings.append(_references(conn))
    try:  # the full-text index against the items it indexes
        run(conn, "INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")
        findings.append(Finding("full-text search index", True))
    except Exception as exc:
        findings.append(Finding("full-text search index", False, first_line(exc)))
    return findings


def _references(conn: Connection) -> Finding:
    if conn.dialect.name == "sqlite":
        try:
            dangling = tuples(conn, "PRAGMA foreign_key_check")
        except Exception as exc:
            return Finding("references between tables", False, first_line(exc))
        tables = sorted({str(r[0]) for r in dangling})
        return Finding("references between tables", not dangling,
                       f"{len(dangling)} rows in {', '.join(tables)} point at rows that are gone" if dangling else "")
    return Finding("references between tables", True, "PostgreSQL enforces them as rows are written")


def rebuild_search(conn: Connection) -> None:
    """Build SQLite's full-text index again from the items (PostgreSQL's is a generated column)."""
    if conn.dialect.name == "sqlite":
        run(conn, "INSERT INTO items_fts (items_fts) VALUES ('rebuild')")


def backup_path(database: Path, label: str) -> Path:
    """Where a backup of a library file goes: `backups/` beside it, named by the time and why."""
    return database.parent / "backups" / f"library-{utc_now().strftime('%Y%m%d-%H%M%S')}-{label}.sqlite3"


def backup(database: Path, target: Path) -> None:
    """A consistent copy of a SQLite library file, taken while it may be in use."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as source, \
            closing(sqlite3.connect(partial)) as copy:
        source.backup(copy)
    partial.replace(target)


@dataclass
class Salvage:
    copied: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    unreadable: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # table -> rowid ranges lost
    dropped: dict[str, int] = field(default_factory=dict)  # table -> rows left out: they referred to lost rows


def salvage(damaged_file: Path, fresh_file: Path) -> Salvage:
    """Copy every readable row of a damaged library into `fresh_file`, a new library with the current schema.
    Rows are read by ranges of row ids; a range that fails is halved until the rows that cannot be read are
    pinned down, so one bad page loses only its own rows."""
    report = Salvage()
    with closing(sqlite3.connect(f"file:{damaged_file}?mode=ro", uri=True)) as source, \
            closing(sqlite3.connect(fresh_file)) as target:
        target.execute("PRAGMA foreign_keys = OFF")
        present = {r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in (t for t in TABLES if t in present):
            columns = [r[1] for r in target.execute(f"PRAGMA table_info({table})")]
            insert = (f"INSERT OR IGNORE INTO {table} (rowid, {', '.join(columns)}) "
                      f"VALUES ({', '.join('?' * (len(columns) + 1))})")
            copied = 0
            lost: list[tuple[int, int]] = []
            for rows in _readable(source, table, columns, lost):
                target.executemany(insert, rows)
                copied += len(rows)
            report.copied[table] = copied
            if lost:
                report.unreadable[table] = _merged(lost)
        for table, _rowid, _parent, _ in list(target.execute("PRAGMA foreign_key_check")):
            report.dropped[table] = report.dropped.get(table, 0) + 1
            target.execute(f"DELETE FROM {table} WHERE rowid = ?", (_rowid,))
        target.execute("INSERT INTO items_fts (items_fts) VALUES ('rebuild')")
        target.commit()
    return report


def _readable(source: sqlite3.Connection, table: str, columns: list[str],
              lost: list[tuple[int, int]]) -> Iterator[list[tuple[object, ...]]]:
    select = f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE rowid BETWEEN ? AND ?"
    try:
        pending = [(0, ROWID_LIMIT)]
        source.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
    except sqlite3.DatabaseError:  # the table's root itself cannot be read
        lost.append((0, ROWID_LIMIT))
        return
    while pending:
        low, high = pending.pop()
        try:
            rows = source.execute(select, (low, high)).fetchall()
        except sqlite3.DatabaseError:
            if low == high:
                lost.append((low, high))
            else:
                middle = (low + high) // 2
                pending += [(middle + 1, high), (low, middle)]
            continue
        if rows:
            yield rows


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out
