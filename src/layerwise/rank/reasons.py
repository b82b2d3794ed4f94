"""Why a pick or an inbox item is there: a list of typed reasons, each with its evidence, stored as JSON with
the pick and rendered by the CLI, the web app, the digest and the calendar export alike.

Kinds: focus (the words an item shares with a focus), liked (like an item the user liked), concept (its
place on the concept map), cited (items in the library cite it), endorsed (curated lists recommend it),
widely-cited (an outside count), foundational (this week's candidates build on it), builds-on (it cites work
the user finished), new, moonshot, sample, dive, carried, inbox; and legacy for reasons stored as text by an
earlier version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Reason:
    kind: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def dump(reasons: Sequence[Reason]) -> str:
    """The stored form: a JSON list of {kind, text}."""
    return json.dumps([r.to_dict() for r in reasons], ensure_ascii=False)


def load(stored: str | None) -> list[Reason]:
    """Reasons from their stored form; text stored by an earlier version ("need: close to ...; like ...") is
    one legacy reason per clause."""
    if not stored:
        return []
    if stored.startswith("["):
        try:
            return [Reason(str(r["kind"]), str(r["text"])) for r in json.loads(stored)]
        except (ValueError, KeyError, TypeError):
            pass
    track, sep, rest = stored.partition(": ")
    text = rest if sep and track in ("need", "want") else stored
    return [Reason("legacy", part) for part in text.split("; ") if part]


def render(reasons: Sequence[Reason]) -> str:
    """One line: the reasons joined, strongest evidence first as they were chosen."""
    return "; ".join(r.text for r in reasons)


def one(kind: str, text: str) -> str:
    """A single stored reason (a scheduled dive, a pick carried over, one taken from the inbox)."""
    return dump([Reason(kind, text)])


def quoted(title: str, width: int = 60) -> str:
    title = " ".join(title.split())
    return f"'{title if len(title) <= width else title[:width - 1].rstrip() + '…'}'"


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
