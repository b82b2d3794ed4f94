"""The user's layer on each concept (with history), and links between items and concepts.

A link is `auto` (found by linking, with a confidence), `confirmed` or `removed` by the user; removed links
are kept so linking never re-creates them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerwise.store.sql import insert_many, me, rows, run, scalar, tuples

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# Confirmed links first, then the most confident: the order every "concepts of an item" list uses.
_BEST_FIRST = "ORDER BY state = 'confirmed' DESC, confidence DESC"

LINKS_CHANGED = "concept_links_changed"


@dataclass
class Link:
    item_id: int
    slug: str
    confidence: float
    state: str  # auto, confirmed or removed


@dataclass
class LinkedItem:
    """A link with the fields of its item that the plan's concept signals need."""

    item_id: int
    slug: str
    confidence: float
    kind: str
    status: str


# -- layers --------------------------------------------------------------------------------------------
def layer_changes(conn: Connection) -> list[tuple[str, str, str]]:
    """Every change of layer, oldest first: (slug, layer, at)."""
    return [(str(s), str(la), str(at)) for s, la, at in tuples(conn, "SELECT slug, layer, at FROM concept_layers "
                                                                      "WHERE person = :me ORDER BY id", {"me": me(conn)})]


def current_layers(conn: Connection) -> dict[str, str]:
    """The latest layer of every concept that has one."""
    return {slug: layer for slug, layer in tuples(conn, "SELECT slug, layer FROM concept_layers WHERE person = :me ORDER BY id",
                                                  {"me": me(conn)})}


def layer_history(conn: Connection, slug: str) -> list[dict[str, Any]]:
    return rows(conn, "SELECT layer, source, at FROM concept_layers WHERE person = :me AND slug = :s ORDER BY id",
                {"s": slug, "me": me(conn)})


def add_layer(conn: Connection, slug: str, layer: str, source: str, at: str) -> None:
    run(conn, "INSERT INTO concept_layers (person, slug, layer, source, at) VALUES (:me, :s, :l, :src, :at)",
        {"s": slug, "l": layer, "src": source, "at": at, "me": me(conn)})


# -- links -----------------------------------------------------------------------------------------------
def links_of_item(conn: Connection, item_id: int) -> list[Link]:
    """The item's concepts (removed links left out), confirmed first, then by confidence."""
    found = tuples(conn, f"SELECT item_id, slug, confidence, state FROM item_concepts WHERE item_id = :i "
                         f"AND state != 'removed' {_BEST_FIRST}, slug", {"i": item_id})
    return [Link(*r) for r in found]


def links_of_items(conn: Connection, item_ids: Sequence[int] | None = None) -> list[Link]:
    """Links (removed ones left out) of these items, or of every item, confirmed first, then by confidence."""
    if item_ids is None:
        found = tuples(conn, f"SELECT item_id, slug, confidence, state FROM item_concepts WHERE state != 'removed' "
                             f"{_BEST_FIRST}, slug")
    elif not item_ids:
        return []
    else:
        found = tuples(conn, f"SELECT item_id, slug, confidence, state FROM item_concepts WHERE item_id IN :ids "
                             f"AND state != 'removed' {_BEST_FIRST}, slug", {"ids": list(item_ids)}, "ids")
    return [Link(*r) for r in found]


def links_of_concept(conn: Connection, slug: str, limit: int) -> list[Link]:
    found = tuples(conn, f"SELECT item_id, slug, confidence, state FROM item_concepts WHERE slug = :s "
                         f"AND state != 'removed' {_BEST_FIRST}, item_id LIMIT :n", {"s": slug, "n": limit})
    return [Link(*r) for r in found]


def linked_items(conn: Connection, slugs: Sequence[str]) -> list[LinkedItem]:
    """The links of these concepts, with each item's kind and status."""
    if not slugs:
        return []
    found = tuples(conn, "SELECT c.item_id, c.slug, c.confidence, i.kind, coalesce(s.status, 'inbox') FROM item_concepts c "
                         "JOIN items i ON i.id = c.item_id LEFT JOIN item_status s ON s.item_id = i.id AND s.person = :me "
                         "WHERE c.state != 'removed' AND c.slug IN :s", {"s": list(slugs), "me": me(conn)}, "s")
    return [LinkedItem(*r) for r in found]


def strongest_link(conn: Connection, slugs: Sequence[str]) -> list[tuple[int, float]]:
    """(item, its most confident link to any of these concepts), aggregated in the database."""
    return [(int(i), float(c)) for i, c in tuples(
        conn, "SELECT item_id, max(confidence) FROM item_concepts WHERE state != 'removed' AND slug IN :s "
              "GROUP BY item_id", {"s": list(slugs) or [""]}, "s")]


def linked_pairs(conn: Connection, states: Iterable[str] | None = None) -> set[tuple[int, str]]:
    """(item, concept) of every link, or of links in these states."""
    if states is None:
        return {(int(i), s) for i, s in tuples(conn, "SELECT item_id, slug FROM item_concepts")}
    return {(int(i), s) for i, s in tuples(conn, "SELECT item_id, slug FROM item_concepts WHERE state IN :st",
                                           {"st": list(states)}, "st")}


def drop_auto_links(conn: Connection, since: int) -> None:
    """Forget automatic links of items above an id (they are about to be computed again)."""
    run(conn, "DELETE FROM item_concepts WHERE state = 'auto' AND item_id > :since", {"since": since})
    _touch(conn)


def add_links(conn: Connection, slug_by_item: Iterable[tuple[int, str, float]], state: str) -> None:
    """New links (item, concept, confidence) in one state."""
    insert_many(conn, "item_concepts", ("item_id", "slug", "confidence", "state"),
                ((i, s, float(c), state) for i, s, c in slug_by_item))
    _touch(conn)


def set_link(conn: Connection, item_id: int, slug: str, state: str) -> None:
    """The user's word on one link: confirmed or removed, whatever linking had found."""
    run(conn, "DELETE FROM item_concepts WHERE item_id = :i AND slug = :s", {"i": item_id, "s": slug})
    add_links(conn, [(item_id, slug, 1.0)], state)


def links_state(conn: Connection) -> str:
    """Changes when links are added, dropped, confirmed or removed (a stamp each change writes: counting 230k
    links took 40 ms of every inbox page)."""
    return str(scalar(conn, f"SELECT value FROM meta WHERE key = '{LINKS_CHANGED}'") or "")


def _touch(conn: Connection) -> None:
    run(conn, f"INSERT INTO meta (key, value) VALUES ('{LINKS_CHANGED}', :v) "
              "ON CONFLICT (key) DO UPDATE SET value = excluded.value", {"v": uuid.uuid4().hex})  # two linkers may meet
