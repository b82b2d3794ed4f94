"""Linking items to concepts: a concept's name and aliases found in an item's title or abstract, through
the engine's full-text index, with a confidence (a title mention counts more than one in the abstract);
items no name matched get their most similar concept by embedding, with a lower confidence.
Linking is incremental: only items added since the last run, unless the map itself changed.
The user confirms or removes links; a removed link is never re-created, a confirmed one never lowered."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from layerwise.concepts.graph import Concept, ConceptMap
from layerwise.concepts.overlay import concept_map
from layerwise.errors import LayerwiseError, NotFound
from layerwise.records import Item
from layerwise.represent.dense import encoder_for
from layerwise.represent.index import load_index
from layerwise.represent.scores import zscore
from layerwise.store import concepts as concept_rows
from layerwise.store.search import phrase_matches

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from sqlalchemy.engine import Connection

    from layerwise.library import Library

TITLE_CONFIDENCE = 0.9
ABSTRACT_CONFIDENCE = 0.6
MAX_LINKS_PER_CONCEPT = 5000  # an alias as common as "graph" must not link half the library


def _phrases(names: list[str]) -> list[str]:
    out = []
    for name in names:
        words = re.findall(r"\w+", name.lower())
        if words and len(" ".join(words)) >= 3:
            out.append(" ".join(words))
    return list(dict.fromkeys(out))


def _matches(conn: Connection, phrases: list[str], field: str, since: int = 0) -> list[int]:
    return phrase_matches(conn, phrases, field, since, MAX_LINKS_PER_CONCEPT)


def _names_found(library: Library, concept: Concept, phrases: list[str], since: int) -> tuple[list[int], list[int]]:
    """Items above `since` with one of a concept's names in the abstract (when the concept matches "any"), and
    in the title."""
    with library.store.reading() as conn:
        return (_matches(conn, phrases, "abstract", since) if concept.match == "any" else [],
                _matches(conn, phrases, "title", since))


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
    parts = [LINKER_VERSION] + [f"{c.slug}|{c.match}|{concept_text(c)}" for c in sorted(cmap.concepts.values(),
                                                                                      key=lambda c: c.slug)]
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _linking_due(library: Library) -> tuple[bool, int, int]:
    """(whether the map changed since the last linking, the last item linked, the newest item)."""
    cmap = concept_map(library)
    with library.store.begin() as conn:
        upto = int(library.store.meta(conn, "links_upto") or 0)
        same_map = library.store.meta(conn, "links_map") == _signature(cmap)
        newest = library.store.max_item_id(conn)
    return not same_map, upto, newest


def unlinked(library: Library) -> int:
    """About how many items `ensure_linked` would link now: those added since the last run, or every item
    when the map itself changed (0: nothing to do)."""
    changed, upto, newest = _linking_due(library)
    if changed:
        with library.store.begin() as conn:
            return library.store.change_state(conn)[0]
    return max(0, newest - upto)


def ensure_linked(library: Library) -> None:
    """Link what is not linked yet: new items since the last run, or everything when the map changed."""
    changed, upto, newest = _linking_due(library)
    if changed:
        link_all(library)
    elif newest > upto:
        link_all(library, since=upto)


class _Similarity:
    """z(embedding cosine) + z(tf-idf cosine) of the library's items with each concept, one concept at a time."""

    BLOCK = 32  # concepts whose cosines are computed together

    def __init__(self, library: Library, cmap: ConceptMap) -> None:
        import numpy as np

        self.index = load_index(library)
        self.concepts = list(cmap.concepts.values())
        texts = [concept_text(c) for c in self.concepts]
        self.dense = encoder_for(library.home.config()).encode(texts)
        self.lexical = self.index.vectorize(texts)
        self.row = {int(i): r for r, i in enumerate(self.index.ids)}
        self.best = np.full(len(self.index.ids), -np.inf)
        self.best_concept = np.zeros(len(self.index.ids), dtype=int)
        self.cosines, self.first = np.zeros((0, len(self.index.ids)), dtype=np.float32), 0

    def column(self, j: int) -> Any:
        import numpy as np

        if not self.first <= j < self.first + len(self.cosines):  # a block of concepts per pass over the
            self.first = j  # embeddings (174 MB at 170k items), not one
            # a concept's cosines in a row of their own: read down a column of the product, each of the 170k
            # values in its own cache line, its two z-scores took half of linking's scoring
            self.cosines = np.ascontiguousarray((self.index.dense @ self.dense[j:j + self.BLOCK].T).T)
        # through the index's postings: only the concept's terms are read, not every row (9 s -> 1 s at 170k items)
        lexical = self.index.tfidf.dot(self.lexical[j].toarray().ravel())
        score = zscore(self.cosines[j - self.first]) + zscore(lexical)
        better = score > self.best
        self.best[better], self.best_concept[better] = score[better], j
        return score


