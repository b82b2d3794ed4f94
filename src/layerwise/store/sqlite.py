"""SQLite connections: the pragmas each one gets, how its transactions begin, and the reader that needs no
SQLAlchemy."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

WRITER_WAIT = 1800  # seconds a writer waits for another to finish (a large import takes a minute)
BUSY_WAIT = 30  # seconds any other statement waits for a lock


def begin(conn: Connection) -> None:
    """A writer (an import) begins with BEGIN IMMEDIATE, taking the write lock before it reads anything, and waits
    for it up to WRITER_WAIT. Everything else keeps the driver's way: no transaction until the first change, so
    a reader's snapshot is never stale when it writes (an import committing meanwhile cannot fail it)."""
    raw = conn.connection.dbapi_connection
    if conn.get_execution_options().get("layerwise_writer"):
        raw.isolation_level = None  # type: ignore[union-attr]
        conn.exec_driver_sql(f"PRAGMA busy_timeout={WRITER_WAIT * 1000}")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        raw.isolation_level = ""  # type: ignore[union-attr]
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_WAIT * 1000}")


def pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB: bulk imports maintain several indexes and the FTS index
    cur.close()


def revision(path: Path) -> str | None:
    """The schema revision of a library file, read without SQLAlchemy. None when there is no file or no revision
    yet, or when reading fails: the full open path then creates, migrates or reports the damage."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path)
        try:
            found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return str(found[0]) if found else None


class Reader:
    """A transaction that only reads, straight on the sqlite3 module: the store's SQL helpers (`sql.rows`,
    `sql.scalar`, ...) run their statements unchanged, since sqlite3 takes the same `:name` parameters. A command
    that only reads a SQLite library never imports SQLAlchemy, about 0.3 s of a new process on a small machine."""

    def __init__(self, path: Path, person: int) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None)  # transactions by hand: one snapshot for all
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_WAIT * 1000}")
            self._conn.execute("PRAGMA query_only=ON")
            self._conn.execute("BEGIN")
        except BaseException:
            self._conn.close()
            raise
        self._options = {"layerwise_person": person}

    def get_execution_options(self) -> dict[str, Any]:  # as a SQLAlchemy connection answers `sql.me`
        return self._options

    def query(self, sql: str, params: Mapping[str, Any] | None, expanding: Sequence[str] = ()) -> sqlite3.Cursor:
        """Run a statement; parameters named in `expanding` take a list (`WHERE id IN :ids`), as `sql.text` has it."""
        bound = dict(params or {})
        for name in expanding:
            values = list(bound.pop(name))
            names = [f"{name}__{n}" for n in range(len(values))]
            # an empty list matches nothing (and NOT IN it, everything), as SQLAlchemy renders it
            listed = "(" + ", ".join(f":{n}" for n in names) + ")" if names else "(SELECT NULL WHERE 0)"
            sql = re.sub(rf":{name}\b", listed, sql)  # names and colons: nothing re takes as a group
            bound.update(zip(names, values))
        return self._conn.execute(sql, bound)

    def close(self) -> None:
        try:
            self._conn.rollback()
        finally:
            self._conn.close()
