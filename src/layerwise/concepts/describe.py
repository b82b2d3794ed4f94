"""A concept as `map show` and the web app present it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from layerwise.concepts.linking import items_for
from layerwise.concepts.overlay import concept_map
from layerwise.concepts.progress import history, layers
from layerwise.concepts.resources import reasons
from layerwise.errors import NotFound

if TYPE_CHECKING:
    from layerwise.library import Library


def describe(library: Library, slug: str, items: int = 10) -> dict[str, Any]:
    """A concept as `map show` and the web app present it: description, links both ways, the user's layer and
    its history, and the linked items by kind (starting resources say why they are recommended)."""
    cmap = concept_map(library)
    if slug not in cmap.concepts:
        raise NotFound(f"no concept {slug!r} (see `layerwise map frontier`)")
    concept = cmap.concepts[slug]
    data: dict[str, Any] = {
        "slug": slug, "name": concept.name, "area": concept.area, "description": concept.description,
        "aliases": concept.aliases, "layer": layers(library).get(slug, "none"),
        "links_out": [{"type": k, "to": t} for k, t in cmap.links_out(slug)],
        "links_in": [{"type": k, "from": s} for k, s in cmap.links_in(slug)],
        "history": history(library, slug)}
    by_kind: dict[str, list[dict[str, Any]]] = {}
    linked = items_for(library, slug, limit=items)
    why = reasons(library, [item.library_id for item, _, _ in linked], cmap)
    for item, confidence, state in linked:
        row = {"id": item.id, "title": item.title, "url": item.url, "confidence": confidence, "state": state}
        if item.id in why:
            row["starting_resource"] = why[item.id]
        by_kind.setdefault(item.kind, []).append(row)
    data["items"] = by_kind
    return data
