"""Scoring for the weekly plan and the inbox: pure functions of the signals, no storage.

For each track the score of an item is one function per signal, combined in `track_scores`:
  focus      max over the track's focuses of z(tf-idf cosine) + z(embedding cosine) with the focus text;
  learned    with 5+ likes, z(decision value) of a per-user logistic regression on tf-idf, likes against
             dislikes and a sample of unjudged items (the arxiv-sanity / Scholar Inbox approach);
  liked      before that, z(embedding cosine) with the mean of items rated +, accepted or finished;
  disliked   and minus half of z(embedding cosine) with the mean of items rated - or skipped;
  concepts   once the user has layers on the concept map or a lean: frontier concepts first, a new angle on a
             concept being deepened, the leaned area up (rank/concepts.py);
  matters    what the reference graph and outside counts say matters, and, within a band of candidates, the
             foundations the others build on (rank/importance.py).
Items done, dropped or archived never return, and two items of one work are never both shown. Picks are chosen
by maximal marginal relevance (Carbonell & Goldstein 1998) so five picks are five different things. Recency
counts only when the user sets it (`config set recency some`): value over recency.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from layerwise.rank.concepts import ConceptSignals
from layerwise.rank.importance import ALONGSIDE_TOP, Importance, foundation_bonus
from layerwise.rank.learned import learned_scores
from layerwise.rank.reasons import Reason, dump, load, quoted, render
from layerwise.rank.works import SAME_WORK, work_keys
from layerwise.represent.dense import Encoder
from layerwise.represent.indexed import Index
from layerwise.represent.lexical import TOKEN_PATTERN
from layerwise.represent.scores import zscore
from layerwise.store.profile import Focus
from layerwise.vocab import BUCKETS

POOL = 300

MMR_LAMBDA = 0.7

IMPORTANCE_WEIGHT = 1.0  # one unit of importance is worth one standard deviation of the best candidates' scores

CANDIDATES = 1000  # importance reorders a focus's best candidates, never what is far from it

GATE_FULL = 100  # the best this many count their importance in full

MAX_REASONS = 3


@dataclass
class Signals:
    index: Index
    focuses: dict[str, list[Focus]]
    liked: list[int] = field(default_factory=list)  # index rows
    disliked: list[int] = field(default_factory=list)
    excluded: set[int] = field(default_factory=set)  # index rows
    concepts: ConceptSignals | None = None
    importance: Importance | None = None
    # item id -> (title, title key), fetched for the few rows a reason or the one-copy rule looks at
    describe: Callable[[Sequence[int]], dict[int, tuple[str, str | None]]] = lambda ids: {}
    alongside: dict[int, dict[int, tuple[int, int]]] = field(default_factory=dict)  # focus -> row -> (hub, witness)

    def titles(self, item_ids: Sequence[int]) -> dict[int, str]:
        return {i: t for i, (t, _) in self.describe(list(item_ids)).items()}


def _focus_scores(sig: Signals, focus: Focus, encoder: Encoder) -> np.ndarray:
    lexical = np.asarray(sig.index.tfidf @ sig.index.vectorize([focus.text]).toarray().ravel()).ravel()
    dense = sig.index.dense @ encoder.encode([focus.text])[0]
    score = zscore(lexical) + zscore(dense)
    if sig.importance is not None and sig.importance.hubs and len(score) > ALONGSIDE_TOP:
        # graph neighbours of the best candidates become candidates themselves, whatever their words: strongly
        # tied ones among the best, weakly tied ones below them (at the level of the weakest of the best when
        # half-way); text alone never finds the paper that introduced an idea under another name
        top = np.argpartition(-score, ALONGSIDE_TOP)[:ALONGSIDE_TOP]
        strength, sig.alongside[focus.id] = sig.importance.alongside(top)
        tied = strength > 0
        level = float(score[top].min()) + IMPORTANCE_WEIGHT * spread(score) * 2 * (strength[tied] - 0.5)
        score[tied] = np.maximum(score[tied], level)
    return score


def _mean_similarity(sig: Signals, rows: list[int]) -> np.ndarray:
    centre = sig.index.dense[rows].mean(axis=0)
    return zscore(sig.index.dense @ centre)


def track_scores(sig: Signals, track: str, encoder: Encoder) -> tuple[np.ndarray, np.ndarray]:
    """Scores of every index row for a track, and which focus (index into the track's list) gave each."""
    n = len(sig.index.ids)
    per_focus = [_focus_scores(sig, f, encoder) for f in sig.focuses.get(track, [])]
    if per_focus:
        stacked = np.vstack(per_focus)
        score, best = stacked.max(axis=0), stacked.argmax(axis=0)
    else:
        score, best = np.zeros(n), np.full(n, -1)
    learned = learned_scores(sig.index, sig.liked, sig.disliked)
    if learned is not None:  # enough likes: the model subsumes the likes' centroid and the dislikes
        score = score + learned
    else:
        if sig.liked:
            score = score + _mean_similarity(sig, sig.liked)
        if sig.disliked:
            score = score - 0.5 * _mean_similarity(sig, sig.disliked)
    if sig.concepts is not None:
        score = score + sig.concepts.bonus
    if sig.importance is not None:
        score = score + IMPORTANCE_WEIGHT * spread(score) * relevance_gate(score) * sig.importance.score
    if sig.excluded:
        score[list(sig.excluded)] = -np.inf
    return score, best


def spread(scores: np.ndarray) -> float:
    """The standard deviation of the best POOL scores: the unit importance is counted in, so that it reorders the
    candidates a focus brings up (a z-score over the whole library is tens of units at its top) and does not
    pull in what is far from every focus."""
    finite = scores[np.isfinite(scores)]
    top = np.partition(finite, len(finite) - POOL)[-POOL:] if len(finite) > POOL else finite
    return float(np.std(top)) if len(top) > 1 and np.std(top) > 0 else 1.0


def relevance_gate(scores: np.ndarray) -> np.ndarray:
    """How much importance may count for each item, by its rank on closeness: fully for the best GATE_FULL, then
    less and less down to nothing at the CANDIDATES-th, so a famous paper far from the focus is not pulled in
    by its fame (a classic of computer vision is not a pick for "LLM agents")."""
    gate = np.zeros(len(scores))
    finite = np.flatnonzero(np.isfinite(scores))
    if not len(finite):
        return gate
    k = min(CANDIDATES, len(finite))
    best = finite[np.argpartition(-scores[finite], k - 1)[:k]]
    best = best[np.argsort(-scores[best])]
    ranks = np.arange(len(best))
    gate[best] = np.clip((CANDIDATES - ranks) / (CANDIDATES - GATE_FULL), 0.0, 1.0)
    return gate


def mmr(sig: Signals, scores: np.ndarray, k: int, taken: list[int]) -> list[int]:
    """k rows, each the best trade-off of its own score and unlikeness to rows already chosen; never a second
    copy of a work already chosen."""
    pool = [int(r) for r in np.argsort(-scores)[:POOL] if np.isfinite(scores[r]) and r not in taken]
    if not pool:
        return []
    relevance = zscore(scores[pool])
    chosen: list[int] = []
    selected = list(taken)
    keys = work_keys(sig.index, sig.describe, pool + selected)
    for _ in range(min(k, len(pool))):
        if selected:
            overlap = (sig.index.dense[pool] @ sig.index.dense[selected].T).max(axis=1)
        else:
            overlap = np.zeros(len(pool))
        value = MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * 3 * overlap
        taken_keys = {keys.get(r) for r in selected} - {None}
        for i in np.argsort(-value):
            if pool[i] not in chosen and overlap[i] < SAME_WORK and keys.get(pool[i]) not in taken_keys:
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


def choose(sig: Signals, track: str, buckets: list[str], taken: list[int], encoder: Encoder) -> list[tuple[int, str, str]]:
    """(row, bucket, stored reasons) for each slot: MMR within the bucket's band of the track's ranking, the
    foundations of the band's best candidates first."""
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
        found: dict[int, list[int]] = {}
        if bucket == "moonshot":  # far from the focus: the most representative items of other areas
            banded[band] = centrality(sig)[band]
        else:
            banded[band] = scores[band]
            if sig.importance is not None:
                found = sig.importance.foundations([int(r) for r in band[:POOL]])
                banded += IMPORTANCE_WEIGHT * spread(scores) * foundation_bonus(found, len(scores))
        for row in mmr(sig, banded, n, taken):
            taken.append(row)
            reasons = reason_for(sig, track, row, int(best[row]), bucket, found.get(row)) if bucket != "moonshot" else \
                [Reason("moonshot", "outside your focuses, a central piece of another part of your library")]
            chosen.append((row, bucket, dump(reasons)))
    return chosen


def reason_for(sig: Signals, track: str, row: int, best_focus: int, bucket: str = "core",
               foundation_of: list[int] | None = None) -> list[Reason]:
    """The evidence for a row: the words it shares with the focus, what the graph says, the user's likes and map."""
    out: list[Reason] = []
    if best_focus >= 0:
        out.append(_focus_reason(sig, track, sig.focuses[track][best_focus], row, bucket))
    importance_rows = [row] if sig.importance is not None else []
    liked_top = None
    if sig.liked:
        sims = sig.index.dense[sig.liked] @ sig.index.dense[row]
        top = int(np.argmax(sims))
        if sims[top] > 0.55:
            liked_top = int(sig.index.ids[sig.liked[top]])
    wanted = list(foundation_of or [])
    together = sig.alongside.get(sig.focuses[track][best_focus].id, {}).get(row) if best_focus >= 0 else None
    if sig.importance is not None:
        wanted += list(sig.importance.cited_ids(importance_rows))
        if together is not None:
            wanted += [int(sig.index.ids[together[1]])] + sig.importance.hub_items(together[0])
    titles = sig.titles(wanted + ([liked_top] if liked_top is not None else []))
    if sig.importance is not None:
        out += sig.importance.reasons(row, titles, foundation_of, together)
    if liked_top is not None:
        out.append(Reason("liked", f"like {quoted(titles.get(liked_top, ''))}, which you liked"))
    if sig.concepts is not None and sig.concepts.reasons.get(row):
        out.append(Reason("concept", sig.concepts.reasons[row]))
    if not out:
        out.append(Reason("sample", "a broad sample of your library (set a focus: `layerwise focus need \"...\"`)"))
    return out[:MAX_REASONS]


def _focus_reason(sig: Signals, track: str, focus: Focus, row: int, bucket: str) -> Reason:
    """What ties the row to the focus, in the words they share (the item's strongest first), not the focus
    text again."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    weights = sig.index.tfidf[row]
    present = dict(zip(weights.indices.tolist(), weights.data.tolist()))
    vocabulary = sig.index.vocabulary
    words = dict.fromkeys(w for w in re.findall(TOKEN_PATTERN, focus.text.lower()) if w not in ENGLISH_STOP_WORDS)
    shared = sorted((w for w in words if vocabulary.get(w) in present), key=lambda w: -present[vocabulary[w]])
    if not shared:
        return Reason("focus", f"close in meaning to your {track} focus, in other words than it uses")
    terms = ", ".join(f'"{w}"' for w in shared[:3])
    if bucket == "core":
        return Reason("focus", f"on {terms} from your {track} focus")
    return Reason("focus", f"a step beyond your {track} focus, sharing {terms}")


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
    """A stored reason as one line to show."""
    return render(load(reason))
