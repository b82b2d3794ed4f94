"""The weekly review in the browser: what a week's picks became, a decision for each one left untouched, the
user's reflection, then on to the next week's plan (what `layerwise review-week` does)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from layerwise.errors import NotFound
from layerwise.rank.plan import week_plan
from layerwise.rank.profile import focuses
from layerwise.reinforce import team, weekly
from layerwise.times import iso_week, parse_week, week_days
from layerwise.vocab import REVIEW_CHOICES
from layerwise.web.params import Position
from layerwise.web.render import page
from layerwise.web.warmup import ready

router = APIRouter()


@router.get("/week/review", response_class=HTMLResponse)
def review_page(request: Request, week: str = "") -> HTMLResponse:
    library = request.state.library
    week = parse_week(week) if week else weekly.default_week(library)
    found = weekly.review(library, week)
    monday, sunday = week_days(week)
    ahead = weekly.next_week(week, date.today())
    plan = week_plan(library, ahead) if found.reviewed_at and not library.is_empty() and ready(request) else None
    items = library.items_by_id([p.item_id for p in plan.picks]) if plan else {}
    return page(request, "week_review.html", review=found, monday=monday, sunday=sunday, focuses=focuses(library),
                learned=weekly.LEARNED, change=weekly.CHANGE, ahead=ahead, plan=plan, items=items,
                this_week=ahead == iso_week())


@router.post("/week/review/{week}/pick/{position}")
def decide(request: Request, week: str, position: Position, choice: str = Form(...), day: str = Form("")) -> RedirectResponse:
    if choice not in REVIEW_CHOICES:
        raise NotFound(f"no choice {choice!r}")
    week = parse_week(week)
    weekly.decide(request.state.library, week, position, choice, day or None)
    return RedirectResponse(f"/week/review?week={week}#picks", status_code=303)


@router.post("/week/review/{week}/reflection")
def reflect(request: Request, week: str, learned: str = Form(""), change: str = Form("")) -> RedirectResponse:
    library = request.state.library
    week = parse_week(week)
    weekly.save_reflection(library, weekly.review(library, week), learned, change)
    return RedirectResponse(f"/week/review?week={week}#reflection", status_code=303)


@router.post("/week/review/{week}/done")
def finish(request: Request, week: str) -> RedirectResponse:
    library = request.state.library
    week = parse_week(week)
    weekly.finish(library, week)
    return RedirectResponse(f"/week/review?week={week}#ahead", status_code=303)


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, week: str = "", who: str = "") -> HTMLResponse:
    """What the team accepted, finished and summed up this week, and who knows which concept."""
    library = request.state.library
    week = parse_week(week) if week else iso_week()
    return page(request, "team.html", week=week, items=team.week(library, week), who=who,
                experts=team.who_knows(library, who or None)[:40], published=team.published(library, week))
