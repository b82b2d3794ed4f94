"""Deeper dives: what a session scheduled for a later day, listed and exported as iCalendar events."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from layerwise.concepts.overlay import concept_map
from layerwise.store import sessions as session_rows
from layerwise.times import utc_now

if TYPE_CHECKING:
    from layerwise.library import Library


def dives(library: Library, since: date | None = None) -> list[dict[str, Any]]:
    """Scheduled deeper dives from a day on (today by default), soonest first, with what they are about."""
    since = since or date.today()
    with library.store.begin() as conn:
        rows = session_rows.dives_from(conn, since.isoformat())
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
        event.add("dtstamp", utc_now())
        if row.get("url"):
            event.add("url", row["url"])
        event.add("description", f"layerwise study {row['item_id'] or row['slug']} --layer {row['layer']} "
                                 f"--minutes {row['minutes']:g}")
        calendar.add_component(event)
    return calendar.to_ical()
