"""The concept map a library uses: the bundled map with the user's overlay (`concepts.toml` in the home)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from layerwise.concepts.graph import ConceptMap, load
from layerwise.errors import LayerwiseError

if TYPE_CHECKING:
    from layerwise.library import Library

OVERLAY = "concepts.toml"


def concept_map(library: Library) -> ConceptMap:
    """The bundled map with the user's overlay; a broken overlay (bad TOML, an unknown slug, a cycle) is set
    aside with a warning that names the problem, so the map stays usable until the file is fixed. Built once
    per state of the overlay file (a plan asks for it several times, the web app on every page): callers read
    it and never change it."""
    overlay = library.home.path / OVERLAY
    try:
        stat = overlay.stat()
        state = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_size)
    except OSError:
        state = (0, 0, 0, -1)
    return _built(str(overlay), *state)


@functools.lru_cache(maxsize=8)
def _built(overlay: str, _mtime_ns: int, _ctime_ns: int, _inode: int, size: int) -> ConceptMap:
    try:
        return load(Path(overlay) if size >= 0 else None)
    except LayerwiseError as exc:
        cmap = load(None)
        cmap.warning = f"{exc}; your changes in {OVERLAY} are ignored until it is fixed"
        return cmap
