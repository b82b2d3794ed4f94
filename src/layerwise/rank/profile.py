"""The user's profile: what they need and want to learn, and the settings of the weekly plan.

Focuses live in the database (several per track); settings live in config.toml so they can be edited by
hand: `budget` (picks per week, default 5), `need_share` (share of picks for the need track, default 0.8,
i.e. 80/20 need/want), `targets` (core/adjacent/moonshot shares, default 70/20/10), `timebox` (minutes of a
study session, default 45), `study_slots` (days and a start time for sessions in the calendar, default
"mon,tue,wed,thu,fri 08:00"), `nudge` (on or off: one line when the weekly review is due or today's timebox
has not happened), `lean` (letter, envelope or both): items linked to concepts of the leaned area rank higher,
items only on the other area lower (rank/concepts.py), `recency` (value, some or new: how much being recent
counts against what matters; value by default, rank/importance.py), `enrich_on_sync` (on or off: `sync` also
fetches OpenAlex citation data for the items it brought in).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from layerwise.concepts.progress import layers
from layerwise.errors import LayerwiseError
from layerwise.store import profile as plan_rows
from layerwise.store.profile import Focus
from layerwise.times import parse_slots, utc_stamp
from layerwise.vocab import BUCKETS, LEANS, RECENCY, TRACKS

if TYPE_CHECKING:
    from layerwise.library import Library

DEFAULTS: dict[str, Any] = {"budget": 5, "need_share": 0.8, "lean": "both", "targets": "70/20/10", "timebox": 45,
                            "study_slots": "mon,tue,wed,thu,fri 08:00", "nudge": True, "recency": "value",
                            "enrich_on_sync": False}
NOT_PLANNING = ("timebox", "study_slots", "nudge", "enrich_on_sync")  # settings of the sessions, not of what the plan picks


@dataclass(frozen=True)
class Settings:
    """The plan's settings, checked as they are made; each rule says what is wrong in the user's terms.
    (A pydantic model was tried: it cost every plan command 80 ms of start-up for these five rules.)"""

    budget: int = DEFAULTS["budget"]
    need_share: float = DEFAULTS["need_share"]
    lean: str = DEFAULTS["lean"]
    targets: str = DEFAULTS["targets"]  # core/adjacent/moonshot shares of the picks, balanced over the weeks
    timebox: float = DEFAULTS["timebox"]  # minutes of a study session
    study_slots: str = DEFAULTS["study_slots"]  # when sessions go in the calendar: days and a start time
    nudge: bool = DEFAULTS["nudge"]  # a line when the weekly review is due or today's timebox has not happened
    recency: str = DEFAULTS["recency"]  # how much being new counts: value (not at all), some, new
    enrich_on_sync: bool = DEFAULTS["enrich_on_sync"]  # `sync` fetches OpenAlex data for what it brought in

    def __post_init__(self) -> None:
        if not 1 <= self.budget <= 50:
            raise LayerwiseError(f"budget must be between 1 and 50 picks a week, not {self.budget}")
        if not 0 <= self.need_share <= 1:
            raise LayerwiseError(f"need_share must be between 0 and 1 (0.8 means 80/20 need/want), not {self.need_share}")
        parse_slots(self.study_slots)
        if not 1 <= self.timebox <= 240:
            raise LayerwiseError(f"timebox must be between 1 and 240 minutes, not {self.timebox:g}")
        if self.lean not in LEANS:
            raise LayerwiseError(f"lean must be one of {', '.join(LEANS)}, not {self.lean!r}")
        if self.recency not in RECENCY:
            raise LayerwiseError(f"recency must be one of {', '.join(RECENCY)} (value: what matters over what is new), "
                                 f"not {self.recency!r}")
        parts = self.targets.split("/")
        try:
            ok = len(parts) == 3 and all(float(p) >= 0 for p in parts) and sum(float(p) for p in parts) > 0
        except ValueError:
            ok = False
        if not ok:
            raise LayerwiseError(f"targets are three core/adjacent/moonshot shares such as 70/20/10, not {self.targets!r}")

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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _validated(values: dict[str, Any], where: str | None = None) -> Settings:
    merged = {**DEFAULTS, **values}
    try:
        budget, need_share, timebox = int(merged["budget"]), float(merged["need_share"]), float(merged["timebox"])
    except (TypeError, ValueError, OverflowError):  # OverflowError: a hand-edited `budget = 1e400`
        raise LayerwiseError("budget must be a whole number, need_share and timebox numbers", where=where) from None
    nudge, enrich_on_sync = merged["nudge"], merged["enrich_on_sync"]
    for name, value in (("nudge", nudge), ("enrich_on_sync", enrich_on_sync)):
        if not isinstance(value, bool):
            raise LayerwiseError(f"{name} is on or off, not {value!r}", where=where)
    return Settings(budget, need_share, str(merged["lean"]), str(merged["targets"]), timebox, str(merged["study_slots"]),
                    nudge, str(merged["recency"]), enrich_on_sync)


def settings(library: Library) -> Settings:
    config = {k: v for k, v in library.desk.config().items() if k in DEFAULTS}
    return _validated(config, where=str(library.desk.config_path))


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
    elif key in ("nudge", "enrich_on_sync"):
        switch = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}
        if value.lower() not in switch:
            raise LayerwiseError(f"{key} is on or off, not {value!r}")
        parsed = switch[value.lower()]
    elif key in ("budget", "need_share", "timebox"):
        try:
            parsed = int(value) if key == "budget" else float(value)
        except ValueError:
            raise LayerwiseError(f"{key} takes a number, not {value!r}") from None
    candidate = _validated({**settings(library).as_dict(), key: parsed})
    library.desk.set_config(key, parsed)
    return candidate


def focuses(library: Library) -> list[Focus]:
    with library.store.reading() as conn:
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
        state = {"focuses": [(f.track, f.text) for f in plan_rows.focuses(conn)], "feedback": plan_rows.feedback_stamp(conn),
                 "settings": {k: v for k, v in settings(library).as_dict().items() if k not in NOT_PLANNING},
                 "layers": layers(library)}
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
