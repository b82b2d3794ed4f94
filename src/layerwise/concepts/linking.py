"""Linking items to concepts: a concept's name and aliases found in an item's title or abstract, through
the engine's full-text index, with a confidence (a title mention counts more than one in the abstract).
The user confirms or removes links; a removed link is never re-created, a confirmed one never lowered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from layerwise.errors import LayerwiseError, NotFound

if TYPE_CHECKING:
    from layerwise.library import Library

TITLE_CONFIDENCE = 0.9
ABSTRACT_CONFIDENCE = 0.6
MAX_LINKS_PER_CONCEPT = 5000  # an alias as common as "graph" must not link half the library


def _phrases(names: list[str]) -> list[str]:
    import re

    out = []
    for name in names:
        words = re.findall(r"\w+", name.lower())
        if words and len(" ".join(words)) >= 3:
            out.append(" ".join(words))
    return list(dict.fromkeys(out))


def _matches(library: Library, conn: Any, phrases: list[str], field: str | None) -> list[int]:
    if library.store.dialect == "postgresql":
        # the indexed tsvector finds candidates; ts_filter keeps the title (A) or title and abstract (A, C) weights
        query = " || ".join(f"phraseto_tsquery('english', :p{n})" for n in range(len(phrases)))
        weights = "{a}" if field == "title" else "{a,c}"
        params = {f"p{n}": p for n, p in enumerate(phrases)}
        sql = (f"SELECT id FROM items WHERE search @@ ({query}) AND ts_filter(search, '{weights}') @@ ({query}) "
               f"LIMIT {MAX_LINKS_PER_CONCEPT}")
        return [r[0] for r in conn.execute(text(sql), params)]
    match = " OR ".join(f'"{p}"' for p in phrases)
    if field:
        match = f"{{{field}}} : ({match})"
    return [r[0] for r in conn.execute(text(f"SELECT rowid FROM items_fts WHERE items_fts MATCH :m LIMIT {MAX_LINKS_PER_CONCEPT}"),
                                      {"m": match})]


def link_all(library: Library) -> dict[str, int]:
    """(Re)compute automatic links for every concept; returns links per concept."""
    from layerwise.concepts.progress import concept_map

    cmap = concept_map(library)
    counts = {}
    with library.store.begin() as conn:
        kept = {(r[0], r[1]) for r in conn.execute(text("SELECT item_id, slug FROM item_concepts WHERE state != 'auto'"))}
        conn.execute(text("DELETE FROM item_concepts WHERE state = 'auto'"))
        for concept in cmap.concepts.values():
            phrases = _phrases([concept.name, *concept.aliases])
            if not phrases:
                continue
            confidence: dict[int, float] = {}
            for item_id in _matches(library, conn, phrases, "abstract"):
                confidence[item_id] = ABSTRACT_CONFIDENCE
            for item_id in _matches(library, conn, phrases, "title"):
                confidence[item_id] = TITLE_CONFIDENCE
            rows = [{"i": i, "s": concept.slug, "c": c} for i, c in confidence.items() if (i, concept.slug) not in kept]
            if rows:
                conn.execute(text("INSERT INTO item_concepts (item_id, slug, confidence, state) VALUES (:i, :s, :c, 'auto')"), rows)
            counts[concept.slug] = len(confidence)
    return counts


def items_for(library: Library, slug: str, limit: int = 50) -> list[tuple[Any, float, str]]:
    """(item, confidence, state) for a concept, confirmed first, then by confidence; removed links left out.
    The first call on a library that was never linked links it."""
    with library.store.begin() as conn:
        never_linked = conn.execute(text("SELECT count(*) FROM item_concepts")).scalar() == 0
    if never_linked:
        link_all(library)
    with library.store.begin() as conn:
        rows = conn.execute(text("SELECT item_id, confidence, state FROM item_concepts WHERE slug = :s AND state != 'removed' "
                                 "ORDER BY state = 'confirmed' DESC, confidence DESC, item_id LIMIT :n"),
                            {"s": slug, "n": limit}).all()
        items = {i.id: i for i in library.store.items(conn, [r[0] for r in rows])}
    return [(items[r[0]], r[1], r[2]) for r in rows if r[0] in items]


def set_link(library: Library, ref: str, slug: str, state: str) -> int:
    """Confirm (creating it if needed) or remove the link between an item and a concept."""
    from layerwise.concepts.progress import concept_map

    if slug not in concept_map(library).concepts:
        raise NotFound(f"no concept {slug!r}")
    if state not in ("confirmed", "removed"):
        raise LayerwiseError(f"a link is confirmed or removed, not {state!r}")
    item_id = library.resolve(ref)
    with library.store.begin() as conn:
        conn.execute(text("DELETE FROM item_concepts WHERE item_id = :i AND slug = :s"), {"i": item_id, "s": slug})
        conn.execute(text("INSERT INTO item_concepts (item_id, slug, confidence, state) VALUES (:i, :s, 1.0, :st)"),
                     {"i": item_id, "s": slug, "st": state})
    return item_id
