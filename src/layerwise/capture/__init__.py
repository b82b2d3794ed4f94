"""Capture: turn whatever the user brings (a file, an id, a URL) into items.

`read_file` detects a file's format from its content (the name only breaks ties) and hands it to one
module per format; `resolve_target` does the same for `layerwise add`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from layerwise import ids
from layerwise.capture import files
from layerwise.errors import FetchError, LayerwiseError
from layerwise.records import Item, Skip

FORMATS = ("bibtex", "csljson", "ris", "opml", "markdown", "jsonl", "feed", "pdf")


@dataclass
class ParsedFile:
    records: Iterable[Item | Skip]
    feeds: list | None = None  # OPML: subscriptions instead of items
    format: str = ""
    source: str = ""


def detect_format(path: Path) -> str:
    head = files.head(path)
    name = path.name.lower().removesuffix(".gz")
    if head.startswith(b"%PDF-"):
        return "pdf"
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    low = text[:2000].lower()
    if text.startswith("<"):
        if "<opml" in low:
            return "opml"
        if any(tag in low for tag in ("<rss", "<feed", "<rdf:rdf")):
            return "feed"
        if "<html" in low or "<!doctype html" in low:
            raise LayerwiseError("this is an HTML page; capture web pages with `layerwise add URL`", where=str(path))
    if text.startswith("["):
        return "csljson"
    if text.startswith("{"):
        first = text.split("\n", 1)[0].strip()
        if "jsonfeed.org" in low[:500]:
            return "feed"
        try:
            json.loads(first)
            return "jsonl"
        except ValueError:
            return "csljson" if '"items"' in low else "jsonl"
    if re.search(r"^\s*@\s*\w+\s*[{(]", text, re.MULTILINE) and not name.endswith((".md", ".markdown")):
        return "bibtex"
    if re.search(r"^TY  - ", text, re.MULTILINE):
        return "ris"
    if name.endswith((".md", ".markdown")) or re.search(r"\[[^\]]+\]\(https?://", text):
        return "markdown"
    by_name = {".bib": "bibtex", ".ris": "ris", ".opml": "opml", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "csljson", ".xml": "feed", ".rss": "feed", ".atom": "feed"}
    for suffix, fmt in by_name.items():
        if name.endswith(suffix):
            return fmt
    raise LayerwiseError("cannot tell the format from the content; name it with --format "
                         f"({', '.join(FORMATS)})", where=str(path))


def read_file(path_text: str, *, format: str | None = None, source: str | None = None,
              mapping: dict[str, str] | None = None) -> ParsedFile:
    path = Path(path_text).expanduser()
    files.check_file(path)
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise LayerwiseError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if source is not None and not re.fullmatch(r"[A-Za-z0-9][\w\-.]*", source):
        raise LayerwiseError(f"--source takes a short name of letters, digits, '-', '_' or '.', not {source!r}")
    where = str(path)
    if fmt == "jsonl":
        from layerwise.capture import jsonl

        src = source or jsonl.source_for(path, jsonl.first_record(path))
        return ParsedFile(jsonl.read(path, src, mapping), format=fmt, source=src)
    if mapping:
        raise LayerwiseError("field mappings (--id-field, --title-field, ...) apply to JSONL only")
    src = source or _default_source(path, fmt)
    if fmt == "opml":
        from layerwise.capture import opml

        return ParsedFile([], feeds=opml.read(files.read_bytes(path), where), format=fmt, source=src)
    if fmt == "pdf":
        from layerwise.capture import pdf

        item = pdf.parse(files.read_bytes(path), where)
        item.add_ref("file", str(path.resolve()))
        return ParsedFile([item], format=fmt, source=src)
    if fmt == "feed":
        from layerwise.capture import feeds

        return ParsedFile(feeds.parse(files.read_bytes(path), where, src).entries, format=fmt, source=src)
    text = files.read_text(path)
    module = {"bibtex": "bibtex", "csljson": "csljson", "ris": "ris", "markdown": "markdown"}[fmt]
    from importlib import import_module

    reader = import_module(f"layerwise.capture.{module}")
    return ParsedFile(reader.read(text, where, src), format=fmt, source=src)


def _default_source(path: Path, fmt: str) -> str:
    name = path.name
    for suffix in (".gz", ".bib", ".bibtex", ".json", ".csl", ".ris", ".opml", ".md", ".markdown", ".xml"):
        name = name.removesuffix(suffix)
    return ids.slug(name, 40) or fmt


def resolve_target(target: str) -> Item:
    """What `layerwise add` was given, fetched and parsed into an item (not yet stored)."""
    target = target.strip()
    path = Path(target).expanduser()
    if not target.startswith(("http://", "https://")) and path.exists():
        fmt = detect_format(path)
        if fmt != "pdf":
            raise LayerwiseError(f"this is a {fmt} file; bring it in with `layerwise import {target}`", where=target)
        from layerwise.capture import pdf

        item = pdf.parse(files.read_bytes(path), target)
        item.add_ref("file", str(path.resolve()))
        return item
    if arxiv := ids.arxiv_id(target):
        from layerwise.capture import arxiv as arxiv_api

        return arxiv_api.fetch(arxiv)
    if (doi := ids.doi(target)) and not ids.arxiv_from_doi(doi):
        from layerwise.capture import doi as crossref

        return crossref.fetch(doi)
    if doi and (arxiv := ids.arxiv_from_doi(doi)):
        from layerwise.capture import arxiv as arxiv_api

        return arxiv_api.fetch(arxiv)
    if target.startswith(("http://", "https://")):
        return _fetch_page(target)
    raise LayerwiseError("not an arXiv id, DOI, http(s) URL or existing PDF file", where=target)


def _fetch_page(url: str) -> Item:
    from layerwise.capture import feeds, pdf, web
    from layerwise.net import fetch

    response = fetch(url)
    if response.content.startswith(b"%PDF-") or response.content_type == "application/pdf":
        item = pdf.parse(response.content, url, url=url)
        return item
    if response.content_type in ("application/rss+xml", "application/atom+xml", "application/feed+json") or \
            (response.content.lstrip()[:200].lower().startswith((b"<?xml", b"<rss", b"<feed")) and not feeds.looks_like_html(response.content)):
        raise FetchError("this is a feed; subscribe with `layerwise feed add URL`", where=url)
    if response.content_type and not ("html" in response.content_type or response.content_type.startswith("text/")):
        raise FetchError(f"cannot read {response.content_type} content", where=url)
    item = web.parse(response.content, response.url)
    if response.url != url:
        item.extra["requested_url"] = url
    return item
