"""Study sessions: a timebox on one item or concept at one layer, ending in a forced choice.

  skim -> explore -> deepen -> build: the session's layer; finishing one moves the concept(s) to skimmed,
  explored, deepened or built (never backwards) and the item's status (summarize: done; bookmark: reading;
  schedule: planned).
  summarize | bookmark | schedule: the outcome. Schedule records a deeper dive on a day; it joins that week's
  plan and exports as an iCalendar event.

A session row is written when the session starts and its minutes are checkpointed while it runs, so a crash
or Ctrl-C still records the time spent (outcome `interrupted`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from layerwise.errors import LayerwiseError, NotFound

if TYPE_CHECKING:
    from pathlib import Path

    from layerwise.library import Library
    from layerwise.records import Item

LAYERS = ("skim", "explore", "deepen", "build")
REACHES = {"skim": "skimmed", "explore": "explored", "deepen": "deepened", "build": "built"}
OUTCOMES = ("summarize", "bookmark", "schedule")
STATUS_AFTER = {"summarize": "done", "bookmark": "reading", "schedule": "planned"}
STRONG_LINK = 0.9  # an item session moves only the concepts the item is clearly about
MAX_CONCEPTS = 3


@dataclass
class Target:
    """What a session studies: an item (with the concepts it is about) or a concept alone."""

    title: str
    item: Item | None = None
    slug: str | None = None
    concepts: list[str] = field(default_factory=list)
    track: str | None = None  # need or want, when the item is one of this week's picks
    area: str | None = None  # letter, envelope or foundation


@dataclass
class Outcome:
    session_id: int
    outcome: str
    minutes: float
    note: Path | None
    layers: dict[str, str] = field(default_factory=dict)  # concepts moved forward: slug -> new layer
    dive: dict[str, Any] | None = None
    note_error: str | None = None  # the note could not be read: it was left as it is
    unsaved_summary: str | None = None  # a summary that could not go into such a note; shown, not lost


def now() -> str:
    """Local time with its offset: days in the journal and stats are the user's days."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def resolve(library: Library, ref: str) -> Target:
    """A concept slug, or anything `show` accepts for an item."""
    from layerwise.concepts.linking import ensure_linked
    from layerwise.concepts.progress import concept_map
    from layerwise.rank.plan import iso_week
    from layerwise.store import profile as sql

    cmap = concept_map(library)
    if ref in cmap.concepts:
        concept = cmap.concepts[ref]
        return Target(concept.name, slug=ref, concepts=[ref], area=concept.area)
    try:
        item = library.get(ref)
    except NotFound:
        raise NotFound(f"{ref!r} is neither an item nor a concept (see `layerwise search` or `layerwise map frontier`)") from None
    ensure_linked(library)
    with library.store.begin() as conn:
        links = conn.execute(text("SELECT slug, confidence, state FROM item_concepts WHERE item_id = :i AND state != 'removed' "
                                  "ORDER BY state = 'confirmed' DESC, confidence DESC, slug"), {"i": item.id}).all()
        track = next((p["track"] for p in sql.picks(conn, iso_week()) if p["item_id"] == item.id), None)
    slugs = [s for s, c, state in links if s in cmap.concepts and (state == "confirmed" or c >= STRONG_LINK)][:MAX_CONCEPTS]
    area = cmap.concepts[links[0][0]].area if links and links[0][0] in cmap.concepts else None
    return Target(item.title, item=item, concepts=slugs, track=track, area=area)


def start(library: Library, target: Target, layer: str, minutes: float) -> int:
    _check_layer(layer)
    if minutes <= 0:
        raise LayerwiseError("a session needs a positive number of minutes")
    with library.store.begin() as conn:
        row = conn.execute(text("INSERT INTO sessions (item_id, slug, layer, planned_minutes, track, area, started_at) "
                                "VALUES (:i, :s, :l, :m, :t, :a, :at) RETURNING id"),
                           {"i": target.item.id if target.item else None, "s": target.slug, "l": layer, "m": minutes,
                            "t": target.track, "a": target.area, "at": now()}).scalar_one()
    return int(row)


