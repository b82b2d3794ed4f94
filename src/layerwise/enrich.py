"""Citation data on request: for items with a DOI or an arXiv id, OpenAlex's cited-by count and references,
written into the reference graph through the library's own ingest (one transaction per item, so a failure or
Ctrl-C never leaves an item half-written). A workflow above the library, like subscriptions: offline unless
the user runs it (or sets `enrich_on_sync`). Resumable: an item enriched once carries its OpenAlex id and is
skipped by the next run unless refreshed."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from layerwise.capture import openalex
from layerwise.errors import FetchError, NotFound
from layerwise.library import Library
from layerwise.records import Item
from layerwise.store import graph

SOURCE = "openalex"


@dataclass
class Enriched:
    item_id: int | None  # None for a reference that names no item
    ref: str  # how the item was looked up (doi:..., arxiv:...)
    ok: bool
    message: str  # what it brought, or why it did not


@dataclass
class EnrichReport:
    results: list[Enriched] = field(default_factory=list)

    def add(self, result: Enriched, on_item: Callable[[Enriched], None] | None = None) -> None:
        self.results.append(result)
        if on_item:
            on_item(result)

    @property
    def enriched(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def failed(self) -> list[Enriched]:
        return [r for r in self.results if not r.ok]

    def summary(self) -> str:
        parts = [f"{self.enriched} enriched from OpenAlex"]
        if self.failed:
            parts.append(f"{len(self.failed)} not (each named above)")
        return ", ".join(parts)


def candidates(library: Library, refs: Sequence[str] = (), *, since: str | None = None,
               refresh: bool = False, after_id: int = 0) -> tuple[list[Item], list[Enriched]]:
    """The items to enrich: those named, or every captured item with a DOI or an arXiv id not enriched yet
    (added since a date, or after an id, when given); and a line for each named one that cannot be."""
    refused: list[Enriched] = []
    if refs:
        item_ids = []
        for ref in refs:
            try:
                item_ids.append(library.resolve(ref))
            except NotFound as exc:
                refused.append(Enriched(None, ref, False, str(exc)))
    else:
        with library.store.begin() as conn:
            item_ids = [i for i in graph.enrich_candidates(conn, since, SOURCE, again=refresh) if i > after_id]
    items = library.items_by_id(item_ids)
    ready = []
    for item_id in item_ids:
        item = items[item_id]
        if item.doi or item.arxiv_id:
            ready.append(item)
        else:
            refused.append(Enriched(item_id, str(item_id), False, "no DOI or arXiv id for OpenAlex to find it by"))
    return ready, refused


def newest_id(library: Library) -> int:
    """The highest item id now: what a sync adds comes after it."""
    with library.store.begin() as conn:
        return library.store.max_item_id(conn)


def client(library: Library) -> openalex.Client:
    config = library.home.config()
    return openalex.Client(mailto=os.environ.get("LAYERWISE_OPENALEX_MAILTO") or config.get("openalex_mailto"),
                           api_key=os.environ.get("OPENALEX_API_KEY") or config.get("openalex_api_key"))


def enrich(library: Library, items: Sequence[Item], on_item: Callable[[Enriched], None] | None = None,
           report: EnrichReport | None = None) -> EnrichReport:
    """Fetch and store each item's citation data; a failure is one result line and the others go on."""
    report = report or EnrichReport()
    api = client(library)
    with api.http:
        for item in items:
            ref = f"doi:{item.doi}" if item.doi else f"arxiv:{item.arxiv_id}"
            try:
                result = _one(library, api, item, ref)
            except (NotFound, FetchError) as exc:
                result = Enriched(item.library_id, ref, False, str(exc))
            report.add(result, on_item)
    return report


def _one(library: Library, api: openalex.Client, item: Item, ref: str) -> Enriched:
    work = api.work(item)
    with library.store.begin() as conn:
        known = graph.known_refs(conn, SOURCE, work.references)
    named = {w.openalex: w for w in api.names([r for r in work.references if r not in known])}
    ingested = library.ingest([openalex.record(item, work, named, known)], bulk=False)
    with library.store.begin() as conn:
        held = graph.cited_in_library(conn, item.library_id)
    noted = f", {ingested.mentioned} more noted as mentioned" if ingested.mentioned else ""
    return Enriched(item.library_id, ref, True, f"cited by {work.cited_by:,}; cites {len(work.references)}, "
                                                f"{held} of them in your library{noted}")
