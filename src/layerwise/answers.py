"""Answers kept while the library is untouched, so a command asked again answers without opening the database:
the database layer (SQLAlchemy) alone takes about 0.3 s to import on a small machine, more than a repeated
`layerwise week` should take in all.

An answer is kept with the state of everything it was read from: the SQLite database and its write-ahead log
(every commit changes the log's size, time or header, and a checkpoint the database's), the config files, the
acting person and the layerwise version. Any difference, and the command runs in full and keeps its answer
anew. A library on PostgreSQL has no such files here, so its commands always run in full."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from layerwise import __version__
from layerwise.atomic import write_atomically
from layerwise.home import CONFIG_NAME, Home, sqlite_file

FOLDER = ".answers"  # in the home; removing it is always safe

State = list[Any]


def state(home: Home, database_url: str | None, user: str | None) -> State | None:
    """Where the library stands now, as files tell it (None: not known from files, e.g. on PostgreSQL)."""
    database = sqlite_file(database_url or home.database_url())
    if database is None:
        return None
    log = database.with_name(database.name + "-wal")
    parts: State = [__version__, user or ""]
    configs = [home.config_path] + ([home.path / "people" / user / CONFIG_NAME] if user else [])  # see Library.desk
    for path in (database, log, *configs):
        try:
            found = os.stat(path)
        except FileNotFoundError:
            parts.append(None)
            continue
        parts.append([found.st_mtime_ns, found.st_size])
    try:
        with open(log, "rb") as f:
            parts.append(f.read(32).hex())  # the log's header: new salts each time the log starts over
    except FileNotFoundError:
        parts.append(None)
    return parts


def _path(home: Home, name: str, user: str | None) -> Path:
    return home.path / FOLDER / (f"{name}.{user}.json" if user else f"{name}.json")


def recall(home: Home, name: str, user: str | None, now: State | None) -> Any | None:
    """The answer kept for `name` if the library is still as it was when it was kept."""
    if now is None:
        return None
    try:
        kept = json.loads(_path(home, name, user).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none kept yet, or a file cut short: the command runs in full
        return None
    return kept.get("answer") if isinstance(kept, dict) and kept.get("state") == now else None


def keep(home: Home, name: str, user: str | None, before: State | None, after: State | None, answer: Any) -> None:
    """Keep `answer` if nothing was written while it was made (`before` and `after` bracket the command, read
    with the database closed); a write in between leaves nothing kept, so the next run answers in full."""
    if before is None or before != after:
        return
    path = _path(home, name, user)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(str(path), json.dumps({"state": after, "answer": answer}, ensure_ascii=False).encode())
    except OSError:  # a read-only or full home: answering in full next time is the only cost
        pass
