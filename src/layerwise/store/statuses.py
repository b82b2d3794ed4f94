"""Each person's status of the items (planned, reading, done, archived, dropped): one person finishing a paper
does not take it out of anyone else's plan. Only statuses other than inbox have a row; an item without one is
in the person's inbox. A status changes nothing the item representations are made of."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from layerwise.store.sql import column, me, run, scalar, text, tuples

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# the acting person's status of `items.id`, as a column of a SELECT from items
MINE = "coalesce((SELECT s.status FROM item_status s WHERE s.person = :me AND s.item_id = items.id), 'inbox') AS status"


def set_status(conn: Connection, item_ids: Sequence[int], status: str, now: str) -> None:
    mine = [{"id": i, "status": status, "now": now, "me": me(conn)} for i in item_ids]
    run(conn, "DELETE FROM item_status WHERE person = :me AND item_id = :id", mine)
    if status != "inbox":
        run(conn, "INSERT INTO item_status (person, item_id, status, at) VALUES (:me, :id, :status, :now)", mine)


def state(conn: Connection, statuses: Sequence[str]) -> tuple[int, str]:
    """How many items the acting person has in these statuses, and when one last got there."""
    row = conn.execute(text("SELECT count(*), max(at) FROM item_status WHERE person = :me AND status IN :s", "s"),
                       {"me": me(conn), "s": list(statuses)}).one()
    return int(row[0]), str(row[1] or "")


def ids_with(conn: Connection, statuses: Sequence[str]) -> set[int]:
    return set(column(conn, "SELECT item_id FROM item_status WHERE person = :me AND status IN :s",
                      {"s": list(statuses), "me": me(conn)}, "s"))


def counts(conn: Connection) -> list[tuple[Any, int]]:
    """Items per status of the acting person, most first (every item without a status of theirs is in the inbox)."""
    found = tuples(conn, "SELECT status, count(*) FROM item_status WHERE person = :me GROUP BY status", {"me": me(conn)})
    inbox = int(scalar(conn, "SELECT count(*) FROM items")) - sum(int(n) for _, n in found)
    return sorted([("inbox", inbox), *((s, int(n)) for s, n in found)], key=lambda c: (-c[1], c[0]))
