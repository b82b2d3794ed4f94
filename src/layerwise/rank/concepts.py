"""Concept-map signals for the weekly plan, once the user has a position on the map (a layer on some concept)
or a lean towards the letter (models) or the envelope (infrastructure):

  frontier   items on a concept at the frontier (its prerequisites explored, itself not yet): wide before deep;
  new angle  items on a concept being deepened (explored or deepened) whose kind (book, course, paper, video,
             exercise, ...) the user has not yet studied it from, so a concept is learned from several angles;
  lean       items on concepts of the leaned area up, those only on the other area down (foundation is neutral).

Each signal is the link's confidence (0.4-1.0) times a weight, so it orders items that the focus already
ranks close together rather than overriding the focus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from layerwise.concepts.linking import ensure_linked
from layerwise.concepts.overlay import concept_map
from layerwise.concepts.progress import frontier, layers
from layerwise.store import concepts as concept_rows
from layerwise.vocab import STUDIED_STATUSES

if TYPE_CHECKING:
    from layerwise.library import Library
    from layerwise.represent.indexed import Index

FRONTIER_WEIGHT = 1.0
NEW_ANGLE_WEIGHT = 0.8  # below the frontier: wide before deep
LEAN_WEIGHT = 0.5
STUDIED = STUDIED_STATUSES


@dataclass
class ConceptSignals:
    bonus: np.ndarray  # per index row
    reasons: dict[int, str] = field(default_factory=dict)  # index row -> phrase for the pick's reason


def concept_signals(library: Library, index: Index, lean: str) -> ConceptSignals | None:
    current = layers(library)
    if not current and lean == "both":
        return None
    ensure_linked(library)
    cmap = concept_map(library)
    edge = {e.slug: e for e in frontier(library, limit=None)} if current else {}
    deepening = {s for s, layer in current.items() if layer in ("explored", "deepened") and s in cmap.concepts}
    # Only the links of frontier and deepening concepts carry a bonus: fetch those, not every link in the library
    # (230k rows on the 170k library); the lean needs one number per item and area, aggregated in the database.
    wanted = sorted(set(edge) | deepening)
    with library.store.begin() as conn:
        links = [(link.item_id, link.slug, link.confidence, link.kind, link.status)
                 for link in concept_rows.linked_items(conn, wanted)]
        strongest = {}
        if lean != "both":
            for side, slugs in (("leaned", [c.slug for c in cmap.concepts.values() if c.area == lean]),
                                ("other", [c.slug for c in cmap.concepts.values() if c.area not in (lean, "foundation")])):
                strongest[side] = concept_rows.strongest_link(conn, slugs)
    studied_kinds: dict[str, set[str]] = {}
    for _, slug, _, kind, status in links:
        if slug in deepening and status in STUDIED:
            studied_kinds.setdefault(slug, set()).add(kind)
    row_of = {int(i): r for r, i in enumerate(index.ids)}
    bonus = np.zeros(len(index.ids))
    best: dict[int, float] = {}
    out = ConceptSignals(bonus)
    for item_id, slug, confidence, kind, _ in links:
        row = row_of.get(item_id)
        concept = cmap.concepts.get(slug)
        if row is None or concept is None:
            continue
        value, reason = 0.0, ""
        if slug in edge:
            value = FRONTIER_WEIGHT * confidence
            prereqs = cmap.prerequisites(slug)
            reason = (f"on {concept.name}, next on your map (you have explored "
                      f"{', '.join(cmap.concepts[p].name for p in prereqs)})" if prereqs
                      else f"on {concept.name}, a foundation to cover early")
        elif slug in deepening and kind not in studied_kinds.get(slug, set()):
            value = NEW_ANGLE_WEIGHT * confidence
            reason = f"a new angle ({kind}) on {concept.name}, which you are deepening"
        if value > best.get(row, 0.0):
            best[row] = value
            out.reasons[row] = reason
    for row, value in best.items():
        bonus[row] += value
    if lean != "both":
        for side, sign in (("leaned", 1.0), ("other", -1.0)):
            for item_id, confidence in strongest[side]:
                row = row_of.get(item_id)
                if row is not None:
                    bonus[row] += sign * LEAN_WEIGHT * confidence
    return out
