"""Keeping a library sound: check it, back it up, and repair it (rebuild the search index and the
representations; salvage every readable row into a new file when pages are lost, keeping the old file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from layerwise.errors import LayerwiseError
from layerwise.library import Library
from layerwise.represent.index import drop_index, index_problem
from layerwise.store import health, salvage_library
from layerwise.store.health import Finding
from layerwise.times import utc_now


def check(library: Library) -> list[Finding]:
    """Every check, with what it found: the database's pages, references and search index, and the
    representations kept in the home."""
    with library.store.examine() as conn:
        findings = health.check(conn)
    problem = index_problem(library)
    findings.append(Finding("representations in the home (index/)", problem is None, problem or ""))
    return findings


def backup(library: Library) -> Path:
    """A consistent copy of the library file in `backups/` beside it (SQLite; PostgreSQL has pg_dump)."""
    path = _sqlite_file(library, "backed up")
    target = health.backup_path(path, "by-hand")
    health.backup(path, target)
    return target


@dataclass
class Repair:
    rebuilt: list[str] = field(default_factory=list)
    salvage: health.Salvage | None = None
    kept: Path | None = None  # the damaged file, set aside


def repair(library: Library) -> Repair:
    """Rebuild what can be rebuilt; if the file has lost pages, copy every readable row into a new library
    file and set the damaged one aside (`library.sqlite3.damaged-TIME`), never deleting it."""
    done = Repair()
    path = library.database_file
    intact = path is None or _intact(library)
    if not intact and path is not None:
        done.salvage, done.kept = _salvage(library, path)
        done.rebuilt.append("the library file, from every row that could be read")
    else:
        with library.store.begin() as conn:
            health.rebuild_search(conn)
        done.rebuilt.append("the full-text search index")
    if drop_index(library):
        done.rebuilt.append("the representations (computed again on next use)")
    return done


def _intact(library: Library) -> bool:
    try:
        with library.store.examine() as conn:
            return all(f.ok for f in health.check(conn) if not f.what.startswith("full-text"))
    except LayerwiseError:
        return False


def _salvage(library: Library, path: Path) -> tuple[health.Salvage, Path]:
    stamp = utc_now().strftime("%Y%m%d-%H%M%S")
    fresh = path.with_name(f"{path.name}.salvaged-{stamp}")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    library.close()
    report = salvage_library(path, fresh)
    for suffix in ("", "-wal", "-shm"):  # the damaged file and its journal go aside together
        old = path.with_name(path.name + suffix)
        if old.exists():
            old.rename(kept.with_name(kept.name + suffix))
    fresh.rename(path)
    return report, kept


def _sqlite_file(library: Library, verb: str) -> Path:
    path = library.database_file
    if path is None:
        raise LayerwiseError(f"a PostgreSQL library is {verb} by its server's own tools (pg_dump, pg_restore)")
    return path
