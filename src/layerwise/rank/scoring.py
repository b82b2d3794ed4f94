"""Scoring for the weekly plan and the inbox: pure functions of the signals, no storage.

For each track the score of an item is one function per signal, combined in `track_scores`:
  focus      max over the track's focuses of z(tf-idf cosine) + z(embedding cosine) with the focus text;
  learned    with 5+ likes, z(decision value) of a per-user logistic regression on tf-idf, likes against
             dislikes and a sample of unjudged items (the arxiv-sanity / Scholar Inbox approach);
  liked      before that, z(embedding cosine) with the mean of items rated +, accepted or finished;
  disliked   and minus half of z(embedding cosine) with the mean of items rated - or skipped;
  concepts   once the user has layers on the concept map or a lean: frontier concepts first, a new angle on a
             concept being deepened, the leaned area up (rank/concepts.py).
Items done, dropped or archived never return. Picks are chosen by maximal marginal relevance
(Carbonell & Goldstein 1998) so five picks are five different things. No recency term: value over recency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from layerwise.rank.concepts import ConceptSignals
from layerwise.represent.dense import Encoder
from layerwise.represent.index import Index
from layerwise.represent.lexical import TOKEN_PATTERN
from layerwise.represent.scores import zscore
from layerwise.store.profile import Focus
from layerwise.vocab import BUCKETS

POOL = 300

MMR_LAMBDA = 0.7

MIN_LABELS = 5

UNLABELLED_NEGATIVES = 10000

@dataclass
class Signals:
    index: Index
    focuses: dict[str, list[Focus]]
    liked: list[int] = field(default_factory=list)  # index rows
    disliked: list[int] = field(default_factory=list)
    excluded: set[int] = field(default_factory=set)  # index rows
    concepts: ConceptSignals | None = None


def _focus_scores(sig: Signals, focus: Focus, encoder: Encoder) -> np.ndarray:
    lexical = np.asarray(sig.index.tfidf @ sig.index.vectorize([focus.text]).toarray().ravel()).ravel()
    dense = sig.index.dense @ encoder.encode([focus.text])[0]
    return zscore(lexical) + zscore(dense)


def _mean_similarity(sig: Signals, rows: list[int]) -> np.ndarray:
    centre = sig.index.dense[rows].mean(axis=0)
    return zscore(sig.index.dense @ centre)


def _learned(sig: Signals) -> np.ndarray | None:
    """A per-user linear model on tf-idf once there are enough likes: likes against dislikes and a sample of
    unjudged items (weak negatives, as arxiv-sanity and Scholar Inbox use the rest of the library). Measured
    in benchmarks/bench_personal.py: as good as arxiv-sanity's SVM over the whole library at a quarter of
    the time; the same model on embeddings found a third as many of a curator's hidden picks."""
    if len(sig.liked) < MIN_LABELS:
        return None
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(len(sig.liked) * 7919 + len(sig.disliked))
    judged = set(sig.liked) | set(sig.disliked)
    pool = np.setdiff1d(np.arange(len(sig.index.ids)), list(judged))
    unlabelled = rng.choice(pool, size=min(len(pool), UNLABELLED_NEGATIVES), replace=False).tolist() if len(pool) else []
    negatives = sig.disliked + unlabelled
    if not negatives:
        return None
    y = np.array([1] * len(sig.liked) + [0] * len(negatives))
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
    model.fit(sig.index.tfidf[sig.liked + negatives], y)
    return zscore(np.asarray(model.decision_function(sig.index.tfidf)).ravel())


def track_scores(sig: Signals, track: str, encoder: Encoder) -> tuple[np.ndarray, np.ndarray]:
    """Scores of every index row for a track, and which focus (index into the track's list) gave each."""
    n = len(sig.index.ids)
    per_focus = [_focus_scores(sig, f, encoder) for f in sig.focuses.get(track, [])]
    if per_focus:
        stacked = np.vstack(per_focus)
        score, best = stacked.max(axis=0), stacked.argmax(axis=0)
    else:
        score, best = np.zeros(n), np.full(n, -1)
    learned = _learned(sig)
    if learned is not None:  # enough likes: the model subsumes the likes' centroid and the dislikes
        score = score + learned
    else:
        if sig.liked:
            score = score + _mean_similarity(sig, sig.liked)
        if sig.disliked:
            score = score - 0.5 * _mean_similarity(sig, sig.disliked)
    if sig.concepts is not None:
        score = score + sig.concepts.bonus
    if sig.excluded:
        score[list(sig.excluded)] = -np.inf
    return score, best