def checkpoint(library: Library, session_id: int, seconds: float, extended: bool = False) -> None:
    """Record the time spent so far (called while the countdown runs)."""
    with library.store.begin() as conn:
        conn.execute(text("UPDATE sessions SET seconds = :s, extended = :e WHERE id = :id"),
                     {"s": round(seconds, 1), "e": int(extended), "id": session_id})


def interrupt(library: Library, session_id: int) -> float:
    """Close a session cut short (Ctrl-C): the minutes checkpointed so far stay; returns them."""
    with library.store.begin() as conn:
        conn.execute(text("UPDATE sessions SET outcome = 'interrupted', ended_at = :at, running_since = NULL WHERE id = :id"),
                     {"at": now(), "id": session_id})
        return float(conn.execute(text("SELECT seconds FROM sessions WHERE id = :id"), {"id": session_id}).scalar_one()) / 60


# -- a clock kept in the database (the web app's countdown: it survives a page reload or a server restart) --


@dataclass
class Clock:
    session_id: int
    ref: str  # what `resolve` takes to find the target again: an item id or a concept slug
    title: str
    layer: str
    planned_seconds: float
    elapsed: float
    running: bool
    extended: bool

    @property
    def remaining(self) -> float:
        return max(0.0, self.planned_seconds - self.elapsed)


def start_clock(library: Library, target: Target, layer: str, minutes: float) -> int:
    session_id = start(library, target, layer, minutes)
    with library.store.begin() as conn:
        conn.execute(text("UPDATE sessions SET running_since = :at WHERE id = :id"), {"at": _utc(), "id": session_id})
    return session_id


def clock(library: Library, session_id: int) -> Clock:
    """Where a running session stands; NotFound when there is no such session still running."""
    with library.store.begin() as conn:
        row = conn.execute(text("SELECT s.id, s.item_id, s.slug, s.layer, s.planned_minutes, s.seconds, s.extended, "
                                "s.running_since, s.outcome, i.title FROM sessions s LEFT JOIN items i ON i.id = s.item_id "
                                "WHERE s.id = :id"), {"id": session_id}).one_or_none()
    if row is None or row.outcome != "running":
        raise NotFound(f"no running session {session_id}")
    elapsed = row.seconds + (_since(row.running_since) if row.running_since else 0.0)
    title = row.title or row.slug or ""
    if row.item_id is None and row.slug:
        from layerwise.concepts.progress import concept_map

        concept = concept_map(library).concepts.get(row.slug)
        title = concept.name if concept else row.slug
    return Clock(row.id, str(row.item_id) if row.item_id else row.slug, title, row.layer, 60 * row.planned_minutes,
                 round(elapsed, 1), row.running_since is not None, bool(row.extended))


def running(library: Library) -> list[Clock]:
    """Sessions started on the database clock and not yet decided, newest first."""
    with library.store.begin() as conn:
        ids = conn.execute(text("SELECT id FROM sessions WHERE outcome = 'running' AND (running_since IS NOT NULL "
                                "OR seconds > 0) ORDER BY id DESC LIMIT 20")).scalars().all()
    return [clock(library, i) for i in ids]


def pause(library: Library, session_id: int) -> Clock:
    current = clock(library, session_id)
    with library.store.begin() as conn:
        conn.execute(text("UPDATE sessions SET seconds = :s, running_since = NULL WHERE id = :id"),
                     {"s": current.elapsed, "id": session_id})
    return clock(library, session_id)


def resume(library: Library, session_id: int) -> Clock:
    current = clock(library, session_id)
    if not current.running:
        with library.store.begin() as conn:
            conn.execute(text("UPDATE sessions SET running_since = :at WHERE id = :id"), {"at": _utc(), "id": session_id})
    return clock(library, session_id)


