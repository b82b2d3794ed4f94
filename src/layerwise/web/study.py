"""Study and notes pages: a timebox on the database clock (it survives a reload), the forced choice at the end,
and the note editor."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from layerwise.errors import NoteConflict, NotFound
from layerwise.rank.plan import week_plan
from layerwise.rank.profile import settings
from layerwise.study import clock as session_clock
from layerwise.study import notes, sessions
from layerwise.web.params import RowId
from layerwise.web.render import local_path, page
from layerwise.web.warmup import preparing

if TYPE_CHECKING:
    from layerwise.library import Library

router = APIRouter()
EXTEND_MINUTES = 15


@router.get("/study", response_class=HTMLResponse)
def study_home(request: Request, ref: str = "") -> HTMLResponse:
    """Sessions still running, this week's picks to start one on, and a form for any item or concept."""
    library = request.state.library
    picks = []
    if not library.is_empty():
        if (wait := preparing(request, "your picks to study")) is not None:
            return wait
        plan = week_plan(library)
        items = library.items_by_id([p.item_id for p in plan.picks])
        picks = [{"pick": p, "item": items[p.item_id]} for p in plan.picks if p.state != "done"]
    return page(request, "study.html", running=session_clock.running(library), picks=picks, ref=ref,
                timebox=settings(library).timebox, layers=sessions.LAYERS)


@router.post("/study/start")
def study_start(request: Request, ref: str = Form(...), layer: str = Form(""),
                minutes: float = Form(0)) -> RedirectResponse:
    begun = sessions.begin(request.state.library, ref, layer or None, minutes if minutes > 0 else None, on_clock=True)
    return RedirectResponse(f"/study/{begun.session_id}", status_code=303)


def _note_of(library: Library, ref: str, layer: str) -> str:
    return notes.relative(library, sessions.note_for(library, sessions.resolve(library, ref), layer))


@router.get("/study/{session_id}", response_class=HTMLResponse)
def study_session(request: Request, session_id: RowId) -> HTMLResponse:
    library = request.state.library
    clock = session_clock.clock(library, session_id)
    relative = _note_of(library, clock.ref, clock.layer)
    file = notes.note_path(library, relative)
    return page(request, "session.html", clock=clock, note=relative, text=file.read_text(encoding="utf-8", errors="replace"),
                version=notes.version(file), extend_minutes=EXTEND_MINUTES)


@router.get("/study/{session_id}/clock")
def study_clock(request: Request, session_id: RowId) -> JSONResponse:
    clock = session_clock.clock(request.state.library, session_id)
    return JSONResponse({"elapsed": clock.elapsed, "remaining": clock.remaining, "planned": clock.planned_seconds,
                         "running": clock.running, "extended": clock.extended})


@router.post("/study/{session_id}/{action}")
def study_action(request: Request, session_id: RowId, action: str, outcome: str = Form(""), summary: str = Form(""),
                 when: str = Form("")) -> RedirectResponse:
    """pause, resume, extend (once), or finish with the forced choice."""
    library = request.state.library
    if action == "pause":
        session_clock.pause(library, session_id)
    elif action == "resume":
        session_clock.resume(library, session_id)
    elif action == "extend":
        session_clock.extend(library, session_id, EXTEND_MINUTES)
    elif action == "finish":
        clock = session_clock.clock(library, session_id)
        target = sessions.resolve(library, clock.ref)
        result = sessions.finish(library, session_id, target, clock.elapsed, outcome, summary or None,
                                 when or None)
        if outcome == "summarize" and not summary.strip() and result.note is not None:
            relative = notes.relative(library, result.note)
            return RedirectResponse(f"/notes/edit?path={quote(relative)}", status_code=303)
        return RedirectResponse(f"/study?done={session_id}", status_code=303)
    else:
        raise NotFound(f"no action {action!r}")
    return RedirectResponse(f"/study/{session_id}", status_code=303)


@router.get("/notes", response_class=HTMLResponse)
def notes_list(request: Request, q: str = "") -> HTMLResponse:
    return page(request, "notes.html", notes=notes.search(request.state.library, q or None), q=q)


@router.get("/notes/edit", response_class=HTMLResponse)
def note_edit(request: Request, path: str, saved: int = 0, back: str = "") -> HTMLResponse:
    library = request.state.library
    file = notes.note_path(library, path)
    text = file.read_text(encoding="utf-8", errors="replace")
    return page(request, "note_edit.html", path=path, text=text, version=notes.version(file), saved=bool(saved),
                note=notes.read(file), conflict=None, back=local_path(back))


@router.post("/notes/edit", response_class=HTMLResponse)
def note_save(request: Request, path: str = Form(...), text: str = Form(""), version: str = Form(""),
              back: str = Form("")) -> Response:
    library = request.state.library
    file = notes.note_path(library, path)
    try:
        notes.save_edit(file, text, version)
    except NoteConflict as exc:  # the file on disk wins; what was typed comes back to the page, not lost
        on_disk = file.read_text(encoding="utf-8", errors="replace")
        return page(request, "note_edit.html", status_code=409, path=path, text=text, version=notes.version(file),
                    saved=False, note=notes.read(file), conflict={"message": str(exc), "on_disk": on_disk},
                    back=local_path(back))
    target = local_path(back) or f"/notes/edit?path={quote(path)}"
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}saved=1", status_code=303)

