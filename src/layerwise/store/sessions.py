"""Study sessions (a timebox on an item or a concept at one layer, with its outcome and its clock) and the
deeper dives they schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerwise.store.sql import between, column, me, rows, run, scalar, text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass
class ClockRow:
    """What the web clock needs of a session, with its item's title."""

    id: int
    item_id: int | None
    slug: str | None
    layer: str
    planned_minutes: float
    seconds: float
    extended: bool
    running_since: str | None
    outcome: str
    title: str | None


def start(conn: Connection, *, item_id: int | None, slug: str | None, layer: str, minutes: float,
          track: str | None, area: str | None, at: str) -> int:
    row = conn.execute(text("INSERT INTO sessions (person, item_id, slug, layer, planned_minutes, track, area, started_at) "
                            "VALUES (:me, :i, :s, :l, :m, :t, :a, :at) RETURNING id"),
                       {"i": item_id, "s": slug, "l": layer, "m": minutes, "t": track, "a": area, "at": at,
                        "me": me(conn)}).scalar_one()
    return int(row)


def checkpoint(conn: Connection, session_id: int, seconds: float, extended: bool) -> None:
    run(conn, "UPDATE sessions SET seconds = :s, extended = :e WHERE id = :id AND person = :me",
        {"s": round(seconds, 1), "e": int(extended), "id": session_id, "me": me(conn)})


def interrupt(conn: Connection, session_id: int, at: str) -> float:
    """Close a session cut short; returns the seconds it had counted."""
    run(conn, "UPDATE sessions SET outcome = 'interrupted', ended_at = :at, running_since = NULL "
              "WHERE id = :id AND person = :me", {"at": at, "id": session_id, "me": me(conn)})
    return float(scalar(conn, "SELECT seconds FROM sessions WHERE id = :id AND person = :me",
                        {"id": session_id, "me": me(conn)}) or 0)


def close(conn: Connection, session_id: int, seconds: float, outcome: str, at: str) -> None:
    run(conn, "UPDATE sessions SET seconds = :s, outcome = :o, ended_at = :at, running_since = NULL "
              "WHERE id = :id AND person = :me", {"s": round(seconds, 1), "o": outcome, "at": at, "id": session_id,
                                                  "me": me(conn)})


def layer_and_minutes(conn: Connection, session_id: int) -> tuple[str, float]:
    row = conn.execute(text("SELECT layer, planned_minutes FROM sessions WHERE id = :id AND person = :me"),
                       {"id": session_id, "me": me(conn)}).one()
    return str(row[0]), float(row[1])


# -- the clock of a session in the browser ---------------------------------------------------------------
def set_running_since(conn: Connection, session_id: int, at: str | None, seconds: float | None = None) -> None:
    """Start the clock (`at`) or stop it (None, banking `seconds`)."""
    if seconds is None:
        run(conn, "UPDATE sessions SET running_since = :at WHERE id = :id AND person = :me",
            {"at": at, "id": session_id, "me": me(conn)})
    else:
        run(conn, "UPDATE sessions SET seconds = :s, running_since = :at WHERE id = :id AND person = :me",
            {"s": seconds, "at": at, "id": session_id, "me": me(conn)})


def clock_row(conn: Connection, session_id: int) -> ClockRow | None:
    row = conn.execute(text("SELECT s.id, s.item_id, s.slug, s.layer, s.planned_minutes, s.seconds, s.extended, "
                            "s.running_since, s.outcome, i.title FROM sessions s LEFT JOIN items i ON i.id = s.item_id "
                            "WHERE s.id = :id AND s.person = :me"), {"id": session_id, "me": me(conn)}).one_or_none()
    if row is None:
        return None
    return ClockRow(row.id, row.item_id, row.slug, row.layer, float(row.planned_minutes), float(row.seconds),
                    bool(row.extended), row.running_since, row.outcome, row.title)


def running_ids(conn: Connection, limit: int = 20) -> list[int]:
    """Sessions started on the database clock and not yet decided, newest first."""
    return column(conn, "SELECT id FROM sessions WHERE person = :me AND outcome = 'running' AND (running_since IS NOT NULL "
                        f"OR seconds > 0) ORDER BY id DESC LIMIT {int(limit)}", {"me": me(conn)})


def extend(conn: Connection, session_id: int, minutes: float) -> None:
    run(conn, "UPDATE sessions SET planned_minutes = planned_minutes + :m, extended = 1 WHERE id = :id AND person = :me",
        {"m": minutes, "id": session_id, "me": me(conn)})


# -- history -------------------------------------------------------------------------------------------
def history(conn: Connection, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    """Sessions (oldest first) started in [since, until), with their item's title and kind."""
    where, params = between("s.started_at", since, until)
    params["me"] = me(conn)
    sql = ("SELECT s.*, i.title, i.kind FROM sessions s LEFT JOIN items i ON i.id = s.item_id WHERE "
           + " AND ".join(["s.person = :me", *where]) + " ORDER BY s.started_at, s.id")
    return rows(conn, sql, params)


def layers_of_item(conn: Connection, item_id: int) -> list[str]:
    """The layers an item was studied at, in any session."""
    return column(conn, "SELECT DISTINCT layer FROM sessions WHERE item_id = :i AND person = :me", {"i": item_id, "me": me(conn)})


def studied_item_ids(conn: Connection) -> set[int]:
    return set(column(conn, "SELECT item_id FROM sessions WHERE item_id IS NOT NULL AND person = :me", {"me": me(conn)}))


# -- deeper dives ----------------------------------------------------------------------------------------
def add_dive(conn: Connection, dive: dict[str, Any]) -> None:
    run(conn, "INSERT INTO dives (person, item_id, slug, layer, minutes, day, session_id, created_at) "
              "VALUES (:me, :item_id, :slug, :layer, :minutes, :day, :session_id, :created_at)", {**dive, "me": me(conn)})


def drop_dive(conn: Connection, item_id: int, day: str) -> None:
    run(conn, "DELETE FROM dives WHERE item_id = :i AND day = :d AND person = :me", {"i": item_id, "d": day, "me": me(conn)})


def dives_from(conn: Connection, day: str) -> list[dict[str, Any]]:
    """Dives on a day or later, soonest first, with their item's title and URL."""
    return rows(conn, "SELECT d.id, d.item_id, d.slug, d.layer, d.minutes, d.day, i.title, i.url FROM dives d "
                      "LEFT JOIN items i ON i.id = d.item_id WHERE d.person = :me AND d.day >= :d ORDER BY d.day, d.id",
                {"d": day, "me": me(conn)})


def dives_between(conn: Connection, first: str, last: str) -> list[dict[str, Any]]:
    """Dives from the first to the last day, with the track of the session that scheduled them."""
    return rows(conn, "SELECT d.item_id, d.slug, d.layer, d.day, s.track FROM dives d "
                      "LEFT JOIN sessions s ON s.id = d.session_id WHERE d.person = :me AND d.day >= :a AND d.day <= :b "
                      "ORDER BY d.day, d.id", {"a": first, "b": last, "me": me(conn)})


def due_dive_layer(conn: Connection, item_id: int | None, slug: str | None, day: str) -> str | None:
    """The layer of the latest dive on this target due by a day."""
    layer = scalar(conn, "SELECT layer FROM dives WHERE person = :me AND (item_id = :i OR (item_id IS NULL AND slug = :s)) "
                         "AND day <= :d ORDER BY day DESC, id DESC LIMIT 1", {"i": item_id, "s": slug, "d": day, "me": me(conn)})
    return None if layer is None else str(layer)
