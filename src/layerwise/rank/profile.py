"""The user's profile: what they need and want to learn, and the settings of the weekly plan.

Focuses live in the database (several per track); settings live in config.toml so they can be edited by
hand: `budget` (picks per week, default 5), `need_share` (share of picks for the need track, default 0.8,
i.e. 80/20 need/want), `targets` (core/adjacent/moonshot shares, default 70/20/10), `timebox` (minutes of a
study session, default 45), `lean` (letter, envelope
or both): items linked to concepts of the leaned area rank higher, items only on the other area lower
(rank/concepts.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerwise.concepts.progress import layers
from layerwise.errors import LayerwiseError
from layerwise.store import profile as plan_rows
from layerwise.times import utc_stamp

if TYPE_CHECKING:
    from layerwise.library import Library

TRACKS = ("need", "want")
LEANS = ("letter", "envelope", "both")
DEFAULTS: dict[str, Any] = {"budget": 5, "need_share": 0.8, "lean": "both", "targets": "70/20/10", "timebox": 45}
BUCKETS = ("core", "adjacent", "moonshot")


@dataclass
class Settings:
    budget: int
    need_share: float
    lean: str
    targets: str = "70/20/10"  # core/adjacent/moonshot shares of the picks, balanced over the weeks
    timebox: float = 45  # minutes of a study session

    def bucket_shares(self) -> dict[str, float]:
        parts = [float(p) for p in self.targets.split("/")]
        total = sum(parts)
        return dict(zip(BUCKETS, (p / total for p in parts)))

    def slots(self, tracks_with_focus: set[str]) -> dict[str, int]:
        """Picks per track; a track without a focus gives its slots to the other."""
        need = round(self.budget * self.need_share)
        split = {"need": need, "want": self.budget - need}
        if tracks_with_focus == {"need"}:
            return {"need": self.budget, "want": 0}
        if tracks_with_focus == {"want"}:
            return {"need": 0, "want": self.budget}
        return split


def settings(library: Library) -> Settings:
    config = {**DEFAULTS, **{k: v for k, v in library.home.config().items() if k in DEFAULTS}}
    try:
        result = Settings(int(config["budget"]), float(config["need_share"]), str(config["lean"]), str(config["targets"]),
                          float(config["timebox"]))
    except (TypeError, ValueError):
        raise LayerwiseError("budget must be a whole number, need_share and timebox numbers",
                             where=str(library.home.config_path)) from None
    _check(result)
    return result


def _check(s: Settings) -> None:
    if not 1 <= s.budget <= 50:
        raise LayerwiseError(f"budget must be between 1 and 50 picks a week, not {s.budget}")
    if not 0 <= s.need_share <= 1:
        raise LayerwiseError(f"need_share must be between 0 and 1 (0.8 means 80/20 need/want), not {s.need_share}")
    if not 1 <= s.timebox <= 240:
        raise LayerwiseError(f"timebox must be between 1 and 240 minutes, not {s.timebox:g}")
    if s.lean not in LEANS:
        raise LayerwiseError(f"lean must be one of {', '.join(LEANS)}, not {s.lean!r}")
    parts = s.targets.split("/")
    try:
        ok = len(parts) == 3 and all(float(p) >= 0 for p in parts) and sum(float(p) for p in parts) > 0
    except ValueError:
        ok = False
    if not ok:
        raise LayerwiseError(f"targets are three core/adjacent/moonshot shares such as 70/20/10, not {s.targets!r}")


def set_setting(library: Library, key: str, value: str) -> Settings:
    if key not in DEFAULTS:
        raise LayerwiseError(f"unknown setting {key!r}; settable: {', '.join(DEFAULTS)}")
    parsed: Any = value
    if key == "need_share" and "/" in value:  # "80/20"
        need, _, want = value.partition("/")
        try:
            parsed = float(need) / (float(need) + float(want))
        except (ValueError, ZeroDivisionError):
            raise LayerwiseError(f"need_share takes a share (0.8) or a split (80/20), not {value!r}") from None
    elif key in ("budget", "need_share", "timebox"):
        try:
            parsed = int(value) if key == "budget" else float(value)
        except ValueError:
            raise LayerwiseError(f"{key} takes a number, not {value!r}") from None
    current = settings(library)
    candidate = Settings(**{**current.__dict__, key: parsed})
    _check(candidate)
    library.home.set_config(key, parsed)
    return candidate


def focuses(library: Library) -> list[dict[str, Any]]:
    with library.store.begin() as conn:
        return plan_rows.focuses(conn)


def add_focus(library: Library, track: str, text: str) -> None:
    if track not in TRACKS:
        raise LayerwiseError(f"track must be need or want, not {track!r}")
    if not text.strip():
        raise LayerwiseError("a focus needs some words, e.g. \"deploying a two-tower recommender on Kubernetes\"")
    with library.store.begin() as conn:
        plan_rows.add_focus(conn, track, " ".join(text.split()), utc_stamp())


def remove_focus(library: Library, focus_id: int) -> None:
    with library.store.begin() as conn:
        if not plan_rows.remove_focus(conn, focus_id):
            raise LayerwiseError(f"no focus with id {focus_id} (see `layerwise focus list`)")


def rate(library: Library, ref: str, signal: int, reason: str = "rated") -> int:
    item_id = library.resolve(ref)
    with library.store.begin() as conn:
        plan_rows.add_feedback(conn, item_id, signal, reason, utc_stamp())
    return item_id


def fingerprint(library: Library) -> str:
    """Changes when anything the plan depends on changes: focuses, settings, feedback, layers on the map."""
    with library.store.begin() as conn:
        state = {"focuses": [(f["track"], f["text"]) for f in plan_rows.focuses(conn)], "feedback": plan_rows.feedback_stamp(conn),
                 "settings": {k: v for k, v in settings(library).__dict__.items() if k != "timebox"},
                 "layers": layers(library)}
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
