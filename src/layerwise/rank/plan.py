"""The weekly plan: from the whole library, a handful of picks in two tracks, each with a reason.

Each ISO week's picks are stored with a fingerprint of what they were chosen under (focuses, settings,
ratings, layers); they are chosen again only when that changes, and accepted or finished picks always stay.
How items are scored is rank/scoring.py; the rest of the ranked library is the inbox (rank/inbox.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from layerwise.concepts.linking import items_for
from layerwise.concepts.resources import ensure
from layerwise.errors import LayerwiseError
from layerwise.rank import profile, reasons
from layerwise.rank.concepts import concept_signals
from layerwise.rank.importance import importance
from layerwise.rank.profile import Settings, settings
from layerwise.rank.scoring import (
    Signals,
    allot,
    because,
    centrality,
    choose,
    known_share,
    mmr,
    reason_for,
    shorten,
    track_scores,
)
from layerwise.represent.dense import Encoder, encoder_for
from layerwise.represent.index import load_index
from layerwise.store import graph as graph_rows
from layerwise.store import profile as plan_rows
from layerwise.store import sessions as session_rows
from layerwise.store import statuses as status_rows
from layerwise.store.profile import Focus, StoredPick
from layerwise.times import iso_week, utc_stamp, week_days
from layerwise.vocab import FINISHED_STATUSES, TRACKS

if TYPE_CHECKING:
    from layerwise.library import Library


@dataclass
class Pick:
    position: int
    item_id: int
    track: str
    reason: str
    state: str
    bucket: str = "core"  # core, adjacent or moonshot

    @property
    def because(self) -> str:
        """The reason without its track: what a page or a listing shows next to the track."""
        return because(self.reason)

    @property
    def reasons(self) -> list[reasons.Reason]:
        """The signals that chose the pick, each with its evidence."""
        return reasons.load(self.reason)


@dataclass
class Plan:
    week: str
    picks: list[Pick]
    notes: list[str] = field(default_factory=list)


def load_signals(library: Library, week: str) -> Signals:
    ensure(library)  # the map's starting resources are candidates like any captured item

    index = load_index(library)
    with library.store.begin() as conn:
        focus_rows = plan_rows.focuses(conn)
        feedback = plan_rows.feedback(conn)
        excluded_ids = status_rows.ids_with(conn, FINISHED_STATUSES)
        known = status_rows.ids_with(conn, ("done", "reading"))
        skipped = {p.item_id for p in plan_rows.picks(conn, week) if p.state == "skipped"}
        mentioned = graph_rows.mentioned(conn)  # cited, not captured: nothing to study yet
    position = index.position
    focuses: dict[str, list[Focus]] = {track: [] for track in TRACKS}
    for f in focus_rows:
        focuses[f.track].append(f)
    liked = {i for i, s in feedback.items() if s > 0}
    disliked = {i for i, s in feedback.items() if s < 0}
    plan_settings = settings(library)
    return Signals(
        index=index, focuses=focuses,
        liked=[position[i] for i in liked if i in position],
        disliked=[position[i] for i in disliked if i in position],
        excluded={position[i] for i in excluded_ids | skipped | mentioned if i in position},
        concepts=concept_signals(library, index, plan_settings.lean),
        importance=importance(library, index, liked | known, disliked, known, plan_settings.recency),
        describe=lambda ids: _describe(library, ids))


def _describe(library: Library, item_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    with library.store.begin() as conn:
        return graph_rows.titles(conn, item_ids)


def week_plan(library: Library, week: str | None = None, refresh: bool = False) -> Plan:
    """This ISO week's picks: stored ones if nothing the plan depends on changed, else chosen now.
    Accepted and finished picks are always kept."""
    week = week or iso_week()
    stamp = profile.fingerprint(library)
    _add_dives(library, week, stamp)
    with library.store.begin() as conn:
        stored = plan_rows.picks(conn, week)
        if library.is_empty():
            raise LayerwiseError("the library is empty: capture something first (`layerwise add`, `import`, `feed add`)")
    live = [p for p in stored if p.state != "skipped"]
    settings = profile.settings(library)
    # a week holding only picks the user put there (a scheduled dive, a pick carried over) is not chosen yet
    chosen = any(p.state == "proposed" for p in live) or len(live) >= settings.budget
    if chosen and not refresh and all(p.profile == stamp for p in live if p.state == "proposed"):
        return Plan(week, [Pick(p.position, p.item_id, p.track, p.reason, p.state, p.bucket) for p in live])
    sig = load_signals(library, week)
    plan = Plan(week, [])
    tracks_with_focus = {t for t in TRACKS if sig.focuses[t]}
    if not tracks_with_focus:
        plan.notes.append("no focus set: these picks come from your ratings and a broad sample of the library; "
                          "set one with `layerwise focus need \"...\"`")
    for focus in sig.focuses["need"] + sig.focuses["want"]:
        if known_share(sig.index, focus.text) < 0.5:  # e.g. a focus in another language than the library
            plan.notes.append(f"most words of the focus '{shorten(focus.text)}' do not occur in your library; "
                              "its picks rest on meaning alone and may be weak")
    kept = [p for p in live if p.state in ("accepted", "done")]
    position = sig.index.position
    taken = [position[p.item_id] for p in kept if p.item_id in position]
    encoder = encoder_for(library.home.config())
    new_picks = _fill(library, sig, settings, week, kept, taken, encoder)
    with library.store.begin() as conn:
        plan_rows.drop_proposed(conn, week)
        for p in kept:
            plan.picks.append(Pick(0, p.item_id, p.track, p.reason, p.state, p.bucket))
        for track, item_id, reason, bucket in new_picks:
            plan.picks.append(Pick(0, item_id, track, reason, "proposed", bucket))
        plan.picks.sort(key=lambda p: (p.track != "need",))
        for n, pick in enumerate(plan.picks, 1):
            pick.position = n
            plan_rows.save_pick(conn, StoredPick(week=week, item_id=pick.item_id, track=pick.track, position=n,
                                 reason=pick.reason, state=pick.state, bucket=pick.bucket,
                                 profile=stamp), utc_stamp())
    return plan


def _add_dives(library: Library, week: str, stamp: str) -> None:
    """Deeper dives the user scheduled for a day of this week join its plan as accepted picks; a dive on a
    concept brings the concept's best linked item the user has not finished."""
    monday, sunday = week_days(week)
    with library.store.begin() as conn:
        rows = [(d["item_id"], d["slug"], d["layer"], d["day"], d["track"])
                for d in session_rows.dives_between(conn, monday.isoformat(), sunday.isoformat())]
        if not rows:
            return
        stored = plan_rows.picks(conn, week)
    picked = {p.item_id for p in stored}
    position = max((p.position for p in stored), default=0)
    for item_id, slug, layer, day, track in rows:
        about = ""
        if item_id is None and slug:
            item_id = next((i.id for i, _, _ in items_for(library, slug, limit=20) if i.status != "done"), None)
            about = f" on {slug}"
        if item_id is None or item_id in picked:
            continue
        position += 1
        picked.add(item_id)
        with library.store.begin() as conn:
            plan_rows.save_pick(conn, StoredPick(week=week, item_id=item_id, track=track or "need", position=position,
                                 reason=reasons.one("dive", f"the deeper dive{about} you scheduled for {day} ({layer})"),
                                 state="accepted", bucket="core", profile=stamp), utc_stamp())


