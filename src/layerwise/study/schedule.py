"""The week's timeboxes in the calendar: one event per pick still to study, at the user's study slots (the
days and start time in `study_slots`, one timebox long), the week's deeper dives, and the weekly review.
UIDs are stable, so exporting again updates the same events in any calendar instead of adding copies."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from layerwise.rank.plan import week_plan
from layerwise.rank.profile import settings
from layerwise.study import sessions
from layerwise.study.dives import dives
from layerwise.times import iso_week, parse_slots, utc_now, week_days

if TYPE_CHECKING:
    from layerwise.library import Library

GAP = timedelta(minutes=15)  # between two sessions on one day
REVIEW_MINUTES = 30


def week_ics(library: Library, week: str | None = None) -> bytes:
    """An iCalendar file for a week (this one by default)."""
    from icalendar import Calendar, Event

    week = week or iso_week()
    prefs = settings(library)
    days, start = parse_slots(prefs.study_slots)
    monday, _ = week_days(week)
    plan = week_plan(library, week)
    todo = [p for p in plan.picks if p.state != "done"]
    items = library.items_by_id([p.item_id for p in todo])
    box = timedelta(minutes=prefs.timebox)
    calendar = Calendar()
    calendar.add("prodid", "-//layerwise//weekly plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"layerwise {week}")
    stamp = utc_now()
    slots = _slots(monday, days, start, box, len(todo))
    for pick, begins in zip(todo, slots):
        item = items[pick.item_id]
        layer = sessions.default_layer(library, sessions.resolve(library, str(pick.item_id)))
        event = Event()
        event.add("uid", f"pick-{week}-{pick.item_id}@layerwise")
        event.add("summary", f"Study ({layer}, {prefs.timebox:g} min): {item.title}")
        event.add("dtstart", begins)
        event.add("dtend", begins + box)
        event.add("dtstamp", stamp)
        event.add("description", f"{pick.track}: {pick.because}\n\nlayerwise study pick:{pick.position} --layer {layer}"
                                 + (f"\n{item.url}" if item.url else ""))
        if item.url:
            event.add("url", item.url)
        calendar.add_component(event)
    sunday = monday + timedelta(days=6)
    for dive in dives(library, monday):
        day = date.fromisoformat(dive["day"])
        if day > sunday:
            continue
        event = Event()
        event.add("uid", f"dive-{dive['id']}@layerwise")  # the same event `layerwise dives --ics` writes
        event.add("summary", f"Deeper dive ({dive['layer']}, {dive['minutes']:g} min): {dive['title']}")
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("dtstamp", stamp)
        calendar.add_component(event)
    review = datetime.combine(monday + timedelta(days=days[-1]), start) + len(
        [s for s in slots if s.date() == monday + timedelta(days=days[-1])]) * (box + GAP)
    event = Event()
    event.add("uid", f"review-{week}@layerwise")
    event.add("summary", "Weekly review: what this week's picks became, and next week's plan")
    event.add("dtstart", review)
    event.add("dtend", review + timedelta(minutes=REVIEW_MINUTES))
    event.add("dtstamp", stamp)
    event.add("description", "layerwise review-week (or the weekly review page of layerwise serve)")
    calendar.add_component(event)
    return calendar.to_ical()


def _slots(monday: date, days: list[int], start: time, box: timedelta, count: int) -> list[datetime]:
    """Start times for `count` sessions: one per study day in turn, then a second on each, and so on."""
    out = []
    for n in range(count):
        day = monday + timedelta(days=days[n % len(days)])
        out.append(datetime.combine(day, start) + (n // len(days)) * (box + GAP))
    return out
