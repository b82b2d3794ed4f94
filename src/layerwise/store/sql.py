"""Small helpers every repository in the store uses to run SQL on SQLite and PostgreSQL alike.

SQLAlchemy is imported on first use, not at import time: the CLI imports the store while it starts, and a
command that never touches the database (`--help`, `config show`) should not pay for loading it. The helpers
also run on a `sqlite.Reader`, a read-only SQLite transaction that needs no SQLAlchemy at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from layerwise.store.sqlite import Reader

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.elements import TextClause


OWNER = 1  # the first person of every library: the one person of a library nobody shares


def me(conn: Connection) -> int:
    """The person this connection acts for (`Store.for_person`): every personal row is read and written as theirs."""
    return int(conn.get_execution_options().get("layerwise_person", OWNER))


def dialect(conn: Connection) -> str:
    """"sqlite" or "postgresql": the engine a connection (or a `sqlite.Reader`) talks to."""
    return "sqlite" if isinstance(conn, Reader) else str(conn.dialect.name)


def text(sql: str, *expanding: str) -> TextClause:
    """A SQL statement; parameters named in `expanding` take a list (`WHERE id IN :ids`)."""
    from sqlalchemy import bindparam
    from sqlalchemy import text as sql_text

    clause = sql_text(sql)
    if expanding:
        clause = clause.bindparams(*(bindparam(name, expanding=True) for name in expanding))
    return clause


def run(conn: Connection, sql: str, params: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None) -> None:
    """Execute a statement once, or once per row of parameters (executemany)."""
    if params is None:
        conn.execute(text(sql))
    elif isinstance(params, Mapping):
        conn.execute(text(sql), dict(params))
    else:
        rows = [dict(p) for p in params]
        if rows:
            conn.execute(text(sql), rows)


def insert_many(conn: Connection, table: str, columns: Sequence[str], values: Iterable[Sequence[Any]],
                suffix: str = "") -> None:
    """Rows of `values` (in the order of `columns`) inserted in one executemany straight through the driver:
    SQLAlchemy's handling of each row's parameters is half the time of a bulk insert (0.8 of 1.5 s per 230k
    rows). `suffix` follows the VALUES (an ON CONFLICT clause)."""
    batch = [tuple(v) for v in values]
    if batch:
        mark = "?" if dialect(conn) == "sqlite" else "%s"  # the drivers' own parameter styles
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
                             f"{suffix}", batch)


def _result(conn: Connection, sql: str, params: Mapping[str, Any] | None, expanding: Sequence[str]) -> Any:
    """The rows of a statement, as tuples that also answer by column name."""
    if isinstance(conn, Reader):  # a SQLite transaction that only reads (`Store.reading`)
        return conn.query(sql, params, expanding)
    return conn.execute(text(sql, *expanding), dict(params or {}))


def rows(conn: Connection, sql: str, params: Mapping[str, Any] | None = None, *expanding: str) -> list[dict[str, Any]]:
    """Every row as a dict of column -> value."""
    result = _result(conn, sql, params, expanding)
    return [dict(r) for r in (result if isinstance(conn, Reader) else result.mappings())]


def tuples(conn: Connection, sql: str, params: Mapping[str, Any] | None = None, *expanding: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in _result(conn, sql, params, expanding)]


def each(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
    """Rows one at a time, for reads too large to hold twice (every item's text)."""
    return (tuple(r) for r in _result(conn, sql, params, ()))


def column(conn: Connection, sql: str, params: Mapping[str, Any] | None = None, *expanding: str) -> list[Any]:
    """The first column of every row."""
    return [r[0] for r in _result(conn, sql, params, expanding)]


def scalar(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> Any:
    if isinstance(conn, Reader):
        found = conn.query(sql, params).fetchone()
        return None if found is None else found[0]
    return conn.execute(text(sql), dict(params or {})).scalar()


def between(expression: str, since: str | None, until: str | None) -> tuple[list[str], dict[str, Any]]:
    """WHERE conditions (and their parameters) for `since <= expression < until`, either end optional."""
    where, params = [], {}
    if since:
        where.append(f"{expression} >= :since")
        params["since"] = since
    if until:
        where.append(f"{expression} < :until")
        params["until"] = until
    return where, params


def chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def id_list(values: Iterable[int]) -> str:
    """Ids inlined into `IN (...)` as integers (faster than thousands of bound parameters, and never text)."""
    return ", ".join(str(int(v)) for v in values)


def first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
