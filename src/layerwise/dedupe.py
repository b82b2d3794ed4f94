"""Cross-source dedupe: decide whether an incoming record is an item the library already holds, and merge.

Matching order, strongest first: the source's own id seen before, arXiv id, DOI, canonical URL, then a
near-identical title (same alphanumeric key, at least three words, years no more than two apart, and no
conflicting arXiv id or DOI). Merges keep the richest value of each field and every reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from layerwise import ids
from layerwise.records import Item, Skip, to_json

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from layerwise.store import Store

MIN_TITLE_WORDS = 3
MIN_TITLE_KEY = 15
MAX_YEAR_GAP = 2
GLOBAL_SOURCES = ("arxiv", "doi")


@dataclass(frozen=True)
class Keys:
    arxiv_id: str | None
    doi: str | None
    year: int | None
    title_key: str | None = None
    authors: str | None = None  # the stored JSON list, parsed only when a short title needs it


class KeyIndex(Protocol):
    def by_ref(self, source: str, ref: str) -> int | None: ...
    def by_column(self, column: str, value: str) -> list[int]: ...
    def keys(self, item_id: int) -> Keys: ...
    def remember(self, item: Item) -> None: ...


@dataclass
class MemoryKeys:
    """Every key of the library in dicts: fast for bulk imports (one load, then dictionary lookups)."""

    refs: dict[tuple[str, str], int] = field(default_factory=dict)
    columns: dict[str, dict[str, list[int]]] = field(default_factory=lambda: {
        "arxiv_id": {}, "doi": {}, "canonical_url": {}, "title_key": {}})
    meta: dict[int, Keys] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store, conn: Connection) -> MemoryKeys:
        index = cls()
        for row in store.key_rows(conn):
            index._add(row["id"], row)
        for row in store.ref_rows(conn):
            index.refs[(row["source"], row["ref"])] = row["item_id"]
        return index

    def _add(self, item_id: int, values: Any) -> None:
        for column, by_value in self.columns.items():
            value = values[column]
            if value:
                owners = by_value.setdefault(value, [])
                if item_id not in owners:
                    owners.append(item_id)
        self.meta[item_id] = Keys(values["arxiv_id"], values["doi"], values["year"], values["title_key"],
                                  values["authors"])

    def by_ref(self, source: str, ref: str) -> int | None:
        return self.refs.get((source, ref))

    def by_column(self, column: str, value: str) -> list[int]:
        return self.columns[column].get(value, [])

    def keys(self, item_id: int) -> Keys:
        return self.meta[item_id]

    def remember(self, item: Item) -> None:
        self._add(item.library_id, {"arxiv_id": item.arxiv_id, "doi": item.doi, "canonical_url": item.canonical_url,
                            "title_key": item.title_key, "year": item.year,
                            "authors": to_json(item.authors[:1])})
        for pair in item.refs:
            self.refs.setdefault(pair, item.library_id)


@dataclass
class DatabaseKeys:
    """Keys looked up with indexed queries: cheap for adding one item to a large library."""

    store: Store
    conn: Connection
    pending: MemoryKeys = field(default_factory=MemoryKeys)

    def by_ref(self, source: str, ref: str) -> int | None:
        return self.pending.by_ref(source, ref) or self.store.ref_owner(self.conn, source, ref)

    def by_column(self, column: str, value: str) -> list[int]:
        return list(dict.fromkeys(self.pending.by_column(column, value) + self.store.ids_where(self.conn, column, value)))

    def keys(self, item_id: int) -> Keys:
        if item_id in self.pending.meta:
            return self.pending.meta[item_id]
        row = self.store.key_row(self.conn, item_id)
        return Keys(row["arxiv_id"], row["doi"], row["year"], row["title_key"], row["authors"])

    def remember(self, item: Item) -> None:
        self.pending.remember(item)


def find_match(index: KeyIndex, item: Item) -> int | None:
    """The id of the library item this record describes, or None if it is new."""
    for source, ref in item.refs:
        owner = index.by_ref(source, ref)
        # Ids from files are not always unique (proceedings dumps reuse them across venues): outside the
        # global id schemes, the same id with an unrelated title is a different work.
        if owner is not None and (source in GLOBAL_SOURCES or _similar_titles(index.keys(owner).title_key, item.title_key)):
            return owner
    for column in ("arxiv_id", "doi", "canonical_url"):
        value = getattr(item, column)
        if value:
            for owner in index.by_column(column, value):
                keys = index.keys(owner)
                # A URL can be a shared landing page (proceedings, a list): the titles must agree too.
                if _compatible(keys, item, check_year=False) and (column != "canonical_url" or _similar_titles(keys.title_key, item.title_key)):
                    return owner
    if item.title_key and (owners := index.by_column("title_key", item.title_key)):
        long_title = len(item.title_key) >= MIN_TITLE_KEY and ids.title_words(item.title) >= MIN_TITLE_WORDS
        for owner in owners:
            keys = index.keys(owner)
            # A short title ("Deep learning") is only the same work with the same year and first author;
            # a record with nothing but a title can only be recognised by its title and year.
            if _compatible(keys, item, check_year=True) and (
                    long_title or _same_year_and_first_author(keys, item) or (_anonymous(item) and keys.year == item.year)):
                return owner
    return None


def _anonymous(item: Item) -> bool:
    return not item.refs and not item.canonical_url and not item.authors


def _same_year_and_first_author(keys: Keys, item: Item) -> bool:
    if not (keys.year and item.year == keys.year and item.authors and keys.authors):
        return False
    stored = json.loads(keys.authors)
    return bool(stored) and _surname(stored[0]) == _surname(item.authors[0])


def _surname(name: str) -> str:
    return ids.title_key(name.split()[-1] if name.split() else name) or ""


def title_twin(index: KeyIndex, item: Item, exclude: int) -> int | None:
    """Another item the library holds under this record's title: the work a placeholder, mentioned only by an
    id, turns out to be once the record brings its title."""
    if not item.title_key or len(item.title_key) < MIN_TITLE_KEY or ids.title_words(item.title) < MIN_TITLE_WORDS:
        return None
    for owner in index.by_column("title_key", item.title_key):
        if owner != exclude and _compatible(index.keys(owner), item, check_year=True):
            return owner
    return None


def _compatible(keys: Keys, item: Item, check_year: bool) -> bool:
    if keys.arxiv_id and item.arxiv_id and keys.arxiv_id != item.arxiv_id:
        return False
    if keys.doi and item.doi and keys.doi != item.doi:
        return False
    if check_year and keys.year and item.year and abs(keys.year - item.year) > MAX_YEAR_GAP:
        return False
    return True


def _similar_titles(a: str | None, b: str | None) -> bool:
    if not a or not b or a in b or b in a:
        return True
    return _alike(a, b)


@lru_cache(maxsize=4096)  # a bulk import asks twice per record: once to prefetch, once to place it
def _alike(a: str, b: str) -> bool:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.6


def release_taken_keys(index: KeyIndex, item: Item) -> None:
    """Drop unique keys another item already owns (a shared proceedings URL, say), so the insert cannot clash."""
    for column in ("arxiv_id", "doi", "canonical_url"):
        value = getattr(item, column)
        if value and any(owner != item.id for owner in index.by_column(column, value)):
            setattr(item, column, None)


# Fields where the longer text is the richer one.
_TEXT_FIELDS = ("abstract", "body")
# Fields filled from the incoming record only where the item has nothing.
_FILL_FIELDS = ("venue", "url", "arxiv_id", "doi", "canonical_url", "published", "year")
# Kinds that say more than the default guesses do.
_GENERIC_KINDS = ("page", "post")


def merge(existing: Item, incoming: Item, index: KeyIndex | None = None) -> bool:
    """Fold `incoming` into `existing` in place; True if anything changed. With the library's keys, a unique key
    another item owns is released again before comparing, so re-importing a file changes nothing."""
    before = existing.to_row()
    before_tags = list(existing.tags)
    if existing.mentioned and not incoming.mentioned:
        # a work only cited so far is captured now: the record's own title and kind replace the placeholder's
        existing.mentioned = False
        existing.title, existing.title_key, existing.kind = incoming.title, incoming.title_key, incoming.kind
    if not existing.title and incoming.title:
        existing.title = incoming.title
        existing.title_key = incoming.title_key
    for name in _TEXT_FIELDS:
        new = getattr(incoming, name)
        if new and len(new) > len(getattr(existing, name) or ""):
            setattr(existing, name, new)
    for name in _FILL_FIELDS:
        if getattr(existing, name) in (None, "") and getattr(incoming, name) not in (None, ""):
            setattr(existing, name, getattr(incoming, name))
    if incoming.published and existing.published and incoming.published < existing.published \
            and incoming.published[:4] == existing.published[:4]:
        existing.published = incoming.published
    if len(incoming.authors) > len(existing.authors):
        existing.authors = list(incoming.authors)
    existing.categories = _union(existing.categories, incoming.categories)
    existing.tags = _union(existing.tags, incoming.tags)
    if existing.kind in _GENERIC_KINDS and incoming.kind not in _GENERIC_KINDS:
        existing.kind = incoming.kind
    if existing.arxiv_id and existing.kind in _GENERIC_KINDS:
        existing.kind = "paper"
    for key, value in incoming.extra.items():
        existing.extra.setdefault(key, value)
    if incoming.cited_by is not None and (existing.cited_by or 0) < incoming.cited_by:
        existing.cited_by = incoming.cited_by
    for pair in incoming.refs:
        existing.add_ref(*pair)
    if index is not None:
        release_taken_keys(index, existing)
    return existing.to_row() != before or existing.tags != before_tags


def _union(a: Iterable[str], b: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*a, *b]))


def prefetching(records: Iterable[Item | Skip], index: KeyIndex, stored: dict[int, Item],
                 first_new_id: int, store: Store, conn: Connection, size: int = 500) -> Iterator[Item | Skip]:
    """Normalise records and, a batch ahead, fetch the library items they will merge into with one query
    per batch instead of three per record (re-importing a large file would otherwise crawl)."""
    batch: list[Item | Skip] = []

    def fetch() -> None:
        if first_new_id == 1:  # the library was empty: nothing to fetch
            return
        wanted = set()
        for record in batch:
            if isinstance(record, Item):
                match = find_match(index, record)
                if match is not None and match < first_new_id and match not in stored:
                    wanted.add(match)
        stored.update((i.library_id, i) for i in store.items(conn, sorted(wanted)))

    for record in records:
        if isinstance(record, Item):
            record.normalise()
        batch.append(record)
        if len(batch) >= size:
            fetch()
            yield from batch
            batch = []
    fetch()
    yield from batch
