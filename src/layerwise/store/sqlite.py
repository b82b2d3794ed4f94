"""SQLite connections: the pragmas each one gets, and how its transactions begin."""

from __future__ import annotations

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
