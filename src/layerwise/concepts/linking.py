"""Linking items to concepts: a concept's name and aliases found in an item's title or abstract, through
the engine's full-text index, with a confidence (a title mention counts more than one in the abstract);
items no name matched get their most similar concept by embedding, with a lower confidence.
Linking is incremental: only items added since the last run, unless the map itself changed.
The user confirms or removes links; a removed link is never re-created, a confirmed one never lowered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from layerwise.errors import LayerwiseError, NotFound

if TYPE_CHECKING:
    from layerwise.concepts.graph import Concept, ConceptMap
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


def _matches(library: Library, conn: Any, phrases: list[str], field: str | None, since: int = 0) -> list[int]:
    if library.store.dialect == "postgresql":
        # the indexed tsvector finds candidates; ts_filter keeps the title (A) or title and abstract (A, C) weights
        query = " || ".join(f"phraseto_tsquery('english', :p{n})" for n in range(len(phrases)))
        weights = "{a}" if field == "title" else "{a,c}"
        params = {f"p{n}": p for n, p in enumerate(phrases)}
        sql = (f"SELECT id FROM items WHERE id > :since AND search @@ ({query}) "
               f"AND ts_filter(search, '{weights}') @@ ({query}) LIMIT {MAX_LINKS_PER_CONCEPT}")
        return [r[0] for r in conn.execute(text(sql), {**params, "since": since})]
    match = " OR ".join(f'"{p}"' for p in phrases)
    if field:
        match = f"{{{field}}} : ({match})"
    sql = f"SELECT rowid FROM items_fts WHERE items_fts MATCH :m AND rowid > :since LIMIT {MAX_LINKS_PER_CONCEPT}"
    return [r[0] for r in conn.execute(text(sql), {"m": match, "since": since})]


# Text similarity of an item and a concept is z(embedding cosine) + z(tf-idf cosine), each standardised over
# the library for that concept: how unusually close this item is to the concept. Thresholds were chosen on
# hand-checked links (benchmarks/bench_linking.py): raw cosines of a static model say little on their own.
NAME_MIN_SIMILARITY = 1.0  # a name found only in the abstract must also be a little closer than usual
SIMILARITY_MIN = 17.0  # an item no name matched gets its most similar concept only when far above usual
SIMILARITY_CONFIDENCE = 0.4  # below every name match
LINKER_VERSION = "3"  # bump when the linking rules change, so libraries relink


def concept_text(concept: Concept) -> str:
    return ". ".join([concept.name, ", ".join(concept.aliases), concept.description])


def _signature(cmap: ConceptMap) -> str:
    import hashlib

    parts = [LINKER_VERSION] + [f"{c.slug}|{c.match}|{concept_text(c)}" for c in sorted(cmap.concepts.values(),
                                                                                      key=lambda c: c.slug)]
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def ensure_linked(library: Library) -> None:
    """Link what is not linked yet: new items since the last run, or everything when the map changed."""
    from layerwise.concepts.progress import concept_map

    cmap = concept_map(library)
    with library.store.begin() as conn:
        upto = int(library.store.meta(conn, "links_upto") or 0)
        same_map = library.store.meta(conn, "links_map") == _signature(cmap)
        newest = library.store.max_item_id(conn)
    if not same_map:
        link_all(library)
    elif newest > upto:
        link_all(library, since=upto)


class _Similarity:
    """z(embedding cosine) + z(tf-idf cosine) of the library's items with each concept, one concept at a time."""

    def __init__(self, library: Library, cmap: ConceptMap) -> None:
        import numpy as np

        from layerwise.rank.dense import encoder_for
        from layerwise.rank.index import load_index

        self.index = load_index(library)
        self.concepts = list(cmap.concepts.values())
        texts = [concept_text(c) for c in self.concepts]
        self.dense = encoder_for(library.home.config()).encode(texts)
        self.lexical = self.index.vectorize(texts)
        self.row = {int(i): r for r, i in enumerate(self.index.ids)}
        self.best = np.full(len(self.index.ids), -np.inf)
        self.best_concept = np.zeros(len(self.index.ids), dtype=int)

    def column(self, j: int) -> Any:
        import numpy as np

        from layerwise.rank.similar import zscore

        lexical = np.asarray((self.index.tfidf @ self.lexical[j].T).todense()).ravel()
        score = zscore(self.index.dense @ self.dense[j]) + zscore(lexical)
        better = score > self.best
        self.best[better], self.best_concept[better] = score[better], j
        return score


def link_all(library: Library, since: int = 0) -> dict[str, int]:
    """(Re)compute automatic links for items with an id above `since` (all by default): a concept's names found
    in the title, or in the abstract of an item a little closer to the concept than usual; then, for items no
    name matched, the concept whose text is by far the most similar. Returns links per concept."""
    from layerwise.concepts.progress import concept_map

    cmap = concept_map(library)
    similarity = _Similarity(library, cmap)
    counts: dict[str, int] = {}
    with library.store.begin() as conn:
        kept = {(r[0], r[1]) for r in conn.execute(text("SELECT item_id, slug FROM item_concepts WHERE state != 'auto'"))}
        conn.execute(text("DELETE FROM item_concepts WHERE state = 'auto' AND item_id > :since"), {"since": since})
        named: set[int] = set()
        for j, concept in enumerate(similarity.concepts):
            score = similarity.column(j)
            phrases = _phrases([concept.name, *concept.aliases])
            if not phrases:
                continue
            confidence: dict[int, float] = {}
            if concept.match == "any":
                for item_id in _matches(library, conn, phrases, "abstract", since):
                    row = similarity.row.get(item_id)
                    if row is not None and score[row] >= NAME_MIN_SIMILARITY:
                        confidence[item_id] = ABSTRACT_CONFIDENCE
            for item_id in _matches(library, conn, phrases, "title", since):
                confidence[item_id] = TITLE_CONFIDENCE
            _insert(conn, concept.slug, confidence, kept)
            named.update(confidence)
            counts[concept.slug] = len(confidence)
        for row in (r for r, i in enumerate(similarity.index.ids) if i > since and int(i) not in named):
            if similarity.best[row] >= SIMILARITY_MIN:
                slug = similarity.concepts[similarity.best_concept[row]].slug
                _insert(conn, slug, {int(similarity.index.ids[row]): SIMILARITY_CONFIDENCE}, kept)
                counts[slug] = counts.get(slug, 0) + 1
        library.store.set_meta(conn, "links_upto", str(library.store.max_item_id(conn)))
        library.store.set_meta(conn, "links_map", _signature(cmap))
    return counts


def _insert(conn: Any, slug: str, confidence: dict[int, float], kept: set[tuple[int, str]]) -> None:
    rows = [{"i": i, "s": slug, "c": c} for i, c in confidence.items() if (i, slug) not in kept]
    if rows:
        conn.execute(text("INSERT INTO item_concepts (item_id, slug, confidence, state) VALUES (:i, :s, :c, 'auto')"), rows)


def items_for(library: Library, slug: str, limit: int = 50) -> list[tuple[Any, float, str]]:
    """(item, confidence, state) for a concept, confirmed first, then by confidence; removed links left out.
    Items added since the last linking are linked first."""
    ensure_linked(library)
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