def link_all(library: Library, since: int = 0) -> dict[str, int]:
    """(Re)compute automatic links for items with an id above `since` (all by default): a concept's names found
    in the title, or in the abstract of an item a little closer to the concept than usual; then, for items no
    name matched, the concept whose text is by far the most similar. Returns links per concept."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    cmap = concept_map(library)
    similarity = _Similarity(library, cmap)
    counts: dict[str, int] = {}
    # the names are looked up in the full-text index on a second thread (the engine's C code, outside Python's
    # lock) while this one scores and writes: ~2 s of 7 at 170k items
    searcher = ThreadPoolExecutor(1)
    with searcher_ends(searcher), library.store.begin(writer=True) as conn:  # with the write lock: two processes
        # preparing take turns, and no other writer adds items while the names are looked up
        found = {c.slug: searcher.submit(_names_found, library, c, names, since)
                 for c in similarity.concepts if (names := _phrases([c.name, *c.aliases]))}
        kept = concept_rows.linked_pairs(conn, states=("confirmed", "removed"))
        concept_rows.drop_auto_links(conn, since)
        named: set[int] = set()
        for j, concept in enumerate(similarity.concepts):
            score = similarity.column(j)
            if concept.slug not in found:  # no name to look for
                continue
            in_abstract, in_title = found[concept.slug].result()
            confidence: dict[int, float] = {}
            for item_id in in_abstract:
                row = similarity.row.get(item_id)
                if row is not None and score[row] >= NAME_MIN_SIMILARITY:
                    confidence[item_id] = ABSTRACT_CONFIDENCE
            for item_id in in_title:
                confidence[item_id] = TITLE_CONFIDENCE
            _insert(conn, concept.slug, confidence, kept)
            named.update(confidence)
            counts[concept.slug] = len(confidence)
        closest: dict[str, dict[int, float]] = {}  # items no name matched: their most similar concept, if close
        ids = similarity.index.ids
        close = (ids > since) & (similarity.best >= SIMILARITY_MIN) & ~np.isin(ids, np.fromiter(named, np.int64, len(named)))
        for item_id, j in zip(ids[close].tolist(), similarity.best_concept[close].tolist(), strict=True):
            closest.setdefault(similarity.concepts[j].slug, {})[item_id] = SIMILARITY_CONFIDENCE
        for slug, confidence in closest.items():  # one statement per concept, not per item
            _insert(conn, slug, confidence, kept)
            counts[slug] = counts.get(slug, 0) + len(confidence)
        library.store.set_meta(conn, "links_upto", str(library.store.max_item_id(conn)))
        library.store.set_meta(conn, "links_map", _signature(cmap))
    return counts


@contextmanager
def searcher_ends(searcher: Executor) -> Iterator[None]:
    """The lookups not yet run are dropped when linking ends early (Ctrl-C, an error): it does not wait for them."""
    try:
        yield
    finally:
        searcher.shutdown(wait=False, cancel_futures=True)


def _insert(conn: Connection, slug: str, confidence: dict[int, float], kept: set[tuple[int, str]]) -> None:
    concept_rows.add_links(conn, [(i, slug, c) for i, c in confidence.items() if (i, slug) not in kept], "auto")


def items_for(library: Library, slug: str, limit: int = 50) -> list[tuple[Item, float, str]]:
    """(item, confidence, state) for a concept, confirmed first, then by confidence; removed links left out.
    Items added since the last linking are linked first."""
    ensure_linked(library)
    with library.store.begin() as conn:
        links = concept_rows.links_of_concept(conn, slug, limit)
        items = {i.id: i for i in library.store.items(conn, [link.item_id for link in links])}
    return [(items[link.item_id], link.confidence, link.state) for link in links if link.item_id in items]


def set_link(library: Library, ref: str, slug: str, state: str) -> int:
    """Confirm (creating it if needed) or remove the link between an item and a concept."""
    if slug not in concept_map(library).concepts:
        raise NotFound(f"no concept {slug!r}")
    if state not in ("confirmed", "removed"):
        raise LayerwiseError(f"a link is confirmed or removed, not {state!r}")
    item_id = library.resolve(ref)
    with library.store.begin() as conn:
        concept_rows.set_link(conn, item_id, slug, state)
    return item_id


def concepts_of(library: Library, item_ids: list[int], per_item: int = 3) -> dict[int, list[str]]:
    """The concepts each item is linked to, best first (confirmed, then most confident), removed links left out."""
    if not item_ids:
        return {}
    ensure_linked(library)
    out: dict[int, list[str]] = {}
    with library.store.begin() as conn:
        for link in concept_rows.links_of_items(conn, item_ids):
            if len(out.setdefault(link.item_id, [])) < per_item:
                out[link.item_id].append(link.slug)
    return out
