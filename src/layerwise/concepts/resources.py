"""Starting resources: the books, courses, papers and exercises the concept map recommends become items in
the library (source `map`, so `map:project-euler` names one), linked to their concepts as confirmed links.

Seeding is idempotent and cheap to check, so commands that use the map call `ensure` every time: a new
layerwise with new resources adds them, and a resource the user dropped or unlinked stays as they left it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from layerwise.concepts.graph import ConceptMap, Resource
from layerwise.concepts.overlay import concept_map
from layerwise.records import Item
from layerwise.store import concepts as concept_rows

if TYPE_CHECKING:
    from layerwise.library import Library

SOURCE = "map"
TAG = "starting-resource"


def key(resource: Resource) -> str:
    """A stable, readable reference for a resource: its title in lower-case words joined by dashes."""
    return "-".join(re.findall(r"[a-z0-9]+", resource.title.lower()))[:60].rstrip("-")


def ensure(library: Library, cmap: ConceptMap | None = None) -> int:
    """Add the map's resources that the library lacks, linked to their concepts; returns how many were added."""
    cmap = cmap or concept_map(library)
    with library.store.begin() as conn:
        have = {ref for _, ref in library.store.refs_of_source(conn, SOURCE)}
    missing = [r for r in cmap.resources if key(r) not in have]
    if not missing:
        return 0
    records = [Item(title=r.title, kind=r.kind, url=r.url, authors=r.authors, year=r.year, refs=[(SOURCE, key(r))],
                    tags=[TAG], extra={"why": r.why}) for r in missing]
    report = library.ingest(records, bulk=False)
    with library.store.begin() as conn:
        linked = concept_rows.linked_pairs(conn)
        concept_rows.add_links(conn, [(item_id, slug, 1.0) for r, item_id in zip(missing, report.item_ids, strict=True)
                                      for slug in r.concepts if (item_id, slug) not in linked], "confirmed")
    return report.added


def reasons(library: Library, item_ids: list[int], cmap: ConceptMap | None = None) -> dict[int, str]:
    """Why the map recommends each of these items (only those that are starting resources)."""
    if not item_ids:
        return {}
    cmap = cmap or concept_map(library)
    why = {key(r): r.why for r in cmap.resources}
    with library.store.begin() as conn:
        rows = library.store.refs_of_source(conn, SOURCE)
    wanted = set(item_ids)
    return {i: why[ref] for i, ref in rows if i in wanted and ref in why}
