"""RSS, Atom and JSON Feed subscriptions: parse, subscribe, and sync with conditional GET.

feedparser reads RSS/Atom (blogs, arXiv category feeds and API queries, podcasts, YouTube channels);
JSON Feed (https://jsonfeed.org/version/1.1) is plain JSON and read here. Entries are stored as items
whose references live under the feed's name, so `NAME:ENTRY-ID` addresses them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from layerwise import ids
from layerwise.capture.html_text import to_text
from layerwise.capture.kinds import guess_kind
from layerwise.capture.opml import FeedEntry
from layerwise.errors import FetchError, LayerwiseError, NotFound
from layerwise.records import Item

if TYPE_CHECKING:
    from layerwise.library import IngestReport, Library
    from layerwise.net import Http

_FEED_LINK = re.compile(rb"<link[^>]+>", re.IGNORECASE)
_FEED_TYPES = (b"application/rss+xml", b"application/atom+xml", b"application/feed+json", b"application/json")


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
    for tag in _FEED_LINK.findall(html[:500_000]):
        low = tag.lower()
        if b"alternate" in low and any(t in low for t in _FEED_TYPES):
            href = re.search(rb"""href=["']([^"']+)""", tag, re.IGNORECASE)
            if href:
                return urljoin(base_url, href.group(1).decode("utf-8", "replace"))
    return None


def parse(data: bytes, url: str, source: str) -> ParsedFeed:
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        return _parse_json_feed(stripped, url, source)
    if looks_like_html(data):
        raise FetchError("this is an HTML page, not a feed", where=url)
    import feedparser

    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
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
    if entry.get("content"):
        summary = to_text(entry["content"][0].get("value"))
    if not summary or (entry.get("summary") and len(to_text(entry.get("summary")) or "") < len(summary) // 4):
        summary = to_text(entry.get("summary")) or summary
    parsed_date = entry.get("published_parsed") or entry.get("updated_parsed")
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
    return item


def _web_link(link: Any) -> str | None:
    """A feed's link only when it is a web address: a javascript: or data: link is dropped at the door."""
    return link if isinstance(link, str) and urlsplit(link.strip()).scheme.lower() in ("http", "https") else None


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
    if not isinstance(feed, dict) or "jsonfeed.org" not in str(feed.get("version", "")):
        raise FetchError("JSON, but not a JSON Feed (no jsonfeed.org version)", where=url)
    result = ParsedFeed(title=feed.get("title"), site_url=feed.get("home_page_url"))
    feed_authors = [a.get("name") for a in feed.get("authors", []) if isinstance(a, dict) and a.get("name")]
    for entry in feed.get("items", []):
        if not isinstance(entry, dict):
            continue
        link = _web_link(entry.get("url")) or _web_link(entry.get("external_url"))
        title = to_text(entry.get("title")) or to_text(entry.get("summary")) or link
        if not title:
            continue
        audio = any(str(a.get("mime_type", "")).startswith("audio/") for a in entry.get("attachments", []) if isinstance(a, dict))
        authors = [a.get("name") for a in entry.get("authors", []) if isinstance(a, dict) and a.get("name")] or feed_authors
        item = Item(title=title[:300], kind="podcast" if audio else guess_kind(link), url=link,
                    abstract=to_text(entry.get("summary")) or to_text(entry.get("content_html")) or entry.get("content_text"),
                    authors=authors, published=str(entry.get("date_published") or "")[:10] or None,
                    categories=[str(t) for t in entry.get("tags", [])][:20])
        item.add_ref(source, str(entry.get("id") or link))
        result.entries.append(item)
    return result


# -- subscriptions ---------------------------------------------------------------------------------
def _unique_name(existing: Iterable[str], title: str | None, url: str) -> str:
    from urllib.parse import urlsplit

    base = ids.slug(title or urlsplit(url).hostname or "feed", 40)
    taken = set(existing) | {"arxiv", "doi", "url"}
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _row(feed: dict[str, Any]) -> dict[str, Any]:
    return {k: feed.get(k) for k in ("id", "name", "url", "title", "site_url", "etag", "last_modified",
                                      "last_fetched_at", "last_error", "added_at", "items")}


def list_feeds(library: Library) -> list[dict[str, Any]]:
    with library.store.begin() as conn:
        return [_row(f) for f in library.store.feeds(conn)]


def find_feed(library: Library, ref: str) -> dict[str, Any]:
    for feed in list_feeds(library):
        if ref in (feed["name"], feed["url"], str(feed["id"])):
            return feed
    raise NotFound(f"no feed {ref!r} (see `layerwise feed list`)")


def subscribe(library: Library, url: str, name: str | None = None) -> tuple[dict[str, Any], IngestReport]:
    """Fetch a feed (or the feed a page advertises), subscribe, and store its current entries."""
    from layerwise.library import now_iso
    from layerwise.net import Http

    if not url.startswith(("http://", "https://")):
        raise LayerwiseError("a feed URL starts with http:// or https://", where=url)
    existing = list_feeds(library)
    if any(f["url"] == url for f in existing):
        raise LayerwiseError("already subscribed", where=url)
    with Http() as http:
        response = http.get(url)
        if looks_like_html(response.content):
            found = discover(response.content, response.url)
            if not found:
                raise FetchError("this is an HTML page, not a feed, and it advertises no feed", where=url)
            url = found
            if any(f["url"] == url for f in existing):
                raise LayerwiseError("already subscribed", where=url)
            response = http.get(url)
    probe = parse(response.content, url, "probe")
    if name and (name in {f["name"] for f in existing} or not re.fullmatch(r"[a-z0-9][a-z0-9\-_.]*", name)):
        raise LayerwiseError(f"feed name {name!r} is taken or not a lower-case slug")
    name = name or _unique_name((f["name"] for f in existing), probe.title, url)
    parsed = parse(response.content, url, name)
    feed = {"url": url, "name": name, "title": parsed.title, "site_url": parsed.site_url,
            "etag": response.headers.get("etag"), "last_modified": response.headers.get("last-modified"),
            "last_fetched_at": now_iso(), "added_at": now_iso()}
    with library.store.begin() as conn:
        library.store.insert_feed(conn, feed)
    report = library.ingest(parsed.entries)
    return find_feed(library, name), report


def subscribe_all(library: Library, entries: list[FeedEntry], _records: object = None) -> IngestReport:
    """Subscriptions from an OPML file: recorded now, fetched by the next `layerwise sync`."""
    from layerwise.library import IngestReport, now_iso

    report = IngestReport()
    existing = list_feeds(library)
    names = [f["name"] for f in existing]
    urls = {f["url"] for f in existing}
    with library.store.begin() as conn:
        for entry in entries:
            if entry.url in urls or not entry.url.startswith(("http://", "https://")):
                report.unchanged += 1
                continue
            name = _unique_name(names, entry.title, entry.url)
            names.append(name)
            urls.add(entry.url)
            library.store.insert_feed(conn, {"url": entry.url, "name": name, "title": entry.title,
                                             "site_url": entry.site_url, "added_at": now_iso()})
            report.feeds_added += 1
    return report


def unsubscribe(library: Library, ref: str) -> dict[str, Any]:
    feed = find_feed(library, ref)
    with library.store.begin() as conn:
        library.store.delete_feed(conn, feed["id"])
    return feed


@dataclass
class SyncResult:
    name: str
    url: str
    status: str  # "new", "not modified", "failed"
    added: int = 0
    merged: int = 0
    error: str | None = None


def sync(library: Library, only: Iterable[str] = (), on_feed: Callable[[SyncResult], None] | None = None) -> list[SyncResult]:
    """Fetch every feed (conditional GET); one failing feed is recorded and the others go on."""
    from layerwise.net import Http

    feeds = list_feeds(library)
    wanted = set(only)
    if wanted:
        feeds = [f for f in feeds if {f["name"], f["url"], str(f["id"])} & wanted]
        if not feeds:
            raise NotFound(f"no feed named {', '.join(sorted(wanted))}")
    results = []
    with Http() as http:
        for feed in feeds:
            result = _sync_one(library, http, feed)
            results.append(result)
            if on_feed:
                on_feed(result)
    return results


def _sync_one(library: Library, http: Http, feed: dict[str, Any]) -> SyncResult:
    from layerwise.library import now_iso

    result = SyncResult(feed["name"], feed["url"], "new")
    headers = {}
    if feed.get("etag"):
        headers["If-None-Match"] = feed["etag"]
    if feed.get("last_modified"):
        headers["If-Modified-Since"] = feed["last_modified"]
    try:
        response = http.get(feed["url"], headers=headers)
        if response.status == 304:
            result.status = "not modified"
        else:
            parsed = parse(response.content, feed["url"], feed["name"])
            report = library.ingest(parsed.entries)
            result.added, result.merged = report.added, report.merged
        updates = {"last_fetched_at": now_iso(), "last_error": None}
        if response.status != 304:
            updates.update(etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"))
            if parsed.title and not feed.get("title"):
                updates["title"] = parsed.title
    except LayerwiseError as exc:
        result.status, result.error = "failed", str(exc)
        updates = {"last_fetched_at": now_iso(), "last_error": str(exc)}
    with library.store.begin() as conn:
        library.store.update_feed(conn, feed["id"], **updates)
    return result
