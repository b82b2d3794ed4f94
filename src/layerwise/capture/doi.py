"""DOIs through the Crossref REST API (https://api.crossref.org/swagger-ui/index.html)."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from layerwise.capture.html_text import to_text
from layerwise.errors import FetchError, NotFound
from layerwise.net import fetch as http_get
from layerwise.records import Item

_KINDS = {"book": "book", "monograph": "book", "edited-book": "book", "reference-book": "book",
          "book-chapter": "book", "book-part": "book", "book-section": "book"}


def api_url() -> str:
    return os.environ.get("LAYERWISE_CROSSREF_API", "https://api.crossref.org").rstrip("/")


def fetch(doi: str) -> Item:
    url = f"{api_url()}/works/{quote(doi, safe='/')}"
    try:
        response = http_get(url)
    except FetchError as exc:
        if "HTTP 404" in str(exc):
            raise NotFound(f"Crossref has no record of DOI {doi}", where=url) from None
        raise
    try:
        message = json.loads(response.content)["message"]
    except (ValueError, KeyError, TypeError):
        raise FetchError("Crossref answered with something that is not a works record", where=url) from None
    return parse(message)


def parse(message: dict[str, Any]) -> Item:
    title = " ".join(message.get("title") or []) or (message.get("container-title") or [""])[0]
    parts = ((message.get("published") or message.get("issued") or {}).get("date-parts") or [[None]])[0]
    nums = [int(p) for p in parts if p is not None]
    authors = []
    for author in message.get("author") or []:
        name = author.get("name") or " ".join(p for p in (author.get("given"), author.get("family")) if p)
        if name:
            authors.append(name)
    return Item(
        title=title, kind=_KINDS.get(str(message.get("type")), "paper"),
        abstract=to_text(message.get("abstract")), authors=authors,
        published="-".join([f"{nums[0]:04d}", *(f"{p:02d}" for p in nums[1:3])]) if nums else None,
        venue=(message.get("container-title") or [None])[0] or message.get("publisher"),
        doi=message.get("DOI"), url=message.get("URL"),
        categories=list(message.get("subject") or []),
        extra={k: v for k, v in {"crossref_type": message.get("type"), "publisher": message.get("publisher")}.items() if v},
    )
