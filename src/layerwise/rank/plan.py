"""The weekly plan: from the whole library, a handful of picks in two tracks, each with a reason.

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

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from layerwise.errors import LayerwiseError
from layerwise.rank.similar import zscore

if TYPE_CHECKING:
    from layerwise.library import Library
    from layerwise.rank.concepts import ConceptSignals
    from layerwise.rank.index import Index

POOL = 300
MMR_LAMBDA = 0.7
MIN_LABELS = 5
UNLABELLED_NEGATIVES = 10000


def iso_week(day: date | None = None) -> str:
    year, week, _ = (day or date.today()).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Signals:
    index: Index
    focuses: dict[str, list[dict[str, Any]]]
    liked: list[int] = field(default_factory=list)  # index rows
    disliked: list[int] = field(default_factory=list)
    excluded: set[int] = field(default_factory=set)  # index rows
    concepts: ConceptSignals | None = None


def _focus_scores(sig: Signals, focus: dict[str, Any], encoder: Any) -> np.ndarray:
    lexical = np.asarray(sig.index.tfidf @ sig.index.vectorize([focus["text"]]).toarray().ravel()).ravel()
    dense = sig.index.dense @ encoder.encode([focus["text"]])[0]
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


def track_scores(sig: Signals, track: str, encoder: Any) -> tuple[np.ndarray, np.ndarray]:
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


def choose(sig: Signals, track: str, buckets: list[str], taken: list[int], encoder: Any,
           titles: dict[int, str]) -> list[tuple[int, str, str]]:
    """(row, bucket, reason) for each slot: MMR within the bucket's band of the track's ranking."""
    scores, best = track_scores(sig, track, encoder)
    order = np.argsort(-scores)
    finite = int(np.isfinite(scores).sum())
    bands = {"core": order[:CORE_BAND], "adjacent": order[CORE_BAND:ADJACENT_BAND],
             "moonshot": order[ADJACENT_BAND:finite]}
    chosen: list[tuple[int, str, str]] = []
    for bucket in ("core", "adjacent", "moonshot"):
        n = buckets.count(bucket)
        if not n:
            continue
        band = bands[bucket] if len(bands[bucket]) else order[:finite]
        banded = np.full(len(scores), -np.inf)
        if bucket == "moonshot":  # far from the focus: the most representative items of other areas
            banded[band] = _centrality(sig)[band]
        else:
            banded[band] = scores[band]
        for row in mmr(sig, banded, n, taken):
            taken.append(row)
            reason = _reason(sig, track, row, int(best[row]), titles, bucket) if bucket != "moonshot" else \
                f"{track}: outside your focuses, a central piece of another part of your library"
            chosen.append((row, bucket, reason))
    return chosen


def _reason(sig: Signals, track: str, row: int, best_focus: int, titles: dict[int, str], bucket: str = "core") -> str:
    parts = []
    if best_focus >= 0:
        relation = "close to" if bucket == "core" else "a step beyond"
        parts.append(f"{relation} '{_short(sig.focuses[track][best_focus]['text'])}'")
    if sig.liked:
        sims = sig.index.dense[sig.liked] @ sig.index.dense[row]
        top = int(np.argmax(sims))
        if sims[top] > 0.55:
            parts.append(f"like '{_short(titles.get(sig.liked[top], ''))}', which you liked")
    if sig.concepts is not None and sig.concepts.reasons.get(row):
        parts.append(sig.concepts.reasons[row])
    if not parts:
        parts.append("a broad sample of your library (set a focus: `layerwise focus need \"...\"`)")
    return f"{track}: " + "; ".join(parts)


def _short(text: str, width: int = 64) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@dataclass
class Pick:
    position: int
    item_id: int
    track: str
    reason: str
    state: str
    bucket: str = "core"  # core, adjacent or moonshot


@dataclass
class Plan:
    week: str
    picks: list[Pick]
    notes: list[str] = field(default_factory=list)


def _signals(library: Library, week: str) -> Signals:
    from layerwise.concepts.resources import ensure
    from layerwise.rank.concepts import concept_signals
    from layerwise.rank.index import load_index
    from layerwise.rank.profile import settings
    from layerwise.store import profile as sql

    ensure(library)  # the map's starting resources are candidates like any captured item

    index = load_index(library)
    with library.store.begin() as conn:
        focus_rows = sql.focuses(conn)
        feedback = sql.feedback(conn)
        excluded_ids = sql.excluded_statuses(conn)
        skipped = {p["item_id"] for p in sql.picks(conn, week) if p["state"] == "skipped"}
    position = {int(i): r for r, i in enumerate(index.ids)}
    focuses: dict[str, list[dict[str, Any]]] = {"need": [], "want": []}
    for f in focus_rows:
        focuses[f["track"]].append(f)
    return Signals(
        index=index, focuses=focuses,
        liked=[position[i] for i, s in feedback.items() if s > 0 and i in position],
        disliked=[position[i] for i, s in feedback.items() if s < 0 and i in position],
        excluded={position[i] for i in excluded_ids | skipped if i in position},
        concepts=concept_signals(library, index, settings(library).lean))


def week_plan(library: Library, week: str | None = None, refresh: bool = False) -> Plan:
    """This ISO week's picks: stored ones if nothing the plan depends on changed, else chosen now.
    Accepted and finished picks are always kept."""
    from layerwise.library import now_iso
    from layerwise.rank import profile
    from layerwise.rank.dense import encoder_for
    from layerwise.store import profile as sql

    week = week or iso_week()
    stamp = profile.fingerprint(library)
    _add_dives(library, week, stamp)
    with library.store.begin() as conn:
        stored = sql.picks(conn, week)
        if not library.find(limit=1)[1]:
            raise LayerwiseError("the library is empty: capture something first (`layerwise add`, `import`, `feed add`)")
    live = [p for p in stored if p["state"] != "skipped"]
    if live and not refresh and all(p["profile"] == stamp for p in live if p["state"] == "proposed"):
        return Plan(week, [Pick(p["position"], p["item_id"], p["track"], p["reason"], p["state"], p["bucket"]) for p in live])
    settings = profile.settings(library)
    sig = _signals(library, week)
    plan = Plan(week, [])
    tracks_with_focus = {t for t in ("need", "want") if sig.focuses[t]}
    if not tracks_with_focus:
        plan.notes.append("no focus set: these picks come from your ratings and a broad sample of the library; "
                          "set one with `layerwise focus need \"...\"`")
    for focus in sig.focuses["need"] + sig.focuses["want"]:
        if _known_share(sig.index, focus["text"]) < 0.5:  # e.g. a focus in another language than the library
            plan.notes.append(f"most words of the focus '{_short(focus['text'])}' do not occur in your library; "
                              "its picks rest on meaning alone and may be weak")
    kept = [p for p in live if p["state"] in ("accepted", "done")]
    position = {int(i): r for r, i in enumerate(sig.index.ids)}
    taken = [position[p["item_id"]] for p in kept if p["item_id"] in position]
    titles = _titles(library, sig)
    encoder = encoder_for(library.home.config())
    new_picks = _fill(library, sig, settings, week, kept, taken, titles, encoder)
    with library.store.begin() as conn:
        sql.drop_proposed(conn, week)
        for p in kept:
            plan.picks.append(Pick(0, p["item_id"], p["track"], p["reason"], p["state"], p["bucket"]))
        for track, item_id, reason, bucket in new_picks:
            plan.picks.append(Pick(0, item_id, track, reason, "proposed", bucket))
        plan.picks.sort(key=lambda p: (p.track != "need",))
        for n, pick in enumerate(plan.picks, 1):
            pick.position = n
            sql.save_pick(conn, {"week": week, "item_id": pick.item_id, "track": pick.track, "position": n,
                                 "reason": pick.reason, "state": pick.state, "bucket": pick.bucket,
                                 "profile": stamp}, now_iso())
    return plan


def _add_dives(library: Library, week: str, stamp: str) -> None:
    """Deeper dives the user scheduled for a day of this week join its plan as accepted picks; a dive on a
    concept brings the concept's best linked item the user has not finished."""
    from datetime import date, timedelta

    from sqlalchemy import text

    from layerwise.library import now_iso
    from layerwise.store import profile as sql

    year, number = (int(x) for x in week.split("-W"))
    monday = date.fromisocalendar(year, number, 1)
    with library.store.begin() as conn:
        rows = conn.execute(text("SELECT d.item_id, d.slug, d.layer, d.day, s.track FROM dives d "
                                 "LEFT JOIN sessions s ON s.id = d.session_id WHERE d.day >= :a AND d.day <= :b "
                                 "ORDER BY d.day, d.id"),
                            {"a": monday.isoformat(), "b": (monday + timedelta(days=6)).isoformat()}).all()
        if not rows:
            return
        stored = sql.picks(conn, week)
    picked = {p["item_id"] for p in stored}
    position = max((p["position"] for p in stored), default=0)
    for item_id, slug, layer, day, track in rows:
        about = ""
        if item_id is None and slug:
            from layerwise.concepts.linking import items_for

            item_id = next((i.id for i, _, _ in items_for(library, slug, limit=20) if i.status != "done"), None)
            about = f" on {slug}"
        if item_id is None or item_id in picked:
            continue
        position += 1
        picked.add(item_id)
        with library.store.begin() as conn:
            sql.save_pick(conn, {"week": week, "item_id": item_id, "track": track or "need", "position": position,
                                 "reason": f"{track or 'need'}: the deeper dive{about} you scheduled for {day} ({layer})",
                                 "state": "accepted", "bucket": "core", "profile": stamp}, now_iso())


