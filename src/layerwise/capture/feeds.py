"""RSS, Atom and JSON Feed: parse a feed into items (subscribing and syncing live in `layerwise.subscriptions`).

feedparser reads RSS/Atom (blogs, arXiv category feeds and API queries, podcasts, YouTube channels);
JSON Feed (https://jsonfeed.org/version/1.1) is plain JSON and read here. Entries are stored as items
whose references live under the feed's name, so `NAME:ENTRY-ID` addresses them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layerwise import ids
from layerwise.capture import citations, files
from layerwise.capture.contract import Head, ParsedFile, Reader, default_source
from layerwise.capture.html_text import advertised_feed, document, to_text
from layerwise.capture.kinds import guess_kind
from layerwise.errors import FetchError
from layerwise.records import Item

MAX_FILE = 64 * 2**20  # a feed file read from disk; a year of a busy feed is a few megabytes


@dataclass
class ParsedFeed:
    title: str | None
    site_url: str | None
    entries: list[Item] = field(default_factory=list)


def looks_like_html(data: bytes) -> bool:
    start = data[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or (b"<html" in start and b"<rss" not in start and b"<feed" not in start)


def discover(html: bytes, base_url: str) -> str | None:
    """The first feed a page advertises with <link rel="alternate" type="application/rss+xml" ...>."""
    return advertised_feed(document(html), base_url)


def parse(data: bytes, url: str, source: str) -> ParsedFeed:
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        return _parse_json_feed(stripped, url, source)
    if looks_like_html(data):
        raise FetchError("this is an HTML page, not a feed", where=url)
    import feedparser

    try:
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    except ValueError as exc:  # feedparser refuses some damaged bytes (a NUL in the prologue) by raising
        raise FetchError(f"not an RSS, Atom or JSON feed ({exc})", where=url) from None
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        reason = getattr(parsed.get("bozo_exception"), "getMessage", lambda: None)() or str(parsed.get("bozo_exception") or "")
        raise FetchError(f"not an RSS, Atom or JSON feed{f' ({reason})' if reason else ''}", where=url)
    feed = parsed.feed
    result = ParsedFeed(title=feed.get("title"), site_url=feed.get("link"))
    youtube = "youtube.com" in url or any("yt_videoid" in e for e in parsed.entries[:3])
    for entry in parsed.entries:
        item = _entry_item(entry, source, youtube)
        if item is not None:
            result.entries.append(item)
    return result


def _entry_item(entry: Any, source: str, youtube: bool) -> Item | None:
    title = to_text(entry.get("title"))
    link = _web_link(entry.get("link"))
    summary = None
    html = ""
    if entry.get("content"):
        html = str(entry["content"][0].get("value") or "")
        summary = to_text(html)
    if not summary or (entry.get("summary") and len(to_text(entry.get("summary")) or "") < len(summary) // 4):
        summary = to_text(entry.get("summary")) or summary
    # `in` first: feedparser answers a missing `updated_parsed` with `published_parsed` and a DeprecationWarning
    parsed_date = entry.get("published_parsed") or (entry["updated_parsed"] if "updated_parsed" in entry else None)
    audio = any(str(e.get("type", "")).startswith("audio/") for e in entry.get("enclosures", []))
    video = youtube or any(str(e.get("type", "")).startswith("video/") for e in entry.get("enclosures", []))
    kind = "podcast" if audio else "video" if video else guess_kind(link)
    if kind in ("page", "thread", "course", "book", "repo") and not ids.arxiv_id(link):
        kind = "post" if kind == "page" else kind
    authors = [a.get("name") for a in entry.get("authors", []) if a.get("name")] or \
        ([entry["author"]] if entry.get("author") else [])
    if len(authors) == 1 and "," in authors[0] and ids.arxiv_id(link):  # arXiv RSS packs all authors in one field
        authors = [a.strip() for a in authors[0].split(",") if a.strip()]
    title = title or _short(summary) or link
    if not title:
        return None
    item = Item(title=title, kind=kind, url=link, abstract=summary,
                authors=[to_text(a) or a for a in authors],
                published=time.strftime("%Y-%m-%d", parsed_date) if parsed_date else None,
                categories=[t.get("term") for t in entry.get("tags", []) if t.get("term")][:20])
    if item.kind == "podcast":
        item.extra["audio"] = next(e.get("href") for e in entry.get("enclosures", []) if str(e.get("type", "")).startswith("audio/"))
    item.add_ref(source, str(entry.get("id") or link or title))
    html = html or str(entry.get("summary") or "")
    if "<a" in html:
        item.cites = citations.from_html(html, link or "", whole=True, origin="feed")
    return item


def _web_link(link: Any) -> str | None:
    """A feed's link only when it is a web address: a javascript: or data: link is dropped at the door."""
    parts = ids.split_url(link.strip()) if isinstance(link, str) else None
    return link if parts is not None and parts.scheme.lower() in ("http", "https") else None


def _short(text: str | None, width: int = 120) -> str | None:
    """A title made from the start of a summary, for entries that come without one."""
    if not text:
        return None
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= width else line[:width].rsplit(" ", 1)[0] + "…"


def _parse_json_feed(data: bytes, url: str, source: str) -> ParsedFeed:
    try:
        feed = json.loads(data)
    except ValueError as exc:
        raise FetchError(f"not a valid JSON Feed ({exc})", where=url) from None
    except RecursionError:  # Python's JSON parser recurses per level: a hostile feed nests thousands deep
        raise FetchError("not a JSON Feed: nested deeper than Python parses", where=url) from None
    if not isinstance(feed, dict) or "jsonfeed.org" not in str(feed.get("version", "")):
        raise FetchError("JSON, but not a JSON Feed (no jsonfeed.org version)", where=url)
    result = ParsedFeed(title=feed.get("title"), site_url=feed.get("home_page_url"))
    feed_authors = [str(a["name"]) for a in feed.get("authors", []) if isinstance(a, dict) and a.get("name")]
    for entry in feed.get("items", []):
        if not isinstance(entry, dict):
            continue
        link = _web_link(entry.get("url")) or _web_link(entry.get("external_url"))
        title = to_text(entry.get("title")) or to_text(entry.get("summary")) or link
        if not title:
            continue
        audio = any(str(a.get("mime_type", "")).startswith("audio/") for a in entry.get("attachments", []) if isinstance(a, dict))
        authors = [str(a["name"]) for a in entry.get("authors", []) if isinstance(a, dict) and a.get("name")] or feed_authors
        item = Item(title=title[:300], kind="podcast" if audio else guess_kind(link), url=link,
                    abstract=to_text(entry.get("summary")) or to_text(entry.get("content_html")) or entry.get("content_text"),
                    authors=authors, published=str(entry.get("date_published") or "")[:10] or None,
                    categories=[str(t) for t in entry.get("tags", [])][:20])
        item.add_ref(source, str(entry.get("id") or link))
        result.entries.append(item)
    return result


def _detect(head: Head) -> bool:
    if head.text.startswith("<"):
        return "<opml" not in head.low and any(tag in head.low for tag in ("<rss", "<feed", "<rdf:rdf"))
    return head.text.startswith("{") and "jsonfeed.org" in head.low[:500]


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    src = source or default_source(path, "feed")
    return ParsedFile(parse(files.read_bytes(path, MAX_FILE), str(path), src).entries, format="feed", source=src)


READER = Reader("feed", (".xml", ".rss", ".atom"), _detect, _load)
