"""Reviewing due cards with FSRS (the maintained `fsrs` package does the scheduling): each grade updates the
card's memory state and due date, and is logged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from layerwise.errors import LayerwiseError, NotFound

if TYPE_CHECKING:
    from layerwise.library import Library

GRADES = {"again": 1, "hard": 2, "good": 3, "easy": 4}


@dataclass
class DueCard:
    id: int
    question: str
    answer: str
    deck: str
    kind: str
    due: str
    reviews: int


def due(library: Library, limit: int | None = None, at: datetime | None = None) -> list[DueCard]:
    """Cards due now (or at `at`), most overdue first."""
    moment = (at or datetime.now(timezone.utc)).isoformat()
    sql = ("SELECT c.id, c.question, c.answer, c.deck, c.kind, c.due, "
           "(SELECT count(*) FROM reviews r WHERE r.card_id = c.id) AS reviews "
           "FROM cards c WHERE c.retired = 0 AND c.due <= :now ORDER BY c.due, c.id")
    if limit:
        sql += f" LIMIT {int(limit)}"
    with library.store.begin() as conn:
        return [DueCard(*r) for r in conn.execute(text(sql), {"now": moment})]


def grade(library: Library, card_id: int, rating: str | int, at: datetime | None = None) -> dict[str, Any]:
    """Record a review: FSRS computes the new state and due date; returns them."""
    from fsrs import Card, Rating, Scheduler

    value = GRADES.get(str(rating).lower()) if not isinstance(rating, int) else rating
    if value not in (1, 2, 3, 4):
        raise LayerwiseError(f"grade with again, hard, good or easy (1-4), not {rating!r}")
    moment = at or datetime.now(timezone.utc)
    with library.store.begin() as conn:
        row = conn.execute(text("SELECT fsrs FROM cards WHERE id = :id AND retired = 0"), {"id": card_id}).scalar()
        if row is None:
            raise NotFound(f"no card {card_id}")
        card, log = Scheduler().review_card(Card.from_dict(json.loads(row)), Rating(value), review_datetime=moment)
        conn.execute(text("UPDATE cards SET fsrs = :f, due = :d, updated_at = :t WHERE id = :id"),
                     {"f": json.dumps(card.to_dict()), "d": card.due.isoformat(), "t": moment.isoformat(), "id": card_id})
        conn.execute(text("INSERT INTO reviews (card_id, rating, reviewed_at, log) VALUES (:c, :r, :t, :l)"),
                     {"c": card_id, "r": value, "t": moment.isoformat(), "l": json.dumps(log.to_dict())})
    return {"card": card_id, "rating": value, "due": card.due.isoformat(), "stability": card.stability,
            "difficulty": card.difficulty}


def summary(results: list[dict[str, Any]], library: Library) -> dict[str, Any]:
    with library.store.begin() as conn:
        left = conn.execute(text("SELECT count(*) FROM cards WHERE retired = 0 AND due <= :now"),
                            {"now": datetime.now(timezone.utc).isoformat()}).scalar()
        upcoming = conn.execute(text("SELECT min(due) FROM cards WHERE retired = 0 AND due > :now"),
                                {"now": datetime.now(timezone.utc).isoformat()}).scalar()
    counts = {name: sum(1 for r in results if r["rating"] == value) for name, value in GRADES.items()}
    return {"reviewed": len(results), **counts, "still_due": left, "next_due": upcoming}
