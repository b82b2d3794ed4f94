"""Time for layerwise: the stamps it stores and the ISO weeks and days the plan and study work in.

Four stamps, each kept for a reason (rows written by earlier versions compare with new ones as text):
- `utc_stamp()`: when a row was added or changed (items, feedback, picks, layers), UTC to the second;
- `change_stamp()`: an item's last change, UTC to the microsecond, which the index's updates follow;
- `local_stamp()`: when a study session started or ended, in the user's own time zone, because the journal
  and the stats count the user's days;
- `utc_precise()`: the running clock of a session in the browser, UTC to the millisecond.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from layerwise.errors import LayerwiseError


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_stamp() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def change_stamp() -> str:
    """An item's change stamp: to the microsecond, and taken under the library's write lock, so writers (which
    take turns) stamp in the order they commit and never share a stamp: what changed since an index was written
    is everything stamped after the newest stamp it saw. It sorts with the second-stamps of older versions."""
    return utc_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def local_stamp() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def utc_precise() -> str:
    return utc_now().isoformat(timespec="milliseconds")


def seconds_since(stamp: str) -> float:
    """Seconds from a stored `utc_precise` stamp to now; never negative, so a clock set back eats no time."""
    return max(0.0, (utc_now() - datetime.fromisoformat(stamp)).total_seconds())


def iso_week(day: date | None = None) -> str:
    """The ISO week of a day (today by default) as 2026-W49."""
    year, week, _ = (day or date.today()).isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(value: str | None) -> str:
    """An ISO week as the user wrote it (2026-W48), checked; this week when empty."""
    if not value:
        return iso_week()
    try:
        if not re.fullmatch(r"\d{4}-W\d{2}", value):
            raise ValueError(value)
        week_days(value)
    except ValueError:
        raise LayerwiseError(f"a week looks like 2026-W48, not {value!r}") from None
    return value


def shift_week(week: str, weeks: int) -> str:
    """The ISO week `weeks` after (or, negative, before) a week."""
    return iso_week(week_days(week)[0] + timedelta(weeks=weeks))


def week_days(week: str) -> tuple[date, date]:
    """The Monday and the Sunday of an ISO week written as 2026-W49."""
    year, number = (int(x) for x in week.split("-W"))
    monday = date.fromisocalendar(year, number, 1)
    return monday, monday + timedelta(days=6)


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


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_slots(value: str) -> tuple[list[int], time]:
    """Study slots as `mon,wed,fri 08:00`: the weekdays (0 = Monday) and the time of day sessions start."""
    days_text, _, clock = value.strip().lower().partition(" ")
    days = [DAYS.index(d.strip()[:3]) for d in days_text.split(",") if d.strip()[:3] in DAYS]
    try:
        start = time.fromisoformat(clock.strip())
    except ValueError:
        start = None
    if not days or start is None or len(days) != len([d for d in days_text.split(",") if d.strip()]):
        raise LayerwiseError(f"study_slots are days and a time such as \"mon,wed,fri 08:00\", not {value!r}")
    return sorted(set(days)), start
