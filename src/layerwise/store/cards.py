"""Spaced-repetition cards (from notes, the glossary or Anki decks) with their FSRS state, and every review.

A card's `origin` says where it came from (`note:PATH`, `glossary`, `anki:DECK-FILE`) and `position` where in
that origin; a card gone from its origin is retired, never deleted, so its review history stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerwise.store.sql import me, rows, run, scalar, tuples

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass
class DueCard:
    id: int
    question: str
    answer: str
    deck: str
    kind: str
    due: str
    reviews: int


def due(conn: Connection, moment: str, limit: int | None = None) -> list[DueCard]:
    """Active cards due by a moment, most overdue first, with how often each was reviewed."""
    sql = ("SELECT c.id, c.question, c.answer, c.deck, c.kind, c.due, "
           "(SELECT count(*) FROM reviews r WHERE r.card_id = c.id) AS reviews "
           "FROM cards c WHERE c.person = :me AND c.retired = 0 AND c.due <= :now ORDER BY c.due, c.id")
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [DueCard(*r) for r in tuples(conn, sql, {"now": moment, "me": me(conn)})]


def due_count(conn: Connection, moment: str) -> int:
    return int(scalar(conn, "SELECT count(*) FROM cards WHERE person = :me AND retired = 0 AND due <= :now",
                      {"now": moment, "me": me(conn)}) or 0)


def next_due(conn: Connection, moment: str) -> str | None:
    value = scalar(conn, "SELECT min(due) FROM cards WHERE person = :me AND retired = 0 AND due > :now",
                   {"now": moment, "me": me(conn)})
    return None if value is None else str(value)


def memory_state(conn: Connection, card_id: int) -> str | None:
    """The FSRS state (JSON) of an active card, or None when there is no such card."""
    value = scalar(conn, "SELECT fsrs FROM cards WHERE id = :id AND person = :me AND retired = 0", {"id": card_id, "me": me(conn)})
    return None if value is None else str(value)


def record_review(conn: Connection, card_id: int, *, state: str, due_at: str, rating: int, at: str, log: str) -> None:
    if scalar(conn, "SELECT 1 FROM cards WHERE id = :id AND person = :me", {"id": card_id, "me": me(conn)}) is None:
        return  # not this person's card: callers check first (memory_state), this keeps it so
    run(conn, "UPDATE cards SET fsrs = :f, due = :d, updated_at = :t WHERE id = :id",
        {"f": state, "d": due_at, "t": at, "id": card_id})
    run(conn, "INSERT INTO reviews (card_id, rating, reviewed_at, log) VALUES (:c, :r, :t, :l)",
        {"c": card_id, "r": rating, "t": at, "l": log})


def from_notes(conn: Connection) -> list[dict[str, Any]]:
    """Cards that came from notes or the glossary (retired ones too)."""
    return rows(conn, "SELECT id, origin, position, kind, question, answer, deck, retired FROM cards "
                      "WHERE person = :me AND (origin = 'glossary' OR origin LIKE 'note:%')", {"me": me(conn)})


def positions(conn: Connection, origin: str) -> dict[int, int]:
    """position -> card id of every card from one origin."""
    return {int(p): int(i) for p, i in tuples(conn, "SELECT position, id FROM cards WHERE person = :me AND origin = :o",
                                              {"o": origin, "me": me(conn)})}


def add(conn: Connection, *, origin: str, position: int, kind: str, question: str, answer: str, deck: str,
        state: str, due_at: str, at: str, fields: str | None = None) -> None:
    run(conn, "INSERT INTO cards (person, origin, position, kind, question, answer, deck, fields, fsrs, due, created_at, "
              "updated_at) VALUES (:me, :o, :p, :k, :q, :a, :d, :fl, :f, :due, :t, :t)",
        {"o": origin, "p": position, "k": kind, "q": question, "a": answer, "d": deck, "fl": fields, "f": state,
         "due": due_at, "t": at, "me": me(conn)})


def update_text(conn: Connection, card_id: int, *, question: str, answer: str, deck: str, at: str,
                position: int | None = None, fields: str | None = None) -> None:
    """New wording for a card (its memory state stays); an imported card also gets its fields and is active again."""
    if fields is None:
        run(conn, "UPDATE cards SET question = :q, answer = :a, position = :p, deck = :d, updated_at = :t "
                  "WHERE id = :id AND person = :me",
            {"q": question, "a": answer, "p": position, "d": deck, "t": at, "id": card_id, "me": me(conn)})
    else:
        run(conn, "UPDATE cards SET question = :q, answer = :a, deck = :d, fields = :fl, retired = 0, updated_at = :t "
                  "WHERE id = :id AND person = :me",
            {"q": question, "a": answer, "d": deck, "fl": fields, "t": at, "id": card_id, "me": me(conn)})


def retire(conn: Connection, card_id: int, at: str) -> None:
    run(conn, "UPDATE cards SET retired = 1, updated_at = :t WHERE id = :id AND person = :me",
        {"t": at, "id": card_id, "me": me(conn)})


def active(conn: Connection) -> list[dict[str, Any]]:
    """Every active card, by deck, for export."""
    return rows(conn, "SELECT id, origin, position, kind, question, answer, deck, fields FROM cards "
                      "WHERE person = :me AND retired = 0 ORDER BY deck, id", {"me": me(conn)})
