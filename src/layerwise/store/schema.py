"""The library's schema: the revisions this layerwise knows, and bringing a database up to the newest of them
(Alembic migrations in `migrations/versions`, a copy of a SQLite file taken first). A database at a revision
this code does not know was written by a newer layerwise and is refused."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from layerwise.errors import LayerwiseError, SchemaTooNew
from layerwise.store import health
from layerwise.store.sql import first_line, text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# Oldest first. Kept here so opening an up-to-date library never imports Alembic; a test checks that it
# matches the migration scripts.
SCHEMA_REVISIONS = ("0001_initial", "0002_profile_and_plan", "0003_concept_layers", "0004_item_concepts",
                    "0005_meta", "0006_study", "0007_cards", "0008_session_clock",
                    "0009_week_reviews", "0010_items_added_at", "0011_reference_graph", "0012_people",
                    "0013_team")


def migrate(engine: Engine, path: Path | None, where: str) -> None:
    """Bring the database at `engine` (the SQLite file `path`, if it is one) to the newest revision."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import DatabaseError

    try:
        with engine.connect() as conn:
            current = None
            if inspect(conn).has_table("alembic_version"):
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DatabaseError as exc:
        if health.damaged(exc):
            raise health.damage(exc, where) from None
        raise LayerwiseError(f"cannot open the library database: {first_line(exc)}", where=where) from None
    if current == SCHEMA_REVISIONS[-1]:
        return
    if current is not None and current not in SCHEMA_REVISIONS:
        raise SchemaTooNew(
            f"the library database is at schema revision {current!r}, which this layerwise does not know "
            f"(it knows up to {SCHEMA_REVISIONS[-1]!r}); it was written by a newer layerwise: upgrade layerwise",
            where=where)
    from alembic import command
    from alembic.config import Config

    if current is not None and path is not None:  # an existing library: a copy first, as it was
        health.backup(path, health.backup_path(path, f"before-{SCHEMA_REVISIONS[-1]}"))

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