def mmr(sig: Signals, scores: np.ndarray, k: int, taken: list[int]) -> list[int]:
    """k rows, each the best trade-off of its own score and unlikeness to rows already chosen."""
    pool = [int(r) for r in np.argsort(-scores)[:POOL] if np.isfinite(scores[r]) and r not in taken]
    if not pool:
        return []
    relevance = zscore(scores[pool])
    chosen: list[int] = []
    selected = list(taken)
    for _ in range(min(k, len(pool))):
        if selected:
            overlap = (sig.index.dense[pool] @ sig.index.dense[selected].T).max(axis=1)
        else:
            overlap = np.zeros(len(pool))
        value = MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * 3 * overlap
        for i in np.argsort(-value):
            if pool[i] not in chosen:
                chosen.append(pool[i])
                selected.append(pool[i])
                break
    return chosen


CORE_BAND = 300  # the best-ranked items of a track are its core

ADJACENT_BAND = 3000  # the next ones are adjacent; moonshots come from outside both

def allot(shares: dict[str, float], history: dict[str, int], slots: int) -> list[str]:
    """Buckets for this week's slots: each slot goes to the bucket furthest behind its target share, counting
    earlier weeks too, so a 10% moonshot turns up every few weeks even with five picks a week."""
    counts = {b: history.get(b, 0) for b in shares}
    total = sum(counts.values())
    out = []
    for _ in range(slots):
        total += 1
        bucket = max(shares, key=lambda b: (shares[b] * total - counts[b], shares[b]))
        counts[bucket] += 1
        out.append(bucket)
    return out


def choose(sig: Signals, track: str, buckets: list[str], taken: list[int], encoder: Encoder,
           titles: dict[int, str]) -> list[tuple[int, str, str]]:
    """(row, bucket, reason) for each slot: MMR within the bucket's band of the track's ranking."""
    scores, best = track_scores(sig, track, encoder)
    order = np.argsort(-scores)
    finite = int(np.isfinite(scores).sum())
    bands = {"core": order[:CORE_BAND], "adjacent": order[CORE_BAND:ADJACENT_BAND],
             "moonshot": order[ADJACENT_BAND:finite]}
    chosen: list[tuple[int, str, str]] = []
    for bucket in BUCKETS:
        n = buckets.count(bucket)
        if not n:
            continue
        band = bands[bucket] if len(bands[bucket]) else order[:finite]
        banded = np.full(len(scores), -np.inf)
        if bucket == "moonshot":  # far from the focus: the most representative items of other areas
            banded[band] = centrality(sig)[band]
        else:
            banded[band] = scores[band]
        for row in mmr(sig, banded, n, taken):
            taken.append(row)
            reason = reason_for(sig, track, row, int(best[row]), titles, bucket) if bucket != "moonshot" else \
                f"{track}: outside your focuses, a central piece of another part of your library"
            chosen.append((row, bucket, reason))
    return chosen


def reason_for(sig: Signals, track: str, row: int, best_focus: int, titles: dict[int, str], bucket: str = "core") -> str:
    parts = []
    if best_focus >= 0:
        relation = "close to" if bucket == "core" else "a step beyond"
        parts.append(f"{relation} '{shorten(sig.focuses[track][best_focus].text)}'")
    if sig.liked:
        sims = sig.index.dense[sig.liked] @ sig.index.dense[row]
        top = int(np.argmax(sims))
        if sims[top] > 0.55:
            parts.append(f"like '{shorten(titles.get(sig.liked[top], ''))}', which you liked")
    if sig.concepts is not None and sig.concepts.reasons.get(row):
        parts.append(sig.concepts.reasons[row])
    if not parts:
        parts.append("a broad sample of your library (set a focus: `layerwise focus need \"...\"`)")
    return f"{track}: " + "; ".join(parts)


def shorten(text: str, width: int = 64) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def known_share(index: Index, text: str) -> float:
    """How many of a focus's words the library's vocabulary knows (a focus in another language knows few)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = [w for w in re.findall(TOKEN_PATTERN, text.lower()) if w not in ENGLISH_STOP_WORDS]
    return sum(w in index.vocabulary for w in words) / len(words) if words else 0.0


def centrality(sig: Signals) -> np.ndarray:
    """Without any focus or rating: items near the middle of the library represent it best."""
    return zscore(sig.index.dense @ sig.index.dense.mean(axis=0))


def because(reason: str) -> str:
    """A stored reason without its track prefix ("need: close to ..." -> "close to ...")."""
    return reason.split(": ", 1)[-1]
