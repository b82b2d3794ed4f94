"""The user's layer on each concept (none -> skimmed -> explored -> deepened -> built), its history, coverage,
and the frontier: what to learn next, wide before deep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from layerwise.concepts.graph import AREAS, LAYERS, ConceptMap, load
from layerwise.errors import LayerwiseError, NotFound

if TYPE_CHECKING:
    from layerwise.library import Library

OVERLAY = "concepts.toml"


def concept_map(library: Library) -> ConceptMap:
    """The bundled map with the user's overlay; a broken overlay (bad TOML, an unknown slug, a cycle) is set
    aside with a warning that names the problem, so the map stays usable until the file is fixed."""
    try:
        return load(library.home.path / OVERLAY)
    except LayerwiseError as exc:
        cmap = load(None)
        cmap.warning = f"{exc}; your changes in {OVERLAY} are ignored until it is fixed"
        return cmap


def layers(library: Library) -> dict[str, str]:
    """The current layer of every concept the user has a layer for (the latest change wins)."""
    with library.store.begin() as conn:
        rows = conn.execute(text("SELECT slug, layer FROM concept_layers ORDER BY id")).all()
    return {slug: layer for slug, layer in rows}


def history(library: Library, slug: str) -> list[dict[str, Any]]:
    with library.store.begin() as conn:
        rows = conn.execute(text("SELECT layer, source, at FROM concept_layers WHERE slug = :s ORDER BY id"), {"s": slug})
        return [dict(r._mapping) for r in rows]


def mark(library: Library, slug: str, layer: str, source: str = "by hand") -> None:
    from layerwise.library import now_iso

    cmap = concept_map(library)
    if slug not in cmap.concepts:
        raise NotFound(f"no concept {slug!r} (see `layerwise map` or `layerwise map frontier`)")
    if layer not in LAYERS:
        raise LayerwiseError(f"unknown layer {layer!r}; use one of {', '.join(LAYERS)}")
    with library.store.begin() as conn:
        conn.execute(text("INSERT INTO concept_layers (slug, layer, source, at) VALUES (:s, :l, :src, :at)"),
                     {"s": slug, "l": layer, "src": source, "at": now_iso()})


def coverage(library: Library) -> dict[str, dict[str, int]]:
    """Per area, how many concepts sit at each layer."""
    cmap = concept_map(library)
    current = layers(library)
    out = {area: dict.fromkeys(LAYERS, 0) for area in AREAS}
    for concept in cmap.concepts.values():
        out[concept.area][current.get(concept.slug, "none")] += 1
    return out


@dataclass
class FrontierEntry:
    slug: str
    name: str
    area: str
    reason: str
    unlocks: int
    depth: int


def at_least(layer: str, floor: str) -> bool:
    return LAYERS.index(layer) >= LAYERS.index(floor)


def frontier(library: Library, limit: int | None = 10) -> list[FrontierEntry]:
    """Concepts not yet explored whose prerequisites all are: shallow, broad foundations first (wide before
    deep), then those that unlock the most."""
    cmap = concept_map(library)
    current = layers(library)
    entries = []
    for concept in cmap.concepts.values():
        if at_least(current.get(concept.slug, "none"), "explored"):
            continue
        prereqs = cmap.prerequisites(concept.slug)
        if not all(at_least(current.get(p, "none"), "explored") for p in prereqs):
            continue
        unlocks = len(cmap.dependents(concept.slug))
        depth = cmap.depth(concept.slug)
        because = (f"you have explored {', '.join(cmap.concepts[p].name for p in prereqs)}" if prereqs
                   else "no prerequisites")
        entries.append(FrontierEntry(concept.slug, concept.name, concept.area,
                                     f"{because}; unlocks {unlocks} concept{'s' if unlocks != 1 else ''}", unlocks, depth))
    entries.sort(key=lambda e: (e.depth, -e.unlocks, e.slug))
    return entries[:limit] if limit else entries


def describe(library: Library, slug: str, items: int = 10) -> dict[str, Any]:
    """A concept as `map show` and the web app present it: description, links both ways, the user's layer and
    its history, and the linked items by kind (starting resources say why they are recommended)."""
    from layerwise.concepts.linking import items_for
    from layerwise.concepts.resources import reasons

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
    why = reasons(library, [item.id for item, _, _ in linked], cmap)
    for item, confidence, state in linked:
        row = {"id": item.id, "title": item.title, "url": item.url, "confidence": confidence, "state": state}
        if item.id in why:
            row["starting_resource"] = why[item.id]
        by_kind.setdefault(item.kind, []).append(row)
    data["items"] = by_kind
    return data
