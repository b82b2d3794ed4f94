"""The concept map a library uses: the bundled map with the user's overlay (`concepts.toml` in the home)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from layerwise.concepts.graph import ConceptMap, load
from layerwise.errors import LayerwiseError

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
