"""SQLite connections: the pragmas each one gets, and how its transactions begin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

WRITER_WAIT = 1800  # seconds a writer waits for another to finish (a large import takes a minute)
BUSY_WAIT = 30  # seconds any other statement waits for a lock


def begin(conn: Connection) -> None:
    """Transactions begin here, not in the driver: a writer waits for the write lock up to WRITER_WAIT."""
    if conn.get_execution_options().get("layerwise_writer"):
        conn.exec_driver_sql(f"PRAGMA busy_timeout={WRITER_WAIT * 1000}")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_WAIT * 1000}")
        conn.exec_driver_sql("BEGIN")


def pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # the "begin" event starts each transaction, as BEGIN or BEGIN IMMEDIATE
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB: bulk imports maintain several indexes and the FTS index
    cur.close()
