"""The reference graph: citations between items, endorsements by curated lists, and items only mentioned."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from layerwise.store.sql import chunks, column, id_list, rows, run, tuples

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def add_citations(conn: Connection, citations: Sequence[dict[str, Any]]) -> None:
    """Rows of from_item, target, to_item, context, origin, added_at; a citation already known keeps its first
    context but learns the item it resolves to."""
    run(conn, "INSERT INTO citations (from_item, target, to_item, context, origin, added_at) "
              "VALUES (:from_item, :target, :to_item, :context, :origin, :added_at) "
              "ON CONFLICT (from_item, target) DO UPDATE SET to_item = coalesce(citations.to_item, excluded.to_item)",
        citations)


def add_endorsements(conn: Connection, endorsements: Sequence[dict[str, Any]]) -> None:
    run(conn, "INSERT INTO endorsements (list, item_id, context, added_at) VALUES (:list, :item_id, :context, :added_at) "
              "ON CONFLICT DO NOTHING", endorsements)


def add_mentions(conn: Connection, item_ids: Iterable[int], stamp: str) -> None:
    run(conn, "INSERT INTO mentions (item_id, added_at) VALUES (:item_id, :added_at) ON CONFLICT DO NOTHING",
        [{"item_id": i, "added_at": stamp} for i in item_ids])


def drop_mentions(conn: Connection, item_ids: Sequence[int]) -> None:
    for chunk in chunks(list(item_ids)):
        run(conn, f"DELETE FROM mentions WHERE item_id IN ({id_list(chunk)})")


def mentioned(conn: Connection, item_ids: Sequence[int] | None = None) -> set[int]:
    """Which of these items (or which items at all) are only mentioned, not captured."""
    if item_ids is None:
        return set(column(conn, "SELECT item_id FROM mentions"))
    found: set[int] = set()
    for chunk in chunks(list(item_ids)):
        found.update(column(conn, f"SELECT item_id FROM mentions WHERE item_id IN ({id_list(chunk)})"))
    return found


def pending_targets(conn: Connection) -> set[str]:
    """Targets cited but not resolved to an item yet (links to pages not captured)."""
    return set(column(conn, "SELECT DISTINCT target FROM citations WHERE to_item IS NULL"))


def resolve(conn: Connection, target_items: dict[str, int]) -> None:
    run(conn, "UPDATE citations SET to_item = :item_id WHERE target = :target AND to_item IS NULL",
        [{"target": t, "item_id": i} for t, i in target_items.items()])


def cited_by(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    """The items citing this one, with the context of each citation."""
    return rows(conn, "SELECT from_item AS item_id, context, origin FROM citations WHERE to_item = :id "
                      "ORDER BY added_at, from_item", {"id": item_id})


def cites(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    """What this item cites: resolved items and targets still unresolved, in the order they were found."""
    return rows(conn, "SELECT to_item AS item_id, target, context, origin FROM citations WHERE from_item = :id "
                      "ORDER BY added_at, target", {"id": item_id})


def endorsed_by(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    return rows(conn, "SELECT list, context FROM endorsements WHERE item_id = :id ORDER BY list", {"id": item_id})


def citation_edges(conn: Connection) -> list[tuple[int, int]]:
    """Every resolved (citing item, cited item) pair."""
    return tuples(conn, "SELECT from_item, to_item FROM citations WHERE to_item IS NOT NULL AND to_item <> from_item")


def endorsement_edges(conn: Connection) -> list[tuple[str, int, str | None]]:
    """(list, item, the heading it is listed under)."""
    return tuples(conn, "SELECT list, item_id, context FROM endorsements")


def external_counts(conn: Connection) -> list[tuple[int, int, int | None]]:
    """(item, cited-by count, year) for items an outside source counted citations of."""
    return tuples(conn, "SELECT id, cited_by, year FROM items WHERE cited_by IS NOT NULL")


def counts(conn: Connection, item_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(cited by items in the library, endorsed by lists) per item."""
    out: dict[int, tuple[int, int]] = {}
    for chunk in chunks(list(item_ids)):
        marks = id_list(chunk)
        cited = dict(tuples(conn, f"SELECT to_item, count(*) FROM citations WHERE to_item IN ({marks}) GROUP BY to_item"))
        endorsed = dict(tuples(conn, f"SELECT item_id, count(*) FROM endorsements WHERE item_id IN ({marks}) GROUP BY item_id"))
        for i in chunk:
            out[int(i)] = (int(cited.get(i, 0)), int(endorsed.get(i, 0)))
    return out


def dates(conn: Connection) -> list[tuple[int, str | None, int | None]]:
    """(item, published, year) of every item: how recent each is."""
    return tuples(conn, "SELECT id, published, year FROM items")