def _fill(library: Library, sig: Signals, settings: Any, week: str, existing: list[dict[str, Any]], taken: list[int],
          titles: dict[int, str], encoder: Any) -> list[tuple[str, int, str, str]]:
    """(track, item id, reason, bucket) for every slot the existing picks leave open in each track."""
    from layerwise.store import profile as sql

    tracks_with_focus = {t for t in ("need", "want") if sig.focuses[t]}
    shares = settings.bucket_shares()
    out: list[tuple[str, int, str, str]] = []
    for track, slots in settings.slots(tracks_with_focus or {"need"}).items():
        room = slots - sum(1 for p in existing if p["track"] == track)
        if room <= 0:
            continue
        if not tracks_with_focus and not sig.liked:
            # nothing to be close to or far from yet: a broad, diverse sample of the library
            scores, best = track_scores(sig, track, encoder)
            for row in mmr(sig, scores + _centrality(sig), room, taken):
                taken.append(row)
                out.append((track, int(sig.index.ids[row]), _reason(sig, track, row, int(best[row]), titles), "core"))
            continue
        with library.store.begin() as conn:
            history = sql.bucket_history(conn, track, week)
        for p in existing:
            if p["track"] == track:
                history[p["bucket"]] = history.get(p["bucket"], 0) + 1
        for row, bucket, reason in choose(sig, track, allot(shares, history, room), taken, encoder, titles):
            out.append((track, int(sig.index.ids[row]), reason, bucket))
    return out


