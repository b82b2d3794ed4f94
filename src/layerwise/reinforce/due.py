"""What is due: the weekly review (from the week's last study day until it is done) and today's timebox (once
its start has passed with no session). Kept light, because the nudge after every command asks it (cli/nudge.py
shows it on a terminal only, never with --json; `config set nudge off` silences it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from layerwise.rank.profile import settings
from layerwise.store import profile as plan_rows
from layerwise.store import sessions as session_rows
from layerwise.times import iso_week, parse_slots, shift_week, week_days

if TYPE_CHECKING:
    from layerwise.library import Library

LOOK_BACK = 8  # weeks: older plans are history, not a review that is due
GRACE = timedelta(minutes=15)  # after a timebox's start before it counts as not happened


def review_day(library: Library, week: str, last_study_day: int | None = None) -> date:
    """The week's last study day (from `study_slots`, unless given as a weekday number): when its review is due."""
    if last_study_day is None:
        last_study_day = parse_slots(settings(library).study_slots)[0][-1]
    return week_days(week)[0] + timedelta(days=last_study_day)


def due_week(library: Library, today: date | None = None) -> str | None:
    """The week whose review is due: the latest week with a plan whose review day has come, unless reviewed."""
    today = today or date.today()
    this = iso_week(today)
    with library.store.begin() as conn:
        weeks = plan_rows.weeks_with_picks(conn, shift_week(this, -LOOK_BACK), this)
        last = parse_slots(settings(library).study_slots)[0][-1]
        latest = next((w for w in weeks if review_day(library, w, last) <= today), None)
        if latest is None or plan_rows.reviewed_at(conn, latest):
            return None
    return latest


def nudges(library: Library, now: datetime | None = None) -> list[str]:
    """What is due, in a few words each: the weekly review, and today's timebox once its start has passed."""
    now = now or datetime.now()
    today = now.date()
    out = []
    week = due_week(library, today)
    if week:
        out.append(f"the review of {week} is due: `layerwise review-week`")
    days, start = parse_slots(settings(library).study_slots)
    if today.weekday() in days and now >= datetime.combine(today, start) + GRACE:
        with library.store.begin() as conn:
            studied = session_rows.history(conn, today.isoformat(), (today + timedelta(days=1)).isoformat())
            waiting = [p for p in plan_rows.picks(conn, iso_week(today)) if p.state in ("accepted", "proposed")]
        if not studied:
            if waiting:
                first = min(waiting, key=lambda p: (p.state != "accepted", p.position))
                out.append(f"today's {start:%H:%M} timebox has not happened yet: `layerwise study pick:{first.position}`")
    return out
