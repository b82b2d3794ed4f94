"""The words layerwise shares across the library, the plan, study and the interfaces: one list each.

The database's CHECK constraints (store/migrations) spell the same lists; a test keeps them equal.
"""

from __future__ import annotations

from typing import Final

KINDS: Final = ("paper", "post", "video", "podcast", "book", "course", "thread", "repo", "talk", "exercise", "page")
STATUSES: Final = ("inbox", "planned", "reading", "done", "archived", "dropped")
FINISHED_STATUSES: Final = ("done", "dropped", "archived")  # never proposed again
STUDIED_STATUSES: Final = ("planned", "reading", "done")  # the user studied, or is studying, the item

TRACKS: Final = ("need", "want")
BUCKETS: Final = ("core", "adjacent", "moonshot")
PICK_STATES: Final = ("proposed", "accepted", "skipped", "done")
PICK_ACTIONS: Final = ("accept", "skip", "swap", "done")
# What the weekly review makes of a pick left untouched: into next week, back to the inbox, or a dive on a day.
REVIEW_CHOICES: Final = ("carry", "let-go", "schedule")
LEANS: Final = ("letter", "envelope", "both")
# How much being new counts in the plan: not at all (value over recency), some, or much.
RECENCY: Final = ("value", "some", "new")

AREAS: Final = ("foundation", "letter", "envelope")
# Where the user stands on a concept, and the session layer that reaches each stand.
CONCEPT_LAYERS: Final = ("none", "skimmed", "explored", "deepened", "built")
SESSION_LAYERS: Final = ("skim", "explore", "deepen", "build")
REACHES: Final = {"skim": "skimmed", "explore": "explored", "deepen": "deepened", "build": "built"}
OUTCOMES: Final = ("summarize", "bookmark", "schedule")
STATUS_AFTER: Final = {"summarize": "done", "bookmark": "reading", "schedule": "planned"}
LINK_STATES: Final = ("auto", "confirmed", "removed")


def at_least(layer: str, floor: str) -> bool:
    """Whether a concept layer is `floor` or deeper."""
    return CONCEPT_LAYERS.index(layer) >= CONCEPT_LAYERS.index(floor)

# The largest numbers the interfaces take: an id as SQLite's INTEGER and PostgreSQL's BIGINT hold it, and a
# count (a limit, an offset) small enough that a limit plus an offset still fits
LARGEST_ID: Final = 2**63 - 1
LARGEST_COUNT: Final = 2**31 - 1
