"""The weekly review: what a week's picks became (summarised, done, scheduled deeper, bookmarked, started or
untouched), where the time went against the targets, which concepts moved a layer, which terms keep coming
back undefined, how many cards are due, and the digest's draft. Then a decision for each pick left untouched
(carry it into the next week, let it go back to the inbox without judgement, or schedule a deeper dive) and
the user's own reflection in the journal: layerwise lays out the facts and asks; the reflection is theirs.

A review is due for the latest week with a plan whose last study day has come, until it is marked reviewed
(reinforce/due.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from layerwise.concepts.overlay import concept_map
from layerwise.errors import LayerwiseError
from layerwise.rank import reasons
from layerwise.rank.profile import settings
from layerwise.reinforce import digest
from layerwise.reinforce.due import LOOK_BACK, due_week, review_day
from layerwise.store import cards as card_rows
from layerwise.store import concepts as concept_rows
from layerwise.store import profile as plan_rows
from layerwise.store import sessions as session_rows
from layerwise.store import statuses as status_rows
from layerwise.store.profile import Choice, StoredPick
from layerwise.study import glossary, journal
from layerwise.study.sessions import history
from layerwise.study.stats import time_spent
from layerwise.times import iso_week, local_stamp, parse_day, parse_slots, shift_week, utc_now, utc_stamp, week_days
from layerwise.vocab import CONCEPT_LAYERS, REVIEW_CHOICES, SESSION_LAYERS

if TYPE_CHECKING:
    from pathlib import Path

    from layerwise.library import Library

OPEN = ("untouched", "started")  # outcomes that ask for a decision
SESSION_OUTCOMES = {"summarize": "summarised", "schedule": "scheduled", "bookmark": "bookmarked"}


@dataclass
class PickReview:
    position: int
    item_id: int
    title: str
    track: str
    bucket: str
    outcome: str  # summarised, done, scheduled, bookmarked, started or untouched
    minutes: float
    layer: str | None  # the deepest layer studied that week
    committed: bool  # the user accepted it (or put it there), not only proposed
    choice: str | None = None  # carry, let-go or schedule, once decided
    day: str | None = None  # the day of a scheduled dive

    @property
    def open(self) -> bool:
        return self.outcome in OPEN


@dataclass
class Moved:
    slug: str
    name: str
    before: str
    after: str


@dataclass
class WeekReview:
    week: str
    picks: list[PickReview]
    let_go_during: int  # picks skipped or swapped during the week
    time: dict[str, Any]  # study/stats.py time_spent for the week
    moved: list[Moved]
    terms: list[str]  # recurring terms still undefined, as the glossary words them
    cards_due: int
    digest: list[str]  # titles of the digest draft's links
    reviewed_at: str | None
    reflection: str | None  # the journal file with the user's reflection, once written
    earlier: list[str] = field(default_factory=list)  # older weeks with a plan never reviewed

    @property
    def undecided(self) -> list[PickReview]:
        return [p for p in self.picks if p.open and p.choice is None]

    @property
    def studied(self) -> int:
        return sum(1 for p in self.picks if not p.open)


def default_week(library: Library, today: date | None = None) -> str:
    """The week `review-week` looks at: the one due, else the latest with a plan whose review day has come,
    else this week if it has a plan (a look back mid-week), else last week."""
    today = today or date.today()
    found = due_week(library, today)
    if found:
        return found
    this = iso_week(today)
    with library.store.begin() as conn:
        weeks = plan_rows.weeks_with_picks(conn, shift_week(this, -LOOK_BACK), this)
    last = parse_slots(settings(library).study_slots)[0][-1]
    return next((w for w in weeks if review_day(library, w, last) <= today), weeks[0] if weeks else shift_week(this, -1))


def review(library: Library, week: str, today: date | None = None) -> WeekReview:
    today = today or date.today()
    monday, sunday = week_days(week)
    after = (sunday + timedelta(days=1)).isoformat()
    sessions = history(library, monday.isoformat(), after)
    with library.store.begin() as conn:
        stored = plan_rows.picks(conn, week)
        decided = plan_rows.choices(conn, week)
        reviewed = plan_rows.reviewed_at(conn, week)
        changes = concept_rows.layer_changes(conn)
        earlier = [w for w in plan_rows.weeks_with_picks(conn, shift_week(week, -LOOK_BACK), shift_week(week, -1))
                   if not plan_rows.reviewed_at(conn, w)]
        cards_due = card_rows.due_count(conn, utc_now().isoformat())
    live = [p for p in stored if p.state != "skipped"]
    items = library.items_by_id([p.item_id for p in live])
    picks = [_pick_review(p, items[p.item_id].title, [s for s in sessions if s["item_id"] == p.item_id],
                          decided.get(p.item_id)) for p in live if p.item_id in items]
    reflection = _reflection_path(library, week)
    return WeekReview(
        week=week, picks=picks, let_go_during=len(stored) - len(live),
        time=time_spent(library, monday, sunday + timedelta(days=1)),
        moved=_moved(library, changes, monday.isoformat(), after),
        terms=glossary.surfaced(glossary.terms(library)),
        cards_due=cards_due,
        digest=[link.title for link in digest.links(library, week)],
        reviewed_at=reviewed, reflection=str(reflection) if reflection.exists() else None,
        earlier=earlier)


def _pick_review(pick: StoredPick, title: str, sessions: list[dict[str, Any]], choice: Choice | None) -> PickReview:
    outcomes = [s["outcome"] for s in sessions]
    if "summarize" in outcomes:
        outcome = "summarised"
    elif pick.state == "done":
        outcome = "done"
    elif "schedule" in outcomes:
        outcome = "scheduled"
    elif "bookmark" in outcomes:
        outcome = "bookmarked"
    else:
        outcome = "started" if sessions else "untouched"
    layer = max((s["layer"] for s in sessions), key=SESSION_LAYERS.index, default=None)
    return PickReview(pick.position, pick.item_id, title, pick.track, pick.bucket, outcome,
                      round(sum(s["seconds"] for s in sessions) / 60, 1), layer, pick.state != "proposed",
                      choice.choice if choice else None, choice.day if choice else None)


def _moved(library: Library, changes: list[tuple[str, str, str]], first: str, after: str) -> list[Moved]:
    """Concepts whose layer went deeper within [first, after): from where they stood before to where they ended."""
    before: dict[str, str] = {}
    end: dict[str, str] = {}
    for slug, layer, at in changes:
        if at < first:
            before[slug] = layer
        elif at < after:
            end[slug] = layer
    names = concept_map(library).concepts
    out = []
    for slug, layer in end.items():
        start = before.get(slug, "none")
        if CONCEPT_LAYERS.index(layer) > CONCEPT_LAYERS.index(start):
            out.append(Moved(slug, names[slug].name if slug in names else slug, start, layer))
    return sorted(out, key=lambda m: (-CONCEPT_LAYERS.index(m.after), m.name.casefold()))


# -- decisions -----------------------------------------------------------------------------------------------
def decide(library: Library, week: str, position: int, choice: str, when: str | None = None,
           today: date | None = None) -> Choice:
    """Carry the pick at this position into the next week, let it go back to the inbox, or schedule a deeper
    dive on a day (`when`: 2026-12-09, +3d, tomorrow, next-week). Deciding again replaces the earlier choice."""
    if choice not in REVIEW_CHOICES:
        raise LayerwiseError(f"a pick is carried, let go or scheduled ({', '.join(REVIEW_CHOICES)}), not {choice!r}")
    today = today or date.today()
    with library.store.begin() as conn:
        stored = {p.position: p for p in plan_rows.picks(conn, week) if p.state != "skipped"}
    pick = stored.get(position)
    if pick is None:
        raise LayerwiseError(f"the plan of {week} has no pick {position}"
                             + (f" (it has {', '.join(map(str, sorted(stored)))})" if stored else ""))
    if choice == "schedule" and not when:
        raise LayerwiseError("schedule needs a day for the deeper dive (2026-12-09, +3d, tomorrow, next-week)")
    day = parse_day(when, today) if choice == "schedule" else None
    now = utc_stamp()
    with library.store.begin() as conn:
        earlier = plan_rows.choices(conn, week).get(pick.item_id)
        if earlier is not None and earlier.choice != "let-go":
            _undo(conn, earlier, pick, week, today)
        item = library.store.items(conn, [pick.item_id])[0]
        if choice == "carry":
            _into_week(conn, next_week(week, today), pick, reasons.one("carried", f"carried over from {week}"))
        elif choice == "schedule" and day is not None:
            layer = _deeper(session_rows.layers_of_item(conn, pick.item_id))
            session_rows.add_dive(conn, {"item_id": pick.item_id, "slug": None, "layer": layer, "minutes":
                                         settings(library).timebox, "day": day.isoformat(), "session_id": None,
                                         "created_at": local_stamp()})
            _into_week(conn, iso_week(day), pick,
                       reasons.one("dive", f"the deeper dive ({layer}) you scheduled for {day} at the review of {week}"))
        # let go: back to the inbox, with no rating against it; carried or scheduled: planned again
        status = {("let-go", "planned"): "inbox", ("carry", "inbox"): "planned", ("schedule", "inbox"): "planned"}
        if (choice, item.status) in status:
            status_rows.set_status(conn, [pick.item_id], status[choice, item.status], now)
        made = Choice(pick.item_id, choice, day.isoformat() if day else None)
        plan_rows.save_choice(conn, week, made, now)
    return made


def next_week(week: str, today: date) -> str:
    """Where a carried pick goes: the week after the reviewed one, and never a week already past."""
    return max(shift_week(week, 1), iso_week(today))


def _deeper(layers: list[str]) -> str:
    """The layer after the deepest one studied (skim when none was)."""
    if not layers:
        return SESSION_LAYERS[0]
    deepest = max(SESSION_LAYERS.index(layer) for layer in layers)
    return SESSION_LAYERS[min(deepest + 1, len(SESSION_LAYERS) - 1)]


def _into_week(conn: Any, week: str, pick: StoredPick, reason: str) -> None:
    stored = plan_rows.picks(conn, week)
    existing = next((p for p in stored if p.item_id == pick.item_id), None)
    if existing is not None and existing.state in ("accepted", "done"):
        return
    position = existing.position if existing else max((p.position for p in stored), default=0) + 1
    plan_rows.save_pick(conn, StoredPick(week=week, item_id=pick.item_id, track=pick.track, position=position,
                                         reason=reason, state="accepted", bucket=pick.bucket,
                                         profile=stored[0].profile if stored else ""), utc_stamp())


def _undo(conn: Any, earlier: Choice, pick: StoredPick, week: str, today: date) -> None:
    """Take back what an earlier choice put into a later week, if that pick is still untouched there."""
    target = next_week(week, today) if earlier.choice == "carry" else iso_week(date.fromisoformat(str(earlier.day)))
    if any(p.item_id == pick.item_id and p.state == "accepted" and week in p.reason for p in plan_rows.picks(conn, target)):
        plan_rows.drop_pick(conn, target, pick.item_id)
    if earlier.choice == "schedule":
        session_rows.drop_dive(conn, pick.item_id, str(earlier.day))


def finish(library: Library, week: str) -> None:
    """Mark the week reviewed (the nudge stops); picks still undecided are left as they are."""
    with library.store.begin() as conn:
        plan_rows.mark_reviewed(conn, week, utc_stamp())


# -- the reflection ------------------------------------------------------------------------------------------
LEARNED = "What I learned"
CHANGE = "What I'll change"


def _reflection_path(library: Library, week: str) -> Path:
    return journal.journal_dir(library) / f"{week}.md"


def reflection_template(found: WeekReview) -> str:
    """The week's review as it goes into the journal: one line of facts, and the two sections the user writes."""
    return (f"## Week {found.week} review · {found.studied} of {len(found.picks)} picks studied, "
            f"{found.time['minutes']:.0f} min\n\n### {LEARNED}\n\n\n### {CHANGE}\n\n")


def save_reflection(library: Library, found: WeekReview, learned: str, change: str) -> Path | None:
    """Save the user's reflection in the journal (`journal/2026-W48.md`); nothing is saved when both are empty,
    and a saved one is never rewritten (the file is the user's to edit)."""
    if not learned.strip() and not change.strip():
        return None
    head = reflection_template(found).split("\n", 1)[0]
    return _write_new(library, found.week, f"{head}\n\n### {LEARNED}\n\n{learned.strip()}\n\n### {CHANGE}\n\n"
                                           f"{change.strip()}\n")


def save_written(library: Library, found: WeekReview, text: str) -> Path | None:
    """Save a reflection the user wrote into the template (in their editor); unchanged means none was written."""
    if text.strip() == reflection_template(found).strip():
        return None
    return _write_new(library, found.week, text if text.endswith("\n") else text + "\n")


def _write_new(library: Library, week: str, text: str) -> Path:
    path = _reflection_path(library, week)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except FileExistsError:
        raise LayerwiseError(f"the reflection on {week} is saved already; edit the file itself", where=str(path)) from None
    return path
