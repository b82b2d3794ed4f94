"""What ranking needs, computed ahead of the first plan or page: the representations of every item (tf-idf rows
and embeddings, `represent.index`) and the items' links to the concept map (`concepts.linking`). `layerwise
import` does it in the same command, the web app in the background; anything else that ranks does what is
left on first use, so skipping this step never makes a result wrong, only later."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from layerwise.concepts.linking import ensure_linked, unlinked
from layerwise.represent.early import Early
from layerwise.represent.index import load_index, pending

if TYPE_CHECKING:
    from layerwise.library import Library


class Progress(Protocol):
    def stage(self, label: str, total: int | None) -> None:
        """A new step begins: what it does and how many it counts (None: not known)."""

    def __call__(self, done: int) -> None:
        """How many the current step has done so far."""


def work(library: Library) -> int:
    """About how many items `prepare` would handle now (0: nothing to do): cheap to ask."""
    return pending(library) or unlinked(library)


def ahead(library: Library) -> Early | None:
    """What embeds an import's items as it stores them (`ingest`'s `on_stored`), for `prepare(early=...)`: on
    SQLite, where the build reads them from the same machine (on PostgreSQL the team's machines share vectors
    through the database instead). `stop()` it once prepared."""
    if library.store.dialect != "sqlite":
        return None
    return Early(library.home.config().get("embedding_model"), library.home.path)


def prepare(library: Library, progress: Progress | None = None, early: Early | None = None) -> None:
    """Bring the representations and the concept links up to date. Each step writes whole or not at all, so
    an interruption leaves the library and its index usable, with the rest done on next use."""
    todo = pending(library)
    if todo:
        if progress:
            progress.stage("indexing your items", todo)
        load_index(library, progress=progress, early=early)
    if unlinked(library):
        if progress:
            progress.stage("linking your items to the concept map", None)
        ensure_linked(library)
