"""Concept map pages: an interactive neighbourhood coloured by layer with the frontier outlined, and a page per
concept with its links, items and note."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from layerwise.concepts.describe import describe
from layerwise.concepts.overlay import concept_map
from layerwise.concepts.progress import coverage, frontier, layers, mark
from layerwise.errors import NotFound
from layerwise.study import notes
from layerwise.vocab import AREAS
from layerwise.vocab import CONCEPT_LAYERS as LAYERS
from layerwise.web.graph import radial
from layerwise.web.render import page
from layerwise.web.warmup import preparing

router = APIRouter()


@router.get("/map", response_class=HTMLResponse)
def concept_map_page(request: Request, slug: str = "", depth: int = 2) -> HTMLResponse:
    library = request.state.library
    cmap = concept_map(library)
    ahead = frontier(library, limit=None)
    centre = slug or (ahead[0].slug if ahead else next(iter(cmap.concepts)))
    if centre not in cmap.concepts:
        raise NotFound(f"no concept {centre!r}")
    layout = radial(cmap, centre, max(1, min(depth, 3)), layers(library), {e.slug for e in ahead})
    return page(request, "map.html", layout=layout, centre=cmap.concepts[centre], depth=depth, frontier=ahead[:12],
                coverage=coverage(library), areas=AREAS, layers=LAYERS, warning=cmap.warning,
                names={s: c.name for s, c in cmap.concepts.items()})


@router.get("/map/{slug}", response_class=HTMLResponse)
def concept_page(request: Request, slug: str) -> HTMLResponse:
    library = request.state.library
    if (wait := preparing(request, "this concept's items")) is not None:
        return wait
    data = describe(library, slug, items=30)
    note = notes.concept_note_path(library, slug)
    written = notes.read(note) if note.exists() else None
    return page(request, "concept.html", concept=data, layers=LAYERS, note=written,
                note_path=notes.relative(library, note) if note.exists() else None,
                names={s: c.name for s, c in concept_map(library).concepts.items()})


@router.post("/map/{slug}/mark")
def concept_mark(request: Request, slug: str, layer: str = Form(...)) -> RedirectResponse:
    mark(request.state.library, slug, layer)
    return RedirectResponse(f"/map/{slug}", status_code=303)
