"""Study sessions: a timebox on one item or concept at one layer, ending in a forced choice.

  skim -> explore -> deepen -> build: the session's layer; finishing one moves the concept(s) to skimmed,
  explored, deepened or built (never backwards) and the item's status (summarize: done; bookmark: reading;
  schedule: planned).
  summarize | bookmark | schedule: the outcome. Schedule records a deeper dive on a day (study/dives.py); it
  joins that week's plan and exports as an iCalendar event.

A session row is written when the session starts and its minutes are checkpointed while it runs, so a crash
or Ctrl-C still records the time spent (outcome `interrupted`). The browser's countdown is study/clock.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerwise.concepts.linking import ensure_linked
from layerwise.concepts.overlay import concept_map
from layerwise.concepts.progress import layers, mark
from layerwise.errors import LayerwiseError, NotFound
from layerwise.rank.profile import fingerprint, settings
from layerwise.records import Item
from layerwise.store import concepts as concept_rows
from layerwise.store import profile as plan_rows
from layerwise.store import sessions as session_rows
from layerwise.store import statuses as status_rows
from layerwise.study import notes
from layerwise.times import iso_week, local_stamp, parse_day, utc_precise
from layerwise.vocab import CONCEPT_LAYERS, OUTCOMES, REACHES, SESSION_LAYERS, STATUS_AFTER, at_least

if TYPE_CHECKING:
    from layerwise.library import Library

LAYERS = SESSION_LAYERS
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


def resolve(library: Library, ref: str) -> Target:
    """A concept slug, or anything `show` accepts for an item."""
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
        links = concept_rows.links_of_item(conn, item.library_id)
        track = next((p.track for p in plan_rows.picks(conn, iso_week()) if p.item_id == item.id), None)
    slugs = [link.slug for link in links
             if link.slug in cmap.concepts and (link.state == "confirmed" or link.confidence >= STRONG_LINK)][:MAX_CONCEPTS]
    area = cmap.concepts[links[0].slug].area if links and links[0].slug in cmap.concepts else None
    return Target(item.title, item=item, concepts=slugs, track=track, area=area)


@dataclass
class Begun:
    """A session just started: what it studies, how deep, for how long, and the note to write in."""

    session_id: int
    target: Target
    layer: str
    minutes: float
    note: Path


def begin(library: Library, ref: str, layer: str | None = None, minutes: float | None = None,
          on_clock: bool = False) -> Begun:
    """Start a session on an item or a concept: at the next layer for it unless one is given, for the
    configured timebox unless minutes are given, with its note ready to write in while reading. `on_clock`
    starts the clock kept in the database (the web app's countdown, study/clock.py)."""
    target = resolve(library, ref.strip())
    layer = layer or default_layer(library, target)
    minutes = minutes or settings(library).timebox
    note = note_for(library, target, layer)
    session_id = start(library, target, layer, minutes)
    if on_clock:
        with library.store.begin() as conn:
            session_rows.set_running_since(conn, session_id, utc_precise())
    return Begun(session_id, target, layer, minutes, note)


def start(library: Library, target: Target, layer: str, minutes: float) -> int:
    _check_layer(layer)
    if minutes <= 0:
        raise LayerwiseError("a session needs a positive number of minutes")
    with library.store.begin() as conn:
        if target.item is not None and target.track:  # one of this week's picks: studying it is taking it
            plan_rows.advance_pick(conn, iso_week(), target.item.library_id, "accepted")
        return session_rows.start(conn, item_id=target.item.id if target.item else None, slug=target.slug, layer=layer,
                                  minutes=minutes, track=target.track, area=target.area, at=local_stamp())


def checkpoint(library: Library, session_id: int, seconds: float, extended: bool = False) -> None:
    """Record the time spent so far (called while the countdown runs)."""
    with library.store.begin() as conn:
        session_rows.checkpoint(conn, session_id, seconds, extended)


def interrupt(library: Library, session_id: int) -> float:
    """Close a session cut short (Ctrl-C): the minutes checkpointed so far stay; returns them."""
    with library.store.begin() as conn:
        return session_rows.interrupt(conn, session_id, local_stamp()) / 60


def note_for(library: Library, target: Target, layer: str) -> Path:
    if target.item is not None:
        return notes.item_note(library, target.item, target.concepts, layer)
    if target.slug is None:
        raise LayerwiseError("a session studies an item or a concept")
    return notes.concept_note(library, target.slug, concept_map(library).concepts[target.slug].name, layer)


def finish(library: Library, session_id: int, target: Target, seconds: float, outcome: str,
           summary: str | None = None, when: str | None = None) -> Outcome:
    """Close a session with its decision: layers move forward, the item's status follows, a summary goes into
    the note, a deeper dive gets its day."""
    if outcome not in OUTCOMES:
        raise LayerwiseError(f"the outcome is one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if outcome == "schedule" and not when:
        raise LayerwiseError("schedule needs a day for the deeper dive (--when 2026-12-01, +3d, tomorrow, next-week)")
    day = parse_day(when) if outcome == "schedule" else None
    with library.store.begin() as conn:
        layer, planned_minutes = session_rows.layer_and_minutes(conn, session_id)
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
    # the layers a pick's session moved must not reshuffle the rest of the week the user is working through
    stamp = fingerprint(library) if target.item is not None and target.track else ""
    with library.store.begin() as conn:
        session_rows.close(conn, session_id, seconds, outcome, local_stamp())
        if target.item is not None and target.item.status != "done":
            status_rows.set_status(conn, [target.item.library_id], STATUS_AFTER[outcome], local_stamp())
        if target.item is not None and target.track:
            if outcome == "summarize":  # a pick studied and summed up is done
                plan_rows.advance_pick(conn, iso_week(), target.item.library_id, "done")
            plan_rows.restamp(conn, iso_week(), stamp)
        if day is not None:
            deeper = LAYERS[min(LAYERS.index(layer) + 1, len(LAYERS) - 1)]
            dive = {"item_id": target.item.id if target.item else None, "slug": target.slug, "layer": deeper,
                    "minutes": planned_minutes, "day": day.isoformat(), "session_id": session_id,
                    "created_at": local_stamp()}
            session_rows.add_dive(conn, dive)
            result.dive = {**dive, "title": target.title}
    return result


def log(library: Library, ref: str, layer: str, minutes: float, outcome: str, spent: float | None = None,
        summary: str | None = None, when: str | None = None) -> Outcome:
    """A session without the live timer (scripts, the web app, a session done away from the keyboard)."""
    target = resolve(library, ref)
    session_id = start(library, target, layer, minutes)
    return finish(library, session_id, target, 60 * (spent if spent is not None else minutes), outcome, summary, when)


def _check_layer(layer: str) -> None:
    if layer not in LAYERS:
        raise LayerwiseError(f"the layer is one of {', '.join(LAYERS)}, not {layer!r}")


def history(library: Library, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    """Sessions (oldest first) started in [since, until), as ISO timestamps or dates."""
    with library.store.begin() as conn:
        return session_rows.history(conn, since, until)


def default_layer(library: Library, target: Target) -> str:
    """The next layer: a deeper dive scheduled for this target, else one past the shallowest of its concepts."""
    with library.store.begin() as conn:
        dive = session_rows.due_dive_layer(conn, target.item.id if target.item else None, target.slug,
                                           date.today().isoformat())
    if dive:
        return dive
    current = layers(library)
    reached = [current.get(s, "none") for s in target.concepts]
    if not reached:
        return "skim"
    shallowest = min(CONCEPT_LAYERS.index(r) for r in reached)
    return LAYERS[min(shallowest, len(LAYERS) - 1)]
