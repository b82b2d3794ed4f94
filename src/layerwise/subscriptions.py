"""Feed subscriptions: subscribe (finding the feed a page advertises), unsubscribe, and sync every feed with
conditional GET. A workflow above the library: capture/feeds.py parses, the library stores."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from layerwise.capture.feeds import ParsedFeed, discover, looks_like_html, parse
from layerwise.errors import FetchError, LayerwiseError, NotFound
from layerwise.ingest import IngestReport
from layerwise.library import Library
from layerwise.net import Guard, Http
from layerwise.store import feeds as feed_rows
from layerwise.times import utc_stamp


def list_feeds(library: Library) -> list[dict[str, Any]]:
    with library.store.begin() as conn:
        return [f.to_dict() for f in feed_rows.all_feeds(conn)]


def find_feed(library: Library, ref: str) -> dict[str, Any]:
    for feed in list_feeds(library):
        if ref in (feed["name"], feed["url"], str(feed["id"])):
            return feed
    raise NotFound(f"no feed {ref!r} (see `layerwise feed list`)")


def subscribe(library: Library, url: str, name: str | None = None) -> tuple[dict[str, Any], IngestReport]:
    """Fetch a feed (or the feed a page advertises), subscribe, and store its current entries."""
    if not url.startswith(("http://", "https://")):
        raise LayerwiseError("a feed URL starts with http:// or https://", where=url)
    existing = list_feeds(library)
    if any(f["url"] == url for f in existing):
        raise LayerwiseError("already subscribed", where=url)
    with Http(guard=library.fetch_guard()) as http:
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
    name = name or feed_rows.FeedNames(f["name"] for f in existing).new(probe.title, url)
    parsed = parse(response.content, url, name)
    with library.store.begin() as conn:
        feed_rows.insert(conn, url=url, name=name, title=parsed.title, site_url=parsed.site_url,
                         etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
                         last_fetched_at=utc_stamp(), added_at=utc_stamp())
    report = library.ingest(parsed.entries)
    return find_feed(library, name), report


def unsubscribe(library: Library, ref: str) -> dict[str, Any]:
    feed = find_feed(library, ref)
    with library.store.begin() as conn:
        feed_rows.delete(conn, feed["id"])
    return feed


@dataclass
class SyncResult:
    name: str
    url: str
    status: str  # "new", "not modified", "failed"
    added: int = 0
    merged: int = 0
    error: str | None = None


SYNC_WORKERS = 4  # feeds fetched at once: one slow server delays no other feed


@dataclass
class _Fetched:
    """What a worker brought back for one feed: a parsed answer, "not modified", or the error."""

    feed: dict[str, Any]
    status: int = 0
    headers: dict[str, str] | None = None
    parsed: ParsedFeed | None = None
    error: str | None = None


def sync(library: Library, only: Iterable[str] = (), on_feed: Callable[[SyncResult], None] | None = None,
         workers: int = SYNC_WORKERS) -> list[SyncResult]:
    """Fetch every feed (conditional GET, a few at a time, each within the request deadline) and store what
    came; one failing or slow feed is recorded and the others go on. Results come in the feeds' order;
    `on_feed` hears of each as it finishes."""
    feeds = list_feeds(library)
    wanted = set(only)
    if wanted:
        feeds = [f for f in feeds if {f["name"], f["url"], str(f["id"])} & wanted]
        if not feeds:
            raise NotFound(f"no feed named {', '.join(sorted(wanted))}")
    results: dict[int, SyncResult] = {}
    guard = library.fetch_guard()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(feeds)))) as pool:
        pending = [pool.submit(_fetch, feed, guard) for feed in feeds]
        for future in as_completed(pending):
            fetched = future.result()
            result = _store(library, fetched)  # the library is written from this thread only
            results[fetched.feed["id"]] = result
            if on_feed:
                on_feed(result)
    return [results[f["id"]] for f in feeds]


def _fetch(feed: dict[str, Any], guard: Guard | None) -> _Fetched:
    """In a worker thread: the network and the parsing, nothing that touches the library."""
    headers = {}
    if feed.get("etag"):
        headers["If-None-Match"] = feed["etag"]
    if feed.get("last_modified"):
        headers["If-Modified-Since"] = feed["last_modified"]
    try:
        with Http(guard=guard) as http:
            response = http.get(feed["url"], headers=headers)
        parsed = parse(response.content, feed["url"], feed["name"]) if response.status != 304 else None
        return _Fetched(feed, response.status, response.headers, parsed)
    except LayerwiseError as exc:
        return _Fetched(feed, error=str(exc))


def _store(library: Library, fetched: _Fetched) -> SyncResult:
    feed = fetched.feed
    result = SyncResult(feed["name"], feed["url"], "new")
    updates: dict[str, Any] = {"last_fetched_at": utc_stamp(), "last_error": None}
    try:
        if fetched.error is not None:
            raise LayerwiseError(fetched.error)
        if fetched.parsed is None:
            result.status = "not modified"
        else:
            report = library.ingest(fetched.parsed.entries)
            result.added, result.merged = report.added, report.merged
            headers = fetched.headers or {}
            updates.update(etag=headers.get("etag"), last_modified=headers.get("last-modified"))
            if fetched.parsed.title and not feed.get("title"):
                updates["title"] = fetched.parsed.title
    except LayerwiseError as exc:
        result.status, result.error = "failed", str(exc)
        updates = {"last_fetched_at": utc_stamp(), "last_error": str(exc)}
    with library.store.begin() as conn:
        feed_rows.update(conn, feed["id"], **updates)
    return result