def extend(library: Library, session_id: int, minutes: float) -> Clock:
    """Add time to the box, once per session."""
    current = clock(library, session_id)
    if current.extended:
        raise LayerwiseError("this session was already extended once: decide now, or schedule a deeper dive")
    with library.store.begin() as conn:
        conn.execute(text("UPDATE sessions SET planned_minutes = planned_minutes + :m, extended = 1 WHERE id = :id"),
                     {"m": minutes, "id": session_id})
    return clock(library, session_id)


def _utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _since(stamp: str) -> float:
    """Seconds from a stored UTC stamp to now; never negative, so a clock set back does not eat time."""
    return max(0.0, (datetime.now(timezone.utc) - datetime.fromisoformat(stamp)).total_seconds())


def note_for(library: Library, target: Target, layer: str) -> Path:
    from layerwise.concepts.progress import concept_map
    from layerwise.study import notes

    if target.item is not None:
        return notes.item_note(library, target.item, target.concepts, layer)
    assert target.slug is not None
    return notes.concept_note(library, target.slug, concept_map(library).concepts[target.slug].name, layer)


def finish(library: Library, session_id: int, target: Target, seconds: float, outcome: str,
           summary: str | None = None, when: str | None = None) -> Outcome:
    """Close a session with its decision: layers move forward, the item's status follows, a summary goes into
    the note, a deeper dive gets its day."""
    from layerwise.concepts.progress import at_least, layers, mark
    from layerwise.study import notes

    if outcome not in OUTCOMES:
        raise LayerwiseError(f"the outcome is one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if outcome == "schedule" and not when:
        raise LayerwiseError("schedule needs a day for the deeper dive (--when 2026-12-01, +3d, tomorrow, next-week)")
    day = parse_day(when) if outcome == "schedule" else None
    with library.store.begin() as conn:
        session = conn.execute(text("SELECT layer, planned_minutes FROM sessions WHERE id = :id"), {"id": session_id}).one()
    layer = session[0]
    note = note_for(library, target, layer)
    result = Outcome(session_id, outcome, round(seconds / 60, 1), note, note_error=notes.read(note).error)
    if summary and summary.strip():
        if result.note_error:
            result.unsaved_summary = summary
        else:
            notes.append_to_section(note, "Summary", summary)
    current = layers(library)
    for slug in target.concepts:
        if not at_least(current.get(slug, "none"), REACHES[layer]):
            mark(library, slug, REACHES[layer], source=f"study session {session_id}")
            result.layers[slug] = REACHES[layer]
    with library.store.begin() as conn:
        conn.execute(text("UPDATE sessions SET seconds = :s, outcome = :o, ended_at = :at, running_since = NULL WHERE id = :id"),
                     {"s": round(seconds, 1), "o": outcome, "at": now(), "id": session_id})
        if target.item is not None and target.item.status != "done":
            library.store.set_status(conn, [target.item.id], STATUS_AFTER[outcome], now())
        if day is not None:
            deeper = LAYERS[min(LAYERS.index(layer) + 1, len(LAYERS) - 1)]
            dive = {"item_id": target.item.id if target.item else None, "slug": target.slug, "layer": deeper,
                    "minutes": session[1], "day": day.isoformat(), "session_id": session_id, "created_at": now()}
            conn.execute(text("INSERT INTO dives (item_id, slug, layer, minutes, day, session_id, created_at) "
                              "VALUES (:item_id, :slug, :layer, :minutes, :day, :session_id, :created_at)"), dive)
            result.dive = {**dive, "title": target.title}
    return result


def log(library: Library, ref: str, layer: str, minutes: float, outcome: str, spent: float | None = None,
        summary: str | None = None, when: str | None = None) -> Outcome:
    """A session without the live timer (scripts, the web app, a session done away from the keyboard)."""
    target = resolve(library, ref)
    session_id = start(library, target, layer, minutes)
    return finish(library, session_id, target, 60 * (spent if spent is not None else minutes), outcome, summary, when)


def parse_day(value: str | None, today: date | None = None) -> date:
    """An ISO date, `+N` or `+Nd` days, `tomorrow` or `next-week` (next Monday); today or later."""
    today = today or date.today()
    value = (value or "").strip().lower()
    if value == "tomorrow":
        day = today + timedelta(days=1)
    elif value in ("next-week", "next week"):
        day = today + timedelta(days=7 - today.weekday())
    elif match := re.fullmatch(r"\+(\d{1,3})d?", value):
        day = today + timedelta(days=int(match.group(1)))
    else:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise LayerwiseError(f"unknown day {value!r}: use 2026-12-01, +3d, tomorrow or next-week") from None
    if day < today:
        raise LayerwiseError(f"{day.isoformat()} is in the past; a deeper dive needs a day from today on")
    return day


def _check_layer(layer: str) -> None:
    if layer not in LAYERS:
        raise LayerwiseError(f"the layer is one of {', '.join(LAYERS)}, not {layer!r}")


def dives(library: Library, since: date | None = None) -> list[dict[str, Any]]:
    """Scheduled deeper dives from a day on (today by default), soonest first, with what they are about."""
    from layerwise.concepts.progress import concept_map

    since = since or date.today()
    with library.store.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text(
            "SELECT d.id, d.item_id, d.slug, d.layer, d.minutes, d.day, i.title, i.url FROM dives d "
            "LEFT JOIN items i ON i.id = d.item_id WHERE d.day >= :d ORDER BY d.day, d.id"), {"d": since.isoformat()})]
    names = concept_map(library).concepts
    for row in rows:
        if row["title"] is None and row["slug"] in names:
            row["title"] = names[row["slug"]].name
    return rows


