"""OPML subscription lists (feed readers, podcast apps, engineering-blog lists) -> feed subscriptions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from layerwise.capture import files
from layerwise.capture.contract import FeedEntry, Head, ParsedFile, Reader, default_source
from layerwise.errors import LayerwiseError


def read(data: bytes, where: str) -> list[FeedEntry]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(data)
    except DefusedXmlException as exc:
        raise LayerwiseError(f"refused unsafe XML ({type(exc).__name__})", where=where) from None
    except ElementTree.ParseError as exc:
        raise LayerwiseError(f"not valid OPML/XML ({exc})", where=where) from None
    if root.tag.lower() != "opml":
        raise LayerwiseError(f"not OPML (root element is <{root.tag}>)", where=where)
    feeds: list[FeedEntry] = []

    def walk(node: object, category: str | None) -> None:
        for child in node:  # type: ignore[attr-defined]
            if child.tag.lower() != "outline":
                continue
            attrs = {k.lower(): v for k, v in child.attrib.items()}
            label = attrs.get("title") or attrs.get("text")
            if attrs.get("xmlurl"):
                feeds.append(FeedEntry(attrs["xmlurl"].strip(), label, attrs.get("htmlurl"), category))
            walk(child, label if not attrs.get("xmlurl") else category)

    body = root.find("body")
    walk(body if body is not None else root, None)
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
    feeds = read(files.read_bytes(path), str(path))
    return ParsedFile([], feeds=feeds, format="opml", source=source or default_source(path, "opml"))


READER = Reader("opml", (".opml",), _detect, _load)
