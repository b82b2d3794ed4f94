"""Reviewing due cards with FSRS (the maintained `fsrs` package does the scheduling): each grade updates the
card's memory state and due date, and is logged."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from layerwise.errors import LayerwiseError, NotFound
from layerwise.store import cards as card_rows
from layerwise.store.cards import DueCard
from layerwise.times import utc_now

if TYPE_CHECKING:
    from layerwise.library import Library

GRADES = {"again": 1, "hard": 2, "good": 3, "easy": 4}


def due(library: Library, limit: int | None = None, at: datetime | None = None) -> list[DueCard]:
    """Cards due now (or at `at`), most overdue first."""
    moment = (at or utc_now()).isoformat()
    with library.store.begin() as conn:
        return card_rows.due(conn, moment, limit)


def grade(library: Library, card_id: int, rating: str | int, at: datetime | None = None) -> dict[str, Any]:
    """Record a review: FSRS computes the new state and due date; returns them."""
    from fsrs import Card, Rating, Scheduler

    value = GRADES.get(str(rating).lower()) if not isinstance(rating, int) else rating
    if value not in (1, 2, 3, 4):
        raise LayerwiseError(f"grade with again, hard, good or easy (1-4), not {rating!r}")
    moment = at or utc_now()
    with library.store.begin() as conn:
        state = card_rows.memory_state(conn, card_id)
        if state is None:
            raise NotFound(f"no card {card_id}")
        card, log = Scheduler().review_card(Card.from_dict(json.loads(state)), Rating(value), review_datetime=moment)
        card_rows.record_review(conn, card_id, state=json.dumps(card.to_dict()), due_at=card.due.isoformat(),
                                rating=value, at=moment.isoformat(), log=json.dumps(log.to_dict()))
    return {"card": card_id, "rating": value, "due": card.due.isoformat(), "stability": card.stability,
            "difficulty": card.difficulty}


def summary(results: list[dict[str, Any]], library: Library) -> dict[str, Any]:
    with library.store.begin() as conn:
        left = card_rows.due_count(conn, utc_now().isoformat())
        upcoming = card_rows.next_due(conn, utc_now().isoformat())
    counts = {name: sum(1 for r in results if r["rating"] == value) for name, value in GRADES.items()}
    return {"reviewed": len(results), **counts, "still_due": left, "next_due": upcoming}
