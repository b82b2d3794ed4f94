"""The inbox: everything this week's plan did not pick, ranked, each with its reason; and triage from it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from layerwise.concepts.overlay import OVERLAY
from layerwise.errors import LayerwiseError
from layerwise.rank import profile, reasons
from layerwise.rank.plan import Pick, add_to_week, load_signals, week_plan
from layerwise.rank.profile import rate
from layerwise.rank.scoring import Signals, because, centrality, reason_for, track_scores
from layerwise.rank.works import one_copy
from layerwise.represent.dense import encoder_for
from layerwise.store import concepts as concept_rows
from layerwise.store import graph as graph_rows
from layerwise.store import statuses as status_rows
from layerwise.times import iso_week
from layerwise.vocab import FINISHED_STATUSES, TRACKS

KNOWN = ("done", "reading")  # statuses the scores depend on (what was read counts as valued)

if TYPE_CHECKING:
    from layerwise.library import Library


class InboxEntry(NamedTuple):
    item_id: int
    score: float
    track: str
    reason: str

    @property
    def because(self) -> str:
        return because(self.reason)


@dataclass
class _Ranking:
    """One ranking of the inbox, kept while nothing it depends on changes: rows found so far and their reasons."""

    sig: Signals
    tracks: list[str]
    scored: list[tuple[np.ndarray, np.ndarray]]
    best: np.ndarray
    which: np.ndarray
    picked: set[int]
    finished: set[int]  # items out of the ranking by their status when it was made (others are hidden as they go)
    of_kind: set[int] | None
    order: Iterator[int]
    rows: list[int] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# per library, person and kind: the state a ranking was made under and the ranking. A page load asks only for the state (a few
# indexed queries): the profile's fingerprint, the items and the graph, this week's picks.
_RANKINGS: dict[tuple[str, int, str | None], tuple[tuple[object, ...], _Ranking]] = {}


def inbox(library: Library, limit: int = 20, offset: int = 0, kind: str | None = None) -> list[InboxEntry]:
    """Everything not picked this week (optionally of one kind), best first, each with its reason."""
    week = iso_week()
    plan = week_plan(library, week)
    overlay = library.home.path / OVERLAY
    with library.store.begin() as conn:
        # archiving or dropping an item hides it from the ranking as it stands; what was read counts in the scores
        finished = status_rows.ids_with(conn, FINISHED_STATUSES)
        state = (week, profile.fingerprint(library), library.store.change_state(conn), status_rows.state(conn, KNOWN),
                 graph_rows.state(conn),
                 concept_rows.links_state(conn), overlay.stat().st_mtime_ns if overlay.exists() else 0,
                 library.home.config().get("embedding_model"), tuple((p.item_id, p.state) for p in plan.picks))
    key = (library.database_url, library.store.person, kind)
    cached = _RANKINGS.get(key)
    fresh = cached is not None and cached[0] == state and cached[1].finished <= finished  # none came back from finished
    ranking = cached[1] if cached is not None and fresh else _rank(library, week, kind, plan.picks, finished)
    _RANKINGS[key] = (state, ranking)
    with ranking.lock:  # two requests of the web app may read one ranking further at once
        return _page(ranking, limit, offset, finished)


def _page(ranking: _Ranking, limit: int, offset: int, hidden: set[int]) -> list[InboxEntry]:
    sig, rows = ranking.sig, ranking.rows
    shown = [sig.index.position[i] for i in ranking.picked if i in sig.index.position]

    def visible() -> list[int]:
        return [r for r in rows if int(sig.index.ids[r]) not in hidden]

    while len(visible()) < offset + limit:  # a page of rows, never a second copy of a work shown before it
        batch = []
        for row in ranking.order:
            item_id = int(sig.index.ids[row])
            if not np.isfinite(ranking.best[row]) or item_id in ranking.picked or \
                    (ranking.of_kind is not None and item_id not in ranking.of_kind):
                continue
            batch.append(int(row))
            if len(batch) >= 2 * (offset + limit - len(visible())):
                break
        if not batch:
            break
        rows += one_copy(sig.index, sig.describe, batch, shown + rows)
    out = []
    for row in visible()[offset:offset + limit]:
        track_index = int(ranking.which[row])
        track = ranking.tracks[track_index]
        if row not in ranking.reasons:
            ranking.reasons[row] = reasons.dump(reason_for(sig, track, row, int(ranking.scored[track_index][1][row])))
        out.append(InboxEntry(int(sig.index.ids[row]), float(ranking.best[row]), track, ranking.reasons[row]))
    return out


def _rank(library: Library, week: str, kind: str | None, picks: list[Pick], finished: set[int]) -> _Ranking:
    sig = load_signals(library, week)
    with library.store.begin() as conn:
        of_kind = library.store.ids_of_kind(conn, kind) if kind else None
    encoder = encoder_for(library.home.config())
    tracks = [t for t in TRACKS if sig.focuses[t]] or ["need"]
    scored = [track_scores(sig, t, encoder) for t in tracks]
    stacked = np.vstack([scores for scores, _ in scored])
    best = stacked.max(axis=0)
    if not any(sig.focuses.values()) and not sig.liked:
        best = best + centrality(sig)
    return _Ranking(sig, tracks, scored, best, stacked.argmax(axis=0), {p.item_id for p in picks}, finished, of_kind,
                    iter(np.argsort(-best).tolist()))


INBOX_ACTIONS = ("accept", "skip", "archive", "like", "dislike")


def triage(library: Library, ref: str, action: str) -> None:
    """One decision on an inbox item: accept (into this week's plan), skip (not for me: rated down and dropped),
    archive (kept, out of the ranking), like or dislike (a rating)."""
    if action not in INBOX_ACTIONS:
        raise LayerwiseError(f"unknown inbox action {action!r}: {', '.join(INBOX_ACTIONS)}")
    if action == "accept":
        add_to_week(library, ref)
    elif action in ("like", "dislike"):
        rate(library, ref, 1 if action == "like" else -1)
    elif action == "skip":
        rate(library, ref, -1)
        library.set_status([ref], "dropped")
    else:
        library.set_status([ref], "archived")