def _fill(library: Library, sig: Signals, settings: Settings, week: str, existing: list[StoredPick], taken: list[int],
          encoder: Encoder) -> list[tuple[str, int, str, str]]:
    """(track, item id, reason, bucket) for every slot the existing picks leave open in each track."""
    tracks_with_focus = {t for t in TRACKS if sig.focuses[t]}
    shares = settings.bucket_shares()
    out: list[tuple[str, int, str, str]] = []
    for track, slots in settings.slots(tracks_with_focus or {"need"}).items():
        room = slots - sum(1 for p in existing if p.track == track)
        if room <= 0:
            continue
        if not tracks_with_focus and not sig.liked:
            # nothing to be close to or far from yet: a broad, diverse sample of the library
            scores, best = track_scores(sig, track, encoder)
            for row in mmr(sig, scores + centrality(sig), room, taken):
                taken.append(row)
                out.append((track, int(sig.index.ids[row]), reasons.dump(reason_for(sig, track, row, int(best[row]))), "core"))
            continue
        with library.store.begin() as conn:
            history = plan_rows.bucket_history(conn, track, week)
        for p in existing:
            if p.track == track:
                history[p.bucket] = history.get(p.bucket, 0) + 1
        for row, bucket, reason in choose(sig, track, allot(shares, history, room), taken, encoder):
            out.append((track, int(sig.index.ids[row]), reason, bucket))
    return out


