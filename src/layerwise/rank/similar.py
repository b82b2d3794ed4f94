"""Items most like one item: the default ranker, and the signals it combines.

score = z(tf-idf cosine) + z(embedding cosine), z-scored over the candidates so neither signal's scale
dominates, then one round of pseudo-relevance feedback (Rocchio 1971): the query vectors move half-way
towards the mean of the five best candidates and everything is scored again. Measured on CSFCube in
benchmarks/bench_relevance.py, against BM25 and arxiv-sanity's tf-idf + SVM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from layerwise.errors import LayerwiseError, NotFound
from layerwise.rank.works import SAME_WORK
from layerwise.represent.index import load_index
from layerwise.represent.scores import zscore
from layerwise.store import graph as graph_rows

if TYPE_CHECKING:
    from layerwise.library import Library
    from layerwise.represent.indexed import Index

FEEDBACK_DOCS = 5
FEEDBACK_WEIGHT = 0.5


def rank_rows(index: Index, query_row: int, rows: np.ndarray) -> np.ndarray:
    """Scores for candidate rows (the query's own row excluded by the caller). The rows are gathered once for
    both rounds: each gathering is a page fault or more per row in a new process."""
    lexical, dense = index.tfidf.take(rows), index.dense[rows]  # tf-idf rows are L2-normalised: a dot is a cosine
    q_lex = index.tfidf.row(query_row)
    q_dense = index.dense[query_row]
    combined = zscore(lexical.dot(q_lex)) + zscore(dense @ q_dense)
    if len(rows) > 2 * FEEDBACK_DOCS:
        top = rows[np.argsort(-combined)[:FEEDBACK_DOCS]]
        q_lex = q_lex + FEEDBACK_WEIGHT * index.tfidf.mean(top)
        q_dense = q_dense + FEEDBACK_WEIGHT * index.dense[top].mean(axis=0)
        combined = zscore(lexical.dot(q_lex)) + zscore(dense @ q_dense)
    return combined


PREFILTER = 1000



def _one_copy(library: Library, index: Index, query_row: int, rows: np.ndarray, order: np.ndarray,
              limit: int | None) -> np.ndarray:
    """The ranking without second copies of a work (a preprint and its proceedings version), looking only as far
    down as the page needs."""
    wanted = (limit or len(order)) * 2 + 10
    head = [int(rows[i]) for i in order[:wanted]]
    with library.store.reading() as conn:
        keys = {i: k for i, (_, k) in graph_rows.titles(conn, [int(index.ids[r]) for r in head + [query_row]]).items()}
    kept: list[int] = [query_row]
    seen = {keys.get(int(index.ids[query_row]))} - {None}
    out = []
    for position, row in zip(order[:wanted], head):
        key = keys.get(int(index.ids[row]))
        if (key and key in seen) or float((index.dense[kept] @ index.dense[row]).max()) >= SAME_WORK:
            continue
        out.append(position)
        kept.append(row)
        if key:
            seen.add(key)
    return np.concatenate([np.array(out, dtype=order.dtype), order[wanted:]])


@dataclass
class Ranked:
    item_id: int
    ref: str  # as the user gave it in --among, else the item's own best reference
    score: float


@dataclass
class SimilarResult:
    results: list[Ranked]
    unknown: list[str] = field(default_factory=list)  # --among references that match no item
    duplicates: list[str] = field(default_factory=list)  # --among references naming an item listed already


def similar(library: Library, ref: str, among: Sequence[str] | None = None, limit: int | None = 20) -> SimilarResult:
    """Items most like `ref`, best first: exactly the items named in `among`, or else the whole library."""
    query_id = library.resolve(ref)
    result = SimilarResult([])
    given: dict[int, str] = {}
    if among is not None:
        for candidate in among:
            try:
                item_id = library.resolve(candidate)
            except NotFound:
                result.unknown.append(candidate)
                continue
            if item_id in given or item_id == query_id:
                result.duplicates.append(candidate)
            else:
                given[item_id] = candidate
        if not given:
            raise LayerwiseError("--among names no item of the library other than the query itself")
    index = load_index(library)
    query_row = int(index.rows([query_id])[0])
    if among is None:
        if len(index.ids) < 2:
            return result
        # over the whole library, the full ranker sees the best candidates of either signal; scored on the
        # whole matrices (slicing out the query row would copy them) with the query masked afterwards
        lexical = index.tfidf.dot(index.tfidf.row(query_row))
        dense = index.dense @ index.dense[query_row]
        lexical[query_row] = dense[query_row] = -np.inf
        k = min(PREFILTER, len(index.ids) - 1)
        # joined in Python: np.union1d imports numpy.ma (12 ms of a new process)
        best = set(np.argpartition(-lexical, k - 1)[:k].tolist()) | set(np.argpartition(-dense, k - 1)[:k].tolist())
        rows = np.array(sorted(best), dtype=np.int64)
        rows = rows[rows != query_row]
    else:
        rows = index.rows(list(given))
    scores = rank_rows(index, query_row, rows)
    order = np.argsort(-scores, kind="stable")
    if among is None:  # over the whole library: one copy of each work, and none of the query's own work
        order = _one_copy(library, index, query_row, rows, order, limit)
    order = order[:limit] if limit else order
    ids = [int(index.ids[rows[i]]) for i in order]
    refs = given if among is not None else library.display_refs(ids)
    result.results = [Ranked(item_id, refs[item_id], round(float(scores[i]), 4)) for item_id, i in zip(ids, order)]
    return result
