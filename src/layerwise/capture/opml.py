"""OPML subscription lists (feed readers, podcast apps, engineering-blog lists) -> feed subscriptions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from layerwise.capture import files
from layerwise.capture.contract import FeedEntry, Head, ParsedFile, Reader, default_source
from layerwise.errors import LayerwiseError

MAX_FILE = 64 * 2**20  # a subscription list of a million feeds is under this


def read(data: bytes, where: str) -> list[FeedEntry]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = files.xml_root(data)
    except DefusedXmlException as exc:
        raise LayerwiseError(f"refused unsafe XML ({type(exc).__name__})", where=where) from None
    except ElementTree.ParseError as exc:
        raise LayerwiseError(f"not valid OPML/XML ({exc})", where=where) from None
    if root.tag.lower() != "opml":
        raise LayerwiseError(f"not OPML (root element is <{root.tag}>)", where=where)
    feeds: list[FeedEntry] = []
    body = root.find("body")
    # outlines nest as folders; walked in document order with a stack, so no depth overflows Python's stack
    stack: list[tuple[Iterator[Any], str | None]] = [(iter(body if body is not None else root), None)]
    while stack:
        children, category = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if not isinstance(child.tag, str) or child.tag.lower() != "outline":
            continue
        attrs = {k.lower(): v for k, v in child.attrib.items()}
        label = attrs.get("title") or attrs.get("text")
        if attrs.get("xmlurl"):
            feeds.append(FeedEntry(attrs["xmlurl"].strip(), label, attrs.get("htmlurl"), category))
        stack.append((iter(child), label if not attrs.get("xmlurl") else category))
    return feeds


def write(feeds: list[dict[str, object]]) -> str:
    from xml.sax.saxutils import quoteattr  # pulls in urllib.request: loaded only when writing OPML

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">',
             "  <head><title>layerwise subscriptions</title></head>", "  <body>"]
    for feed in feeds:
        title = str(feed.get("title") or feed.get("name"))
        attrs = f'type="rss" text={quoteattr(title)} title={quoteattr(title)} xmlUrl={quoteattr(str(feed["url"]))}'
        if feed.get("site_url"):
            attrs += f" htmlUrl={quoteattr(str(feed['site_url']))}"
        lines.append(f"    <outline {attrs}/>")
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"


def _detect(head: Head) -> bool:
    return head.text.startswith("<") and "<opml" in head.low


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    feeds = read(files.read_bytes(path, MAX_FILE), str(path))
    return ParsedFile([], feeds=feeds, format="opml", source=source or default_source(path, "opml"))


READER = Reader("opml", (".opml",), _detect, _load)
