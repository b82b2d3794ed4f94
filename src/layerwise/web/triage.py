"""Inbox, item and week pages: triage the ranked flood into this week's plan."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from layerwise.records import KINDS
from layerwise.web.app import local_path, page

router = APIRouter()
PAGE_SIZE = 30
INBOX_ACTIONS = ("accept", "skip", "archive", "like", "dislike")


def _concepts(library: Any, ids: list[int]) -> dict[int, list[str]]:
    """The concepts each item is linked to (best first, removed links left out)."""
    from sqlalchemy import bindparam, text

    from layerwise.concepts.linking import ensure_linked

    if not ids:
        return {}
    ensure_linked(library)
    out: dict[int, list[str]] = {}
    with library.store.begin() as conn:
        rows = conn.execute(text("SELECT item_id, slug FROM item_concepts WHERE item_id IN :ids AND state != 'removed' "
                                 "ORDER BY state = 'confirmed' DESC, confidence DESC").bindparams(
                                     bindparam("ids", expanding=True)), {"ids": ids})
        for item_id, slug in rows:
            if len(out.setdefault(item_id, [])) < 3:
                out[item_id].append(slug)
    return out


def _source(item: Any) -> str:
    return item.refs[0][0] if item.refs else ""


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, q: str = "", kind: str = "", offset: int = 0) -> HTMLResponse:
    """Ranked items with their reasons; with a query, full-text search results instead."""
    from layerwise.rank.plan import inbox as ranked

    library = request.app.state.library
    offset = max(0, offset)
    kind = kind if kind in KINDS else ""
    if q.strip():
        found, total = library.find(q, limit=PAGE_SIZE, offset=offset, kind=kind or None)
        rows = [{"item": i, "track": "", "reason": "matches your search"} for i in found]
    else:
        total = None
        entries = [] if not library.find(limit=1)[1] else ranked(library, limit=PAGE_SIZE, offset=offset, kind=kind or None)
        items = library.items_by_id([e.item_id for e in entries])
        rows = [{"item": items[e.item_id], "track": e.track, "reason": e.reason.split(": ", 1)[-1]}
                for e in entries if e.item_id in items]
    linked = _concepts(library, [r["item"].id for r in rows])
    for row in rows:
        row["concepts"] = linked.get(row["item"].id, [])
        row["source"] = _source(row["item"])
    return page(request, "inbox.html", rows=rows, q=q, kind=kind, kinds=KINDS, offset=offset, total=total,
                page_size=PAGE_SIZE)


@router.post("/items/{ref}/{action}")
def triage(request: Request, ref: str, action: str, back: str = Form("/inbox")) -> Response:
    """accept (into this week's plan), skip (not for me), archive (keep, out of the ranking), like, dislike."""
    from layerwise.errors import NotFound
    from layerwise.rank.plan import add_to_week
    from layerwise.rank.profile import rate

    library = request.app.state.library
    if action not in INBOX_ACTIONS:
        raise NotFound(f"no action {action!r}")
    if action == "accept":
        add_to_week(library, ref)
    elif action in ("like", "dislike"):
        rate(library, ref, 1 if action == "like" else -1)
    elif action == "skip":
        rate(library, ref, -1)
        library.set_status([ref], "dropped")
    else:
        library.set_status([ref], "archived")
    if request.headers.get("x-requested-with") == "layerwise":  # keyboard triage: the page updates itself
        return JSONResponse({"ref": ref, "action": action})
    return RedirectResponse(local_path(back) or "/inbox", status_code=303)


@router.get("/items/{ref}", response_class=HTMLResponse)
def item(request: Request, ref: str) -> HTMLResponse:
    from layerwise.study import notes

    library = request.app.state.library
    found = library.get(ref)
    note = notes.find_item_note(library, found.id)
    return page(request, "item.html", item=found, concepts=_concepts(library, [found.id]).get(found.id, []),
                note=note.relative_to(notes.vault(library)).as_posix() if note else None,
                source=_source(found))


@router.get("/week", response_class=HTMLResponse)
def week(request: Request) -> HTMLResponse:
    from layerwise.rank.plan import week_plan
    from layerwise.rank.profile import focuses, settings

    library = request.app.state.library
    if not library.find(limit=1)[1]:
        return page(request, "week.html", plan=None, empty=True)
    plan = week_plan(library)
    items = library.items_by_id([p.item_id for p in plan.picks])
    prefs = settings(library)
    tracks: dict[str, list[dict[str, Any]]] = {"need": [], "want": []}
    for p in plan.picks:
        tracks.setdefault(p.track, []).append({"pick": p, "item": items[p.item_id],
                                               "reason": p.reason.split(": ", 1)[-1]})
    done = sum(1 for p in plan.picks if p.state == "done")
    buckets = {b: sum(1 for p in plan.picks if p.bucket == b) for b in ("core", "adjacent", "moonshot")}
    return page(request, "week.html", plan=plan, tracks=tracks, budget=prefs.budget, done=done, buckets=buckets,
                targets=prefs.bucket_shares(), need_share=prefs.need_share, focuses=focuses(library), empty=False)


@router.post("/week/{position}/{action}")
def week_action(request: Request, position: int, action: str) -> RedirectResponse:
    from layerwise.errors import NotFound
    from layerwise.rank.plan import act

    if action not in ("accept", "skip", "swap", "done"):
        raise NotFound(f"no action {action!r}")
    act(request.app.state.library, position, action)
    return RedirectResponse("/week", status_code=303)