def remove_citations(conn: Connection, item_id: int) -> None:
    """Forget what an item cites (before it is read again, or to leave it out of a measurement)."""
    run(conn, "DELETE FROM citations WHERE from_item = :id", {"id": item_id})


def fold(conn: Connection, placeholder: int, into: int) -> None:
    """Fold a mentioned placeholder into the item it turned out to be (the work was in the library under its
    title, without the id the citation used): its citations, endorsements, references and tags move over."""
    params = {"ph": placeholder, "into": into}
    run(conn, "UPDATE citations SET to_item = :into WHERE to_item = :ph", params)
    run(conn, "INSERT INTO endorsements (list, item_id, context, added_at) SELECT list, :into, context, added_at "
              "FROM endorsements WHERE item_id = :ph ON CONFLICT DO NOTHING", params)
    run(conn, "UPDATE item_refs SET item_id = :into WHERE item_id = :ph", params)
    run(conn, "INSERT INTO item_tags (item_id, tag) SELECT :into, tag FROM item_tags WHERE item_id = :ph "
              "ON CONFLICT DO NOTHING", params)
    keys = rows(conn, "SELECT arxiv_id, doi FROM items WHERE id = :ph", params)
    run(conn, "DELETE FROM items WHERE id = :ph", params)
    if keys:
        run(conn, "UPDATE items SET arxiv_id = coalesce(arxiv_id, :arxiv), doi = coalesce(doi, :doi) WHERE id = :into",
            {**params, "arxiv": keys[0]["arxiv_id"], "doi": keys[0]["doi"]})


def cited_in_library(conn: Connection, item_id: int) -> int:
    """How many captured items this item cites."""
    return int(column(conn, "SELECT count(*) FROM citations c WHERE c.from_item = :id AND c.to_item IS NOT NULL "
                            "AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.item_id = c.to_item)", {"id": item_id})[0])


def known_refs(conn: Connection, source: str, refs: Sequence[str]) -> set[str]:
    """Which of these references of a source (OpenAlex ids, say) name an item of the library."""
    found: set[str] = set()
    for chunk in chunks(list(refs)):
        found.update(column(conn, "SELECT ref FROM item_refs WHERE source = :source AND ref IN :refs",
                            {"source": source, "refs": list(chunk)}, "refs"))
    return found


def enrich_candidates(conn: Connection, since: str | None, source: str, again: bool = False) -> list[int]:
    """Captured items with a DOI or an arXiv id that this source has not enriched yet (or all of them, `again`),
    added since a date when one is given."""
    where = ["(items.doi IS NOT NULL OR items.arxiv_id IS NOT NULL)",
             "NOT EXISTS (SELECT 1 FROM mentions m WHERE m.item_id = items.id)"]
    if not again:
        where.append("NOT EXISTS (SELECT 1 FROM item_refs r WHERE r.item_id = items.id AND r.source = :source)")
    params: dict[str, Any] = {"source": source}
    if since:
        where.append("items.added_at >= :since")
        params["since"] = since
    return column(conn, f"SELECT id FROM items WHERE {' AND '.join(where)} ORDER BY id", params)


def state(conn: Connection) -> tuple[object, ...]:
    """Changes whenever the graph does: citations added or resolved, endorsements added."""
    return (*tuples(conn, "SELECT count(*), count(to_item), max(added_at) FROM citations")[0],
            *tuples(conn, "SELECT count(*), max(added_at) FROM endorsements")[0])


def titles(conn: Connection, item_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    """(title, title key) per item: what reasons quote and what tells two copies of one work apart."""
    out: dict[int, tuple[str, str | None]] = {}
    for chunk in chunks(list(item_ids), 500):
        out.update((r[0], (r[1], r[2])) for r in tuples(conn, f"SELECT id, title, title_key FROM items WHERE id IN ({id_list(chunk)})"))
    return out


def summary(conn: Connection) -> dict[str, int]:
    """The graph in numbers: citations (resolved to a captured item or not), endorsing lists, mentioned works."""
    cited, resolved = tuples(conn, "SELECT count(*), count(to_item) FROM citations")[0]
    lists, endorsed = tuples(conn, "SELECT count(DISTINCT list), count(*) FROM endorsements")[0]
    return {"citations": int(cited), "citations_resolved": int(resolved), "lists": int(lists),
            "endorsements": int(endorsed), "mentioned": int(column(conn, "SELECT count(*) FROM mentions")[0]),
            "counted": int(column(conn, "SELECT count(*) FROM items WHERE cited_by IS NOT NULL")[0])}