def _known_share(index: Index, text: str) -> float:
    import re

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from layerwise.rank.lexical import TOKEN_PATTERN

    words = [w for w in re.findall(TOKEN_PATTERN, text.lower()) if w not in ENGLISH_STOP_WORDS]
    return sum(w in index.vocabulary for w in words) / len(words) if words else 0.0


def _centrality(sig: Signals) -> np.ndarray:
    """Without any focus or rating: items near the middle of the library represent it best."""
    return zscore(sig.index.dense @ sig.index.dense.mean(axis=0))


def _titles(library: Library, sig: Signals) -> dict[int, str]:
    """Titles of the liked items, by index row, for reasons."""
    ids = [int(sig.index.ids[r]) for r in sig.liked]
    with library.store.begin() as conn:
        items = library.store.items(conn, ids)
    title = {i.id: i.title for i in items}
    return {r: title.get(int(sig.index.ids[r]), "") for r in sig.liked}


def act(library: Library, position: int, action: str, week: str | None = None) -> Plan:
    """accept, skip, swap or done on the pick at this position of the week's plan."""
    from layerwise.library import now_iso
    from layerwise.store import profile as sql

    week = week or iso_week()
    plan = week_plan(library, week)
    pick = next((p for p in plan.picks if p.position == position), None)
    if pick is None:
        raise LayerwiseError(f"this week's plan has no pick {position} (it has 1 to {len(plan.picks)})")
    with library.store.begin() as conn:
        now = now_iso()
        if action == "accept":
            sql.set_pick_state(conn, week, pick.item_id, "accepted")
            sql.add_feedback(conn, pick.item_id, 1, "accepted pick", now)
            library.store.set_status(conn, [pick.item_id], "planned", now)
        elif action == "done":
            sql.set_pick_state(conn, week, pick.item_id, "done")
            sql.add_feedback(conn, pick.item_id, 1, "finished pick", now)
            library.store.set_status(conn, [pick.item_id], "done", now)
        elif action in ("skip", "swap"):
            sql.set_pick_state(conn, week, pick.item_id, "skipped")
            if action == "skip":  # "not for me"; a swap is only "not this one"
                sql.add_feedback(conn, pick.item_id, -1, "skipped pick", now)
        else:
            raise LayerwiseError(f"unknown action {action!r}: accept, skip, swap or done")
    if action in ("skip", "swap"):
        return _refill(library, week)
    _keep_plan(library, week)
    return week_plan(library, week)


def _keep_plan(library: Library, week: str) -> None:
    """Accepting or finishing a pick is feedback, which would re-choose the proposed picks on the next look;
    the user acted on this plan, so it stays as it is."""
    from layerwise.rank import profile
    from layerwise.store import profile as sql

    stamp = profile.fingerprint(library)
    with library.store.begin() as conn:
        sql.restamp(conn, week, stamp)


