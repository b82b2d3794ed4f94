"""The user's layer on each concept (none -> skimmed -> explored -> deepened -> built), its history, coverage,
and the frontier: what to learn next, wide before deep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerwise.concepts.overlay import concept_map
from layerwise.errors import LayerwiseError, NotFound
from layerwise.store import concepts as concept_rows
from layerwise.times import utc_stamp
from layerwise.vocab import AREAS, CONCEPT_LAYERS, at_least

if TYPE_CHECKING:
    from layerwise.library import Library


def layers(library: Library) -> dict[str, str]:
    """The current layer of every concept the user has a layer for (the latest change wins)."""
    with library.store.begin() as conn:
        return concept_rows.current_layers(conn)


def history(library: Library, slug: str) -> list[dict[str, Any]]:
    with library.store.begin() as conn:
        return concept_rows.layer_history(conn, slug)


def mark(library: Library, slug: str, layer: str, source: str = "by hand") -> None:
    cmap = concept_map(library)
    if slug not in cmap.concepts:
        raise NotFound(f"no concept {slug!r} (see `layerwise map` or `layerwise map frontier`)")
    if layer not in CONCEPT_LAYERS:
        raise LayerwiseError(f"unknown layer {layer!r}; use one of {', '.join(CONCEPT_LAYERS)}")
    with library.store.begin() as conn:
        concept_rows.add_layer(conn, slug, layer, source, utc_stamp())


def coverage(library: Library) -> dict[str, dict[str, int]]:
    """Per area, how many concepts sit at each layer."""
    cmap = concept_map(library)
    current = layers(library)
    out = {area: dict.fromkeys(CONCEPT_LAYERS, 0) for area in AREAS}
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
