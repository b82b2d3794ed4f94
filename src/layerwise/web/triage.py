"""Inbox, item and week pages: triage the ranked flood into this week's plan."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from layerwise.concepts.linking import concepts_of
from layerwise.errors import NotFound
from layerwise.rank.inbox import INBOX_ACTIONS
from layerwise.rank.inbox import inbox as ranked
from layerwise.rank.inbox import triage as triage_item
from layerwise.rank.plan import act, week_plan
from layerwise.rank.profile import focuses, settings
from layerwise.rank.reasons import Reason
from layerwise.rank.reasons import load as load_reasons
from layerwise.references import links
from layerwise.reinforce import team
from layerwise.reinforce.due import due_week
from layerwise.study import notes
from layerwise.study.schedule import week_ics
from layerwise.vocab import BUCKETS, KINDS, PICK_ACTIONS
from layerwise.web.params import Offset, Position
from layerwise.web.render import local_path, page
from layerwise.web.warmup import preparing, ready

router = APIRouter()
PAGE_SIZE = 30


def _source(item: Any) -> str:
    return item.refs[0][0] if item.refs else ""


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, q: str = "", kind: str = "", offset: Offset = 0) -> HTMLResponse:
    """Ranked items with their reasons; with a query, full-text search results instead."""
    library = request.state.library
    offset = max(0, offset)
    kind = kind if kind in KINDS else ""
    if q.strip():  # full-text search needs no representations: it answers while they are prepared
        found, total = library.find(q, limit=PAGE_SIZE, offset=offset, kind=kind or None)
        rows = [{"item": i, "track": "", "reasons": [Reason("search", "matches your search")]} for i in found]
    else:
        if (wait := preparing(request, "the ranked inbox")) is not None:
            return wait
        total = None
        entries = [] if library.is_empty() else ranked(library, limit=PAGE_SIZE, offset=offset, kind=kind or None)
        items = library.items_by_id([e.item_id for e in entries])
        rows = [{"item": items[e.item_id], "track": e.track, "reasons": load_reasons(e.reason)}
                for e in entries if e.item_id in items]
    linked = concepts_of(library, [r["item"].id for r in rows]) if ready(request) else {}
    for row in rows:
        row["concepts"] = linked.get(row["item"].id, [])
        row["source"] = _source(row["item"])
    return page(request, "inbox.html", rows=rows, q=q, kind=kind, kinds=KINDS, offset=offset, total=total,
                page_size=PAGE_SIZE)


@router.post("/items/{ref}/{action}")
def triage(request: Request, ref: str, action: str, back: str = Form("/inbox")) -> Response:
    """accept (into this week's plan), skip (not for me), archive (keep, out of the ranking), like, dislike."""
    if action not in INBOX_ACTIONS:
        raise NotFound(f"no action {action!r}")
    if action == "accept" and (wait := preparing(request, "the inbox")) is not None:
        return wait  # taking an item into the week replans it: not before the representations are ready
    triage_item(request.state.library, ref, action)
    if request.headers.get("x-requested-with") == "layerwise":  # keyboard triage: the page updates itself
        return JSONResponse({"ref": ref, "action": action})
    return RedirectResponse(local_path(back) or "/inbox", status_code=303)


@router.get("/items/{ref}", response_class=HTMLResponse)
def item(request: Request, ref: str) -> HTMLResponse:
    library = request.state.library
    found = library.get(ref)
    note = notes.find_item_note(library, found.id)
    concepts = concepts_of(library, [found.id]).get(found.id, []) if ready(request) else []
    return page(request, "item.html", item=found, concepts=concepts,
                note=notes.relative(library, note) if note else None,
                source=_source(found), graph=links(library.store, found.library_id),
                shared=team.shared_on(library, found.library_id))


@router.get("/week", response_class=HTMLResponse)
def week(request: Request) -> HTMLResponse:
    library = request.state.library
    if library.is_empty():
        return page(request, "week.html", plan=None, empty=True)
    if (wait := preparing(request, "this week's plan")) is not None:
        return wait
    plan = week_plan(library)
    items = library.items_by_id([p.item_id for p in plan.picks])
    prefs = settings(library)
    tracks: dict[str, list[dict[str, Any]]] = {"need": [], "want": []}
    for p in plan.picks:
        tracks.setdefault(p.track, []).append({"pick": p, "item": items[p.item_id], "reasons": p.reasons})
    done = sum(1 for p in plan.picks if p.state == "done")
    buckets = {b: sum(1 for p in plan.picks if p.bucket == b) for b in BUCKETS}
    return page(request, "week.html", plan=plan, tracks=tracks, budget=prefs.budget, done=done, buckets=buckets,
                targets=prefs.bucket_shares(), need_share=prefs.need_share, focuses=focuses(library), empty=False,
                review_due=due_week(library) if prefs.nudge else None)


@router.get("/week.ics")
def week_calendar(request: Request) -> Response:
    """The week's timeboxes, dives and review as calendar events (what `layerwise week --ics` writes)."""
    if (wait := preparing(request, "this week's calendar")) is not None:
        return wait
    return Response(week_ics(request.state.library), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="layerwise-week.ics"'})


@router.post("/week/{position}/{action}")
def week_action(request: Request, position: Position, action: str) -> Response:
    if action not in PICK_ACTIONS:
        raise NotFound(f"no action {action!r}")
    if (wait := preparing(request, "this week's plan")) is not None:
        return wait
    act(request.state.library, position, action)
    return RedirectResponse("/week", status_code=303)
