"""The profile and the weekly plan: focuses, feedback on items, and the picks of each ISO week."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from layerwise.store.sql import me, rows, text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass
class Focus:
    id: int
    track: str  # need or want
    text: str
    added_at: str


@dataclass
class StoredPick:
    """A pick as the week's plan keeps it, with the fingerprint of the profile it was chosen under."""

    week: str
    item_id: int
    track: str
    position: int
    reason: str
    state: str  # proposed, accepted, skipped or done
    bucket: str  # core, adjacent or moonshot
    profile: str


def focuses(conn: Connection) -> list[Focus]:
    return [Focus(**r) for r in rows(conn, "SELECT id, track, text, added_at FROM focuses WHERE person = :me ORDER BY id",
                                     {"me": me(conn)})]


def add_focus(conn: Connection, track: str, focus: str, now: str) -> None:
    conn.execute(text("INSERT INTO focuses (person, track, text, added_at) VALUES (:me, :t, :x, :n)"),
                 {"me": me(conn), "t": track, "x": focus, "n": now})


def remove_focus(conn: Connection, focus_id: int) -> int:
    return conn.execute(text("DELETE FROM focuses WHERE id = :i AND person = :me"), {"i": focus_id, "me": me(conn)}).rowcount


def add_feedback(conn: Connection, item_id: int, signal: int, reason: str, now: str) -> None:
    conn.execute(text("INSERT INTO feedback (person, item_id, signal, reason, at) VALUES (:me, :i, :s, :r, :n)"),
                 {"me": me(conn), "i": item_id, "s": signal, "r": reason, "n": now})


def feedback(conn: Connection) -> dict[int, int]:
    """Each item's latest signal (+1 or -1): a later rating overrides an earlier one."""
    rows = conn.execute(text("SELECT item_id, signal FROM feedback WHERE person = :me ORDER BY id"), {"me": me(conn)}).all()
    return {r[0]: r[1] for r in rows}


def feedback_stamp(conn: Connection) -> str:
    # only explicit ratings: accepting or skipping a pick must not reshuffle the rest of the week
    return str(conn.execute(text("SELECT count(*) || ':' || coalesce(max(id), 0) FROM feedback WHERE reason = 'rated' "
                                 "AND person = :me"), {"me": me(conn)}).scalar())


def picks(conn: Connection, week: str) -> list[StoredPick]:
    found = rows(conn, "SELECT week, item_id, track, position, reason, state, bucket, profile FROM picks "
                       "WHERE person = :me AND week = :w ORDER BY position", {"w": week, "me": me(conn)})
    return [StoredPick(**r) for r in found]


def save_pick(conn: Connection, pick: StoredPick, now: str) -> None:
    """Write a pick of the week (replacing the item's earlier pick that week, if any)."""
    values = {**asdict(pick), "me": me(conn)}
    conn.execute(text("DELETE FROM picks WHERE person = :me AND week = :week AND item_id = :item_id"), values)
    conn.execute(text("INSERT INTO picks (person, week, item_id, track, position, reason, state, bucket, profile, added_at) "
                      "VALUES (:me, :week, :item_id, :track, :position, :reason, :state, :bucket, :profile, :now)"),
                 {**values, "now": now})


def bucket_history(conn: Connection, track: str, before_week: str) -> dict[str, int]:
    """How many picks of each bucket a track got in earlier weeks (skipped ones do not count)."""
    rows = conn.execute(text("SELECT bucket, count(*) FROM picks WHERE person = :me AND track = :t AND week < :w "
                             "AND state != 'skipped' GROUP BY bucket"), {"t": track, "w": before_week, "me": me(conn)}).all()
    return {r[0]: r[1] for r in rows}


def set_pick_state(conn: Connection, week: str, item_id: int, state: str) -> None:
    conn.execute(text("UPDATE picks SET state = :s WHERE person = :me AND week = :w AND item_id = :i"),
                 {"s": state, "w": week, "i": item_id, "me": me(conn)})


def advance_pick(conn: Connection, week: str, item_id: int, state: str) -> None:
    """Move a pick forward (proposed, then accepted, then done), never back and never out of skipped."""
    earlier = {"accepted": "('proposed')", "done": "('proposed', 'accepted')"}[state]
    conn.execute(text(f"UPDATE picks SET state = :s WHERE person = :me AND week = :w AND item_id = :i AND state IN {earlier}"),
                 {"s": state, "w": week, "i": item_id, "me": me(conn)})


def drop_pick(conn: Connection, week: str, item_id: int) -> None:
    conn.execute(text("DELETE FROM picks WHERE person = :me AND week = :w AND item_id = :i"),
                 {"w": week, "i": item_id, "me": me(conn)})


def drop_proposed(conn: Connection, week: str) -> None:
    conn.execute(text("DELETE FROM picks WHERE person = :me AND week = :w AND state = 'proposed'"), {"w": week, "me": me(conn)})


def restamp(conn: Connection, week: str, stamp: str) -> None:
    """The week's picks count as chosen under this profile (acting on one pick must not reshuffle the others)."""
    conn.execute(text("UPDATE picks SET profile = :p WHERE person = :me AND week = :w"), {"p": stamp, "w": week, "me": me(conn)})


def bucket_of_items(conn: Connection) -> dict[int, str]:
    """The bucket each item was last picked in (for time spent per core/adjacent/moonshot)."""
    return {r[0]: r[1] for r in conn.execute(text("SELECT item_id, bucket FROM picks WHERE person = :me ORDER BY week"),
                                             {"me": me(conn)})}


# -- the weekly review -----------------------------------------------------------------------------------
@dataclass
class Choice:
    """What the weekly review made of an untouched pick: carry, let-go or schedule (with the dive's day)."""

    item_id: int
    choice: str
    day: str | None


def weeks_with_picks(conn: Connection, first: str, last: str) -> list[str]:
    """ISO weeks from first to last (inclusive) that have a plan, newest first."""
    return [r["week"] for r in rows(conn, "SELECT DISTINCT week FROM picks WHERE person = :me AND week >= :a "
                                          "AND week <= :b ORDER BY week DESC", {"a": first, "b": last, "me": me(conn)})]


def reviewed_at(conn: Connection, week: str) -> str | None:
    found = rows(conn, "SELECT reviewed_at FROM week_reviews WHERE person = :me AND week = :w", {"w": week, "me": me(conn)})
    return str(found[0]["reviewed_at"]) if found else None


def mark_reviewed(conn: Connection, week: str, now: str) -> None:
    conn.execute(text("DELETE FROM week_reviews WHERE person = :me AND week = :w"), {"w": week, "me": me(conn)})
    conn.execute(text("INSERT INTO week_reviews (person, week, reviewed_at) VALUES (:me, :w, :n)"),
                 {"w": week, "n": now, "me": me(conn)})


def choices(conn: Connection, week: str) -> dict[int, Choice]:
    found = rows(conn, "SELECT item_id, choice, day FROM review_choices WHERE person = :me AND week = :w",
                 {"w": week, "me": me(conn)})
    return {r["item_id"]: Choice(**r) for r in found}


def save_choice(conn: Connection, week: str, choice: Choice, now: str) -> None:
    conn.execute(text("DELETE FROM review_choices WHERE person = :me AND week = :w AND item_id = :i"),
                 {"w": week, "i": choice.item_id, "me": me(conn)})
    conn.execute(text("INSERT INTO review_choices (person, week, item_id, choice, day, at) VALUES (:me, :w, :i, :c, :d, :n)"),
                 {"w": week, "i": choice.item_id, "c": choice.choice, "d": choice.day, "n": now, "me": me(conn)})
