"""Citation data from OpenAlex (https://developers.openalex.org): a work's cited-by count and its references.

A work is looked up by DOI (`/works/doi:...`; an arXiv paper by arXiv's DataCite DOI 10.48550/arxiv.ID), which
is a free "singleton" request; its references are OpenAlex ids, named in batches of up to 100 with one list
request (`/works?filter=openalex:W1|W2`). Requests carry `mailto` (the polite pool) and `api_key` when the
config has them, and are spaced to stay under OpenAlex's rate.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from layerwise import ids
from layerwise.errors import FetchError, NotFound
from layerwise.net import Http
from layerwise.records import Cite, Item

WORK_FIELDS = "id,doi,display_name,publication_year,cited_by_count,referenced_works,ids,type"
NAME_FIELDS = "id,doi,display_name,publication_year"
BATCH = 100  # ids per list request (OpenAlex's per-page maximum)
MIN_INTERVAL = 0.11  # seconds between requests: under ten a second


def api_url() -> str:
    return os.environ.get("LAYERWISE_OPENALEX_API", "https://api.openalex.org").rstrip("/")


@dataclass
class Work:
    openalex: str  # W123...
    title: str
    year: int | None
    cited_by: int
    doi: str | None
    references: list[str] = field(default_factory=list)  # OpenAlex ids


@dataclass
class Client:
    """One enrichment run's connection: polite, spaced requests."""

    mailto: str | None = None
    api_key: str | None = None
    http: Http = field(default_factory=Http)
    _last: float = 0.0

    def _get(self, path: str, params: dict[str, str]) -> Any:
        query = {**params, **({"mailto": self.mailto} if self.mailto else {}),
                 **({"api_key": self.api_key} if self.api_key else {})}
        url = f"{api_url()}{path}?{urlencode(query, safe=':|,')}"
        where = f"OpenAlex {path}"  # what a message names: never the query, which may carry the api key
        wait = self._last + float(os.environ.get("LAYERWISE_OPENALEX_INTERVAL", MIN_INTERVAL)) - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        try:
            response = self.http.get(url)
        except FetchError as exc:
            if "HTTP 404" in str(exc):
                raise NotFound("OpenAlex has no such work", where=where) from None
            if "HTTP 429" in str(exc) or "HTTP 403" in str(exc):
                raise FetchError("OpenAlex's rate limit is reached (set openalex_api_key in config.toml for more); "
                                 "run `layerwise enrich` again later, it goes on where it stopped", where=where) from None
            message = str(exc).removeprefix(f"{exc.where}: ") if exc.where else str(exc)
            raise FetchError(message, where=where) from None
        try:
            return json.loads(response.content)
        except ValueError:
            raise FetchError("OpenAlex answered with something that is not JSON", where=where) from None

    def work(self, item: Item) -> Work:
        """The OpenAlex work of an item with a DOI or an arXiv id."""
        doi = item.doi or (f"10.48550/arxiv.{item.arxiv_id}" if item.arxiv_id else None)
        if not doi:
            raise NotFound("no DOI or arXiv id to look it up by")
        data = self._get(f"/works/doi:{quote(doi, safe='/')}", {"select": WORK_FIELDS})
        work = _work(data)
        if work is None:
            raise FetchError("OpenAlex answered with something that is not a work", where=f"doi:{doi}")
        return work

    def names(self, openalex_ids: list[str]) -> Iterator[Work]:
        """Title, year and DOI of referenced works, a hundred per request."""
        for start in range(0, len(openalex_ids), BATCH):
            batch = openalex_ids[start:start + BATCH]
            data = self._get("/works", {"filter": "openalex:" + "|".join(batch), "per-page": str(BATCH),
                                        "select": NAME_FIELDS})
            results = data.get("results") if isinstance(data, dict) else None
            if not isinstance(results, list):
                raise FetchError("OpenAlex answered a list request without results", where="/works")
            for entry in results:
                if (work := _work(entry)) is not None:
                    yield work


def record(item: Item, work: Work, named: dict[str, Work], known: set[str]) -> Item:
    """A record that merges into the item: its cited-by count, its OpenAlex id, and what it cites (works the
    library knows by their OpenAlex id, and the others by the DOI or title OpenAlex gives)."""
    cites = []
    for ref in work.references:
        other = named.get(ref)
        if other is None:
            if ref in known:
                cites.append(Cite(f"openalex:{ref}", None, None, None, "openalex"))
            continue
        arxiv = ids.arxiv_from_doi(other.doi)
        target = f"arxiv:{arxiv}" if arxiv else f"doi:{other.doi}" if other.doi else f"openalex:{ref}"
        cites.append(Cite(target, None, other.title or None, other.year, "openalex"))
    return Item(title=item.title, kind=item.kind, doi=item.doi, arxiv_id=item.arxiv_id, cited_by=work.cited_by,
                refs=[("openalex", work.openalex)], cites=cites)


def _work(data: Any) -> Work | None:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    openalex = data["id"].rsplit("/", 1)[-1]
    if not openalex.startswith("W"):
        return None
    references = [str(r).rsplit("/", 1)[-1] for r in data.get("referenced_works") or [] if isinstance(r, str)]
    year = data.get("publication_year")
    cited_by = data.get("cited_by_count")
    return Work(openalex=openalex, title=str(data.get("display_name") or data.get("title") or ""),
                year=year if isinstance(year, int) else None,
                cited_by=cited_by if isinstance(cited_by, int) and cited_by >= 0 else 0,
                doi=ids.doi(data.get("doi")) if isinstance(data.get("doi"), str) else None,
                references=references)
