"""A session's clock kept in the database: the web app's countdown survives a page reload, another tab or a
server restart. `running_since` is when the clock last started (`sessions.begin(..., on_clock=True)` starts
it); `seconds` holds what was counted before a pause."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from layerwise.concepts.overlay import concept_map
from layerwise.errors import LayerwiseError, NotFound
from layerwise.store import sessions as session_rows
from layerwise.times import seconds_since, utc_precise

if TYPE_CHECKING:
    from layerwise.library import Library


@dataclass
class Clock:
    session_id: int
    ref: str  # what `sessions.resolve` takes to find the target again: an item id or a concept slug
    title: str
    layer: str
    planned_seconds: float
    elapsed: float
    running: bool
    extended: bool

    @property
    def remaining(self) -> float:
        return max(0.0, self.planned_seconds - self.elapsed)


def clock(library: Library, session_id: int) -> Clock:
    """Where a running session stands; NotFound when there is no such session still running."""
    with library.store.begin() as conn:
        row = session_rows.clock_row(conn, session_id)
    if row is None or row.outcome != "running":
        raise NotFound(f"no running session {session_id}")
    elapsed = row.seconds + (seconds_since(row.running_since) if row.running_since else 0.0)
    title = row.title or row.slug or ""
    if row.item_id is None and row.slug:
        concept = concept_map(library).concepts.get(row.slug)
        title = concept.name if concept else row.slug
    return Clock(row.id, str(row.item_id) if row.item_id else str(row.slug), title, row.layer, 60 * row.planned_minutes,
                 round(elapsed, 1), row.running_since is not None, row.extended)


def running(library: Library) -> list[Clock]:
    """Sessions started on the database clock and not yet decided, newest first."""
    with library.store.begin() as conn:
        ids = session_rows.running_ids(conn)
    return [clock(library, i) for i in ids]


def pause(library: Library, session_id: int) -> Clock:
    current = clock(library, session_id)
    with library.store.begin() as conn:
        session_rows.set_running_since(conn, session_id, None, seconds=current.elapsed)
    return clock(library, session_id)


def resume(library: Library, session_id: int) -> Clock:
    current = clock(library, session_id)
    if not current.running:
        with library.store.begin() as conn:
            session_rows.set_running_since(conn, session_id, utc_precise())
    return clock(library, session_id)


def extend(library: Library, session_id: int, minutes: float) -> Clock:
    """Add time to the box, once per session."""
    current = clock(library, session_id)
    if current.extended:
        raise LayerwiseError("this session was already extended once: decide now, or schedule a deeper dive")
    with library.store.begin() as conn:
        session_rows.extend(conn, session_id, minutes)
    return clock(library, session_id)
