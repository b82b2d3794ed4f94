"""A per-person linear model on tf-idf once there are enough likes: likes against dislikes and a sample of
unjudged items (weak negatives, as arxiv-sanity and Scholar Inbox use the rest of the library). Measured in
benchmarks/bench_personal.py: as good as arxiv-sanity's SVM over the whole library at a quarter of the time;
the same model on embeddings found a third as many of a curator's hidden picks."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

from layerwise.represent.scores import zscore

if TYPE_CHECKING:
    from layerwise.represent.indexed import Index

MIN_LABELS = 5
UNLABELLED_NEGATIVES = 10000
KEPT = 32  # models kept: a few per person of a team

# (index, likes, dislikes) -> the index (held weakly: a replaced index is neither kept alive nor mistaken for the
# one that takes its place) and the model's scores
_MODELS: OrderedDict[tuple[int, tuple[int, ...], tuple[int, ...]], tuple[weakref.ref[Any], np.ndarray | None]] = \
    OrderedDict()


def learned_scores(index: Index, liked: list[int], disliked: list[int]) -> np.ndarray | None:
    """The model's z-scored decision on every index row (None under MIN_LABELS likes). Kept for the same index,
    likes and dislikes: a profile that changed elsewhere (a layer on the map, a focus) ranks again without
    fitting again (0.4 s at 170k items)."""
    key = (id(index), tuple(sorted(liked)), tuple(sorted(disliked)))
    entry = _MODELS.get(key)
    if entry is None or entry[0]() is not index:
        entry = _MODELS[key] = (weakref.ref(index), _fit(index, liked, disliked))
        while len(_MODELS) > KEPT:
            _MODELS.popitem(last=False)
    _MODELS.move_to_end(key)
    return entry[1]


def _fit(index: Index, liked: list[int], disliked: list[int]) -> np.ndarray | None:
    if len(liked) < MIN_LABELS:
        return None
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(len(liked) * 7919 + len(disliked))
    judged = set(liked) | set(disliked)
    pool = np.setdiff1d(np.arange(len(index.ids)), list(judged))
    unlabelled = rng.choice(pool, size=min(len(pool), UNLABELLED_NEGATIVES), replace=False).tolist() if len(pool) else []
    negatives = disliked + unlabelled
    if not negatives:
        return None
    y = np.array([1] * len(liked) + [0] * len(negatives))
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
    model.fit(index.tfidf[liked + negatives], y)
    # the decision function by hand: the index's rows may be several chunks, which sklearn would join first
    return zscore(np.asarray(index.tfidf @ model.coef_.ravel()).ravel() + float(model.intercept_[0]))
