"""The SQLAlchemy engine of a library's URL. The store makes it when a command first needs it: reading a SQLite
library goes without (`sqlite.Reader`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from layerwise.errors import LayerwiseError
from layerwise.home import sqlite_file
from layerwise.store import sqlite

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

POSTGRESQL = ("postgresql://", "postgresql+psycopg://", "postgres://")


def dialect(url: str) -> str:
    """The database a URL names; a clear error for one layerwise does not support."""
    if sqlite_file(url) is not None:
        return "sqlite"
    if url.startswith(POSTGRESQL):
        return "postgresql"
    raise LayerwiseError(f"unsupported database URL {url!r} (use sqlite:///PATH or postgresql://...)")


def create(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if dialect(url) == "sqlite":
        engine = create_engine(url)
        event.listen(engine, "connect", sqlite.pragmas)
        event.listen(engine, "begin", sqlite.begin)
        return engine
    url = url.replace("postgres://", "postgresql://", 1)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError:
        raise LayerwiseError("PostgreSQL support needs psycopg: pip install 'layerwise[postgres]'") from None
