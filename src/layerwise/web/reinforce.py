"""Review, digest and stats pages."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from layerwise.errors import NotFound
from layerwise.reinforce import cards
from layerwise.reinforce import digest as weekly
from layerwise.reinforce import review as scheduler
from layerwise.study.stats import stats as measure
from layerwise.times import parse_week
from layerwise.web.params import RowId
from layerwise.web.render import page

router = APIRouter()


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, reviewed: int = 0) -> HTMLResponse:
    """The most overdue card; its answer is revealed in the page (Space), then graded (1-4)."""
    library = request.state.library
    cards.sync(library)
    due = scheduler.due(library)
    return page(request, "review.html", card=due[0] if due else None, left=len(due), reviewed=reviewed,
                summary=scheduler.summary([], library))


@router.post("/review/{card_id}")
def grade(request: Request, card_id: RowId, rating: str = Form(...), reviewed: int = Form(0)) -> RedirectResponse:
    scheduler.grade(request.state.library, card_id, rating)
    return RedirectResponse(f"/review?reviewed={reviewed + 1}", status_code=303)


@router.get("/digest", response_class=HTMLResponse)
def digest(request: Request, week: str = "", by: str = "track") -> HTMLResponse:
    week = parse_week(week)
    by = by if by in ("track", "concept") else "track"
    chosen = weekly.links(request.state.library, week)
    return page(request, "digest.html", week=week, by=by, links=chosen, html=weekly.to_html(week, chosen, by),
                markdown=weekly.markdown(week, chosen, by))


@router.get("/digest/download")
def digest_download(request: Request, week: str = "", fmt: str = "md", by: str = "track") -> Response:
    library = request.state.library
    week = parse_week(week)
    by = by if by in ("track", "concept") else "track"
    if fmt == "atom":
        return Response(weekly.atom(library), media_type="application/atom+xml",
                        headers={"Content-Disposition": 'attachment; filename="layerwise-digest.atom"'})
    chosen = weekly.links(library, week)
    if fmt == "md":
        body, media = weekly.markdown(week, chosen, by), "text/markdown; charset=utf-8"
    elif fmt == "html":
        body, media = weekly.to_html(week, chosen, by), "text/html; charset=utf-8"
    else:
        raise NotFound(f"no digest format {fmt!r} (md, html or atom)")
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="digest-{week}.{fmt}"'})


@router.post("/digest/publish")
def digest_publish(request: Request, week: str = Form("")) -> RedirectResponse:
    """Keep this week's digest, so the Atom feed carries it."""
    library = request.state.library
    week = parse_week(week)
    weekly.save(library, week, weekly.links(library, week))
    return RedirectResponse(f"/digest?week={week}&published=1", status_code=303)


@router.get("/stats", response_class=HTMLResponse)
def stats(request: Request, period: str = "week") -> HTMLResponse:
    period = period if period in ("week", "month") else "week"
    return page(request, "stats.html", data=measure(request.state.library, period), period=period)
