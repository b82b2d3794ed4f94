"""Subscriptions: one row per feed, with what conditional GET needs (ETag, Last-Modified) and the last error."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from layerwise import ids
from layerwise.store.sql import rows, run

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

COLUMNS = ("url", "name", "title", "site_url", "etag", "last_modified", "last_fetched_at", "last_error", "added_at")


@dataclass
class Feed:
    id: int
    name: str
    url: str
    title: str | None
    site_url: str | None
    etag: str | None
    last_modified: str | None
    last_fetched_at: str | None
    last_error: str | None
    added_at: str
    items: int  # items that came from this feed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def all_feeds(conn: Connection) -> list[Feed]:
    found = rows(conn, "SELECT f.id, f.name, f.url, f.title, f.site_url, f.etag, f.last_modified, f.last_fetched_at, "
                       "f.last_error, f.added_at, (SELECT count(DISTINCT r.item_id) FROM item_refs r "
                       "WHERE r.source = f.name) AS items FROM feeds f ORDER BY f.name")
    return [Feed(**r) for r in found]


def insert(conn: Connection, **values: Any) -> None:
    """A new subscription; a URL or name already taken is left as it is."""
    insert_many(conn, [values])


def insert_many(conn: Connection, feeds: Sequence[dict[str, Any]]) -> None:
    """New subscriptions in one statement (an OPML file may hold thousands); each with the same columns."""
    if not feeds:
        return
    names = _checked(feeds[0])
    run(conn, f"INSERT INTO feeds ({', '.join(names)}) VALUES ({', '.join(':' + c for c in names)}) "
              "ON CONFLICT DO NOTHING", feeds)


def update(conn: Connection, feed_id: int, **values: Any) -> None:
    names = _checked(values)
    run(conn, f"UPDATE feeds SET {', '.join(f'{c} = :{c}' for c in names)} WHERE id = :id", {**values, "id": feed_id})


def delete(conn: Connection, feed_id: int) -> None:
    run(conn, "DELETE FROM feeds WHERE id = :id", {"id": feed_id})


def _checked(values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(COLUMNS)
    if unknown:  # column names go into the SQL text: only known ones
        raise ValueError(f"not a feed column: {', '.join(sorted(unknown))}")
    return list(values)


BUILT_IN_SOURCES = frozenset({"arxiv", "doi", "url"})


class FeedNames:
    """Short names for new feeds, from a title or host: entries are addressed as NAME:ENTRY-ID, so each differs
    from every other feed and from the built-in sources. Remembers the next number per base, so an OPML file
    with thousands of feeds of one title stays linear."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken) | BUILT_IN_SOURCES
        self.next: dict[str, int] = {}

    def new(self, title: str | None, url: str) -> str:
        base = ids.slug(title or ids.host_of(url) or "feed", 40)
        name, n = base, self.next.get(base, 1)
        if n > 1:
            name = f"{base}-{n}"
        while name in self.taken:
            n += 1
            name = f"{base}-{n}"
        self.next[base] = n
        self.taken.add(name)
        return name


def subscribe(conn: Connection, entries: Iterable[tuple[str, str | None, str | None]], now: str) -> tuple[int, int]:
    """Subscribe to feeds given as (url, title, site url), each http(s) URL once: (subscribed, already there or
    not a web feed)."""
    existing = all_feeds(conn)
    names = FeedNames(f.name for f in existing)
    urls = {f.url for f in existing}
    new, unchanged = [], 0
    for url, title, site_url in entries:
        if url in urls or not url.startswith(("http://", "https://")):
            unchanged += 1
            continue
        urls.add(url)
        new.append({"url": url, "name": names.new(title, url), "title": title, "site_url": site_url, "added_at": now})
    insert_many(conn, new)
    return len(new), unchanged