def act(library: Library, position: int, action: str, week: str | None = None) -> Plan:
    """accept, skip, swap or done on the pick at this position of the week's plan."""
    week = week or iso_week()
    plan = week_plan(library, week)
    pick = next((p for p in plan.picks if p.position == position), None)
    if pick is None:
        raise LayerwiseError(f"this week's plan has no pick {position} (it has 1 to {len(plan.picks)})")
    with library.store.begin() as conn:
        now = utc_stamp()
        if action == "accept":
            plan_rows.set_pick_state(conn, week, pick.item_id, "accepted")
            plan_rows.add_feedback(conn, pick.item_id, 1, "accepted pick", now)
            status_rows.set_status(conn, [pick.item_id], "planned", now)
        elif action == "done":
            plan_rows.set_pick_state(conn, week, pick.item_id, "done")
            plan_rows.add_feedback(conn, pick.item_id, 1, "finished pick", now)
            status_rows.set_status(conn, [pick.item_id], "done", now)
        elif action in ("skip", "swap"):
            plan_rows.set_pick_state(conn, week, pick.item_id, "skipped")
            if action == "skip":  # "not for me"; a swap is only "not this one"
                plan_rows.add_feedback(conn, pick.item_id, -1, "skipped pick", now)
        else:
            raise LayerwiseError(f"unknown action {action!r}: accept, skip, swap or done")
    if action in ("skip", "swap"):
        return _refill(library, week)
    _keep_plan(library, week)
    return week_plan(library, week)


def _keep_plan(library: Library, week: str) -> None:
    """Accepting or finishing a pick is feedback, which would re-choose the proposed picks on the next look;
    the user acted on this plan, so it stays as it is."""
    stamp = profile.fingerprint(library)
    with library.store.begin() as conn:
        plan_rows.restamp(conn, week, stamp)


def _refill(library: Library, week: str) -> Plan:
    """Replace skipped picks without touching the others."""
    with library.store.begin() as conn:
        stored = plan_rows.picks(conn, week)
    live = [p for p in stored if p.state != "skipped"]
    sig = load_signals(library, week)
    position = sig.index.position
    taken = [position[p.item_id] for p in live if p.item_id in position]
    stamp = live[0].profile if live else profile.fingerprint(library)
    additions = _fill(library, sig, profile.settings(library), week, live, taken, encoder_for(library.home.config()))
    with library.store.begin() as conn:
        next_position = max([p.position for p in stored], default=0)
        for track, item_id, reason, bucket in additions:
            next_position += 1
            plan_rows.save_pick(conn, StoredPick(week=week, item_id=item_id, track=track, position=next_position,
                                 reason=reason, state="proposed", bucket=bucket, profile=stamp), utc_stamp())
    _keep_plan(library, week)
    return week_plan(library, week)


def _best_track(library: Library, week: str, item_id: int) -> str:
    """The track whose score is higher for this item (need when only need has a focus, or none has)."""
    sig = load_signals(library, week)
    tracks = [t for t in TRACKS if sig.focuses[t]]
    rows = np.flatnonzero(sig.index.ids == item_id)
    if len(tracks) < 2 or not len(rows):
        return tracks[0] if tracks else "need"
    encoder = encoder_for(library.home.config())
    return max(tracks, key=lambda t: float(track_scores(sig, t, encoder)[0][rows[0]]))


def add_to_week(library: Library, ref: str, track: str | None = None, week: str | None = None) -> Plan:
    """Take an item from the inbox into this week's plan as an accepted pick (in the track it fits best)."""
    if track is not None and track not in TRACKS:
        raise LayerwiseError(f"the track is need or want, not {track!r}")
    week = week or iso_week()
    item = library.get(ref)
    plan = week_plan(library, week)
    existing = next((p for p in plan.picks if p.item_id == item.id), None)
    if existing is not None:
        return act(library, existing.position, "accept", week)
    track = track or _best_track(library, week, item.library_id)
    with library.store.begin() as conn:
        stored = plan_rows.picks(conn, week)
        now = utc_stamp()
        plan_rows.save_pick(conn, StoredPick(week=week, item_id=item.library_id, track=track,
                             position=max((p.position for p in stored), default=0) + 1,
                             reason=reasons.one("inbox", "you took it from the inbox"), state="accepted", bucket="core",
                             profile=profile.fingerprint(library)), now)
        plan_rows.add_feedback(conn, item.library_id, 1, "taken from the inbox", now)
        status_rows.set_status(conn, [item.library_id], "planned", now)
    _keep_plan(library, week)
    return week_plan(library, week)
