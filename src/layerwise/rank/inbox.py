"""The inbox: everything this week's plan did not pick, ranked, each with its reason; and triage from it."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from layerwise.errors import LayerwiseError
from layerwise.rank import reasons
from layerwise.rank.plan import add_to_week, load_signals, week_plan
from layerwise.rank.profile import rate
from layerwise.rank.scoring import because, centrality, reason_for, track_scores
from layerwise.rank.works import one_copy
from layerwise.represent.dense import encoder_for
from layerwise.times import iso_week
from layerwise.vocab import TRACKS

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


def inbox(library: Library, limit: int = 20, offset: int = 0, kind: str | None = None) -> list[InboxEntry]:
    """Everything not picked this week (optionally of one kind), best first, each with its reason."""
    week = iso_week()
    picked = {p.item_id for p in week_plan(library, week).picks}  # "the rest" is what this week did not pick
    sig = load_signals(library, week)
    with library.store.begin() as conn:
        of_kind = library.store.ids_of_kind(conn, kind) if kind else None
    encoder = encoder_for(library.home.config())
    tracks = [t for t in TRACKS if sig.focuses[t]] or ["need"]
    scored = [track_scores(sig, t, encoder) for t in tracks]
    stacked = np.vstack([scores for scores, _ in scored])
    best = stacked.max(axis=0)
    which = stacked.argmax(axis=0)
    if not any(sig.focuses.values()) and not sig.liked:
        best = best + centrality(sig)
    position = {int(i): r for r, i in enumerate(sig.index.ids)}
    shown = [position[i] for i in picked if i in position]
    rows: list[int] = []
    order = iter(np.argsort(-best))
    while len(rows) < offset + limit:  # a page of rows, never a second copy of a work shown before it
        batch = []
        for row in order:
            item_id = int(sig.index.ids[row])
            if not np.isfinite(best[row]) or item_id in picked or (of_kind is not None and item_id not in of_kind):
                continue
            batch.append(int(row))
            if len(batch) >= 2 * (offset + limit - len(rows)):
                break
        if not batch:
            break
        rows += one_copy(sig.index, sig.describe, batch, shown + rows)
    out = []
    for row in rows[offset:offset + limit]:
        track_index = int(which[row])
        track = tracks[track_index]
        reason = reasons.dump(reason_for(sig, track, row, int(scored[track_index][1][row])))
        out.append(InboxEntry(int(sig.index.ids[row]), float(best[row]), track, reason))
    return out


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
