"""Feed subscriptions: subscribe (finding the feed a page advertises), unsubscribe, and sync every feed with
conditional GET. A workflow above the library: capture/feeds.py parses, the library stores."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from layerwise.capture.feeds import discover, looks_like_html, parse
from layerwise.errors import FetchError, LayerwiseError, NotFound
from layerwise.library import IngestReport, Library
from layerwise.net import Http
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
    name = name or feed_rows.unique_name((f["name"] for f in existing), probe.title, url)
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


def sync(library: Library, only: Iterable[str] = (), on_feed: Callable[[SyncResult], None] | None = None) -> list[SyncResult]:
    """Fetch every feed (conditional GET); one failing feed is recorded and the others go on."""
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
    result = SyncResult(feed["name"], feed["url"], "new")
    headers = {}
    if feed.get("etag"):
        headers["If-None-Match"] = feed["etag"]
    if feed.get("last_modified"):
        headers["If-Modified-Since"] = feed["last_modified"]
    updates: dict[str, Any]
    try:
        response = http.get(feed["url"], headers=headers)
        updates = {"last_fetched_at": utc_stamp(), "last_error": None}
        if response.status == 304:
            result.status = "not modified"
        else:
            parsed = parse(response.content, feed["url"], feed["name"])
            report = library.ingest(parsed.entries)
            result.added, result.merged = report.added, report.merged
            updates.update(etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"))
            if parsed.title and not feed.get("title"):
                updates["title"] = parsed.title
    except LayerwiseError as exc:
        result.status, result.error = "failed", str(exc)
        updates = {"last_fetched_at": utc_stamp(), "last_error": str(exc)}
    with library.store.begin() as conn:
        feed_rows.update(conn, feed["id"], **updates)
    return result