def dives_ics(rows: list[dict[str, Any]]) -> bytes:
    """An iCalendar file with one all-day event per deeper dive (stable UIDs, so re-importing updates)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//layerwise//deeper dives//EN")
    calendar.add("version", "2.0")
    for row in rows:
        event = Event()
        event.add("uid", f"dive-{row['id']}@layerwise")
        event.add("summary", f"Deeper dive ({row['layer']}, {row['minutes']:g} min): {row['title']}")
        event.add("dtstart", date.fromisoformat(row["day"]))
        event.add("dtend", date.fromisoformat(row["day"]) + timedelta(days=1))
        event.add("dtstamp", datetime.now(timezone.utc))
        if row.get("url"):
            event.add("url", row["url"])
        event.add("description", f"layerwise study {row['item_id'] or row['slug']} --layer {row['layer']} "
                                 f"--minutes {row['minutes']:g}")
        calendar.add_component(event)
    return calendar.to_ical()


def history(library: Library, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    """Sessions (oldest first) started in [since, until), as ISO timestamps or dates."""
    where, params = [], {}
    if since:
        where.append("s.started_at >= :since")
        params["since"] = since
    if until:
        where.append("s.started_at < :until")
        params["until"] = until
    sql = ("SELECT s.*, i.title, i.kind FROM sessions s LEFT JOIN items i ON i.id = s.item_id"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY s.started_at, s.id")
    with library.store.begin() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def default_layer(library: Library, target: Target) -> str:
    """The next layer: a deeper dive scheduled for this target, else one past the shallowest of its concepts."""
    from layerwise.concepts.progress import layers

    with library.store.begin() as conn:
        dive = conn.execute(text("SELECT layer FROM dives WHERE (item_id = :i OR (item_id IS NULL AND slug = :s)) "
                                 "AND day <= :d ORDER BY day DESC, id DESC LIMIT 1"),
                            {"i": target.item.id if target.item else None, "s": target.slug,
                             "d": date.today().isoformat()}).scalar()
    if dive:
        return str(dive)
    current = layers(library)
    reached = [current.get(s, "none") for s in target.concepts]
    if not reached:
        return "skim"
    order = ("none", "skimmed", "explored", "deepened", "built")
    shallowest = min(order.index(r) for r in reached)
    return LAYERS[min(shallowest, len(LAYERS) - 1)]