def _refill(library: Library, week: str) -> Plan:
    """Replace skipped picks without touching the others."""
    from layerwise.library import now_iso
    from layerwise.rank import profile
    from layerwise.rank.dense import encoder_for
    from layerwise.store import profile as sql

    with library.store.begin() as conn:
        stored = sql.picks(conn, week)
    live = [p for p in stored if p["state"] != "skipped"]
    sig = _signals(library, week)
    position = {int(i): r for r, i in enumerate(sig.index.ids)}
    taken = [position[p["item_id"]] for p in live if p["item_id"] in position]
    stamp = live[0]["profile"] if live else profile.fingerprint(library)
    additions = _fill(library, sig, profile.settings(library), week, live, taken, _titles(library, sig),
                      encoder_for(library.home.config()))
    with library.store.begin() as conn:
        next_position = max([p["position"] for p in stored], default=0)
        for track, item_id, reason, bucket in additions:
            next_position += 1
            sql.save_pick(conn, {"week": week, "item_id": item_id, "track": track, "position": next_position,
                                 "reason": reason, "state": "proposed", "bucket": bucket, "profile": stamp}, now_iso())
    _keep_plan(library, week)
    return week_plan(library, week)


def _best_track(library: Library, week: str, item_id: int) -> str:
    """The track whose score is higher for this item (need when only need has a focus, or none has)."""
    from layerwise.rank.dense import encoder_for

    sig = _signals(library, week)
    tracks = [t for t in ("need", "want") if sig.focuses[t]]
    rows = np.flatnonzero(sig.index.ids == item_id)
    if len(tracks) < 2 or not len(rows):
        return tracks[0] if tracks else "need"
    encoder = encoder_for(library.home.config())
    return max(tracks, key=lambda t: float(track_scores(sig, t, encoder)[0][rows[0]]))


class InboxEntry(NamedTuple):
    item_id: int
    score: float
    track: str
    reason: str


def inbox(library: Library, limit: int = 20, offset: int = 0, kind: str | None = None) -> list[InboxEntry]:
    """Everything not picked this week (optionally of one kind), best first, each with its reason."""
    from sqlalchemy import text

    from layerwise.rank.dense import encoder_for

    week = iso_week()
    picked = {p.item_id for p in week_plan(library, week).picks}  # "the rest" is what this week did not pick
    sig = _signals(library, week)
    with library.store.begin() as conn:
        of_kind = (set(conn.execute(text("SELECT id FROM items WHERE kind = :k"), {"k": kind}).scalars())
                   if kind else None)
    encoder = encoder_for(library.home.config())
    tracks = [t for t in ("need", "want") if sig.focuses[t]] or ["need"]
    scored = [track_scores(sig, t, encoder) for t in tracks]
    stacked = np.vstack([scores for scores, _ in scored])
    best = stacked.max(axis=0)
    which = stacked.argmax(axis=0)
    if not any(sig.focuses.values()) and not sig.liked:
        best = best + _centrality(sig)
    rows = []
    for row in np.argsort(-best):
        item_id = int(sig.index.ids[row])
        if not np.isfinite(best[row]) or item_id in picked or (of_kind is not None and item_id not in of_kind):
            continue
        rows.append(int(row))
        if len(rows) >= offset + limit:
            break
    titles = _titles(library, sig)
    out = []
    for row in rows[offset:]:
        track_index = int(which[row])
        track = tracks[track_index]
        reason = _reason(sig, track, row, int(scored[track_index][1][row]), titles)
        out.append(InboxEntry(int(sig.index.ids[row]), float(best[row]), track, reason))
    return out


def add_to_week(library: Library, ref: str, track: str | None = None, week: str | None = None) -> Plan:
    """Take an item from the inbox into this week's plan as an accepted pick (in the track it fits best)."""
    from layerwise.library import now_iso
    from layerwise.rank import profile
    from layerwise.store import profile as sql

    if track is not None and track not in ("need", "want"):
        raise LayerwiseError(f"the track is need or want, not {track!r}")
    week = week or iso_week()
    item = library.get(ref)
    plan = week_plan(library, week)
    existing = next((p for p in plan.picks if p.item_id == item.id), None)
    if existing is not None:
        return act(library, existing.position, "accept", week)
    track = track or _best_track(library, week, item.id)
    with library.store.begin() as conn:
        stored = sql.picks(conn, week)
        now = now_iso()
        sql.save_pick(conn, {"week": week, "item_id": item.id, "track": track,
                             "position": max((p["position"] for p in stored), default=0) + 1,
                             "reason": f"{track}: you took it from the inbox", "state": "accepted", "bucket": "core",
                             "profile": profile.fingerprint(library)}, now)
        sql.add_feedback(conn, item.id, 1, "taken from the inbox", now)
        library.store.set_status(conn, [item.id], "planned", now)
    _keep_plan(library, week)
    return week_plan(library, week)
