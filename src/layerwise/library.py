"""The library: what a user can do with captured items. Every interface calls these functions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerwise import lookup
from layerwise.errors import LayerwiseError
from layerwise.home import Home, open_home, sqlite_file
from layerwise.records import Item, Skip
from layerwise.store import Store
from layerwise.store import feeds as feed_rows
from layerwise.store import people as people_rows
from layerwise.store import statuses as status_rows
from layerwise.store.people import Person
from layerwise.times import utc_stamp
from layerwise.vocab import STATUSES

if TYPE_CHECKING:
    from layerwise.capture.contract import FeedEntry
    from layerwise.ingest import IngestReport
    from layerwise.net import Guard

BULK_FROM = 4 * 2**20  # bytes of records from which an import loads every key of the library first


class Library:
    """One library as one person sees it: the shared items, feeds and graph, and `user`'s own profile, plan,
    sessions and cards (no user: the library's first person, the only one of a library nobody shares)."""

    def __init__(self, home: Home | str | None = None, database_url: str | None = None, user: str | None = None) -> None:
        self.home = home if isinstance(home, Home) else open_home(home)
        self._database_url = database_url
        self.user = self.home.acting_user(user)
        self.signs_in = False  # a web server: it acts for nobody itself, each request for the person signed in

    @property
    def database_url(self) -> str:
        return self._database_url or self.home.database_url()

    @property
    def database_file(self) -> Path | None:
        """The SQLite file of the library (None on PostgreSQL), known without opening it."""
        return sqlite_file(self.database_url)

    @cached_property
    def store(self) -> Store:
        store = Store(self.database_url)
        with store.reading() as conn:
            person = people_rows.by_name(conn, self.user) if self.user else None
            anonymous = self.user is None and not self.signs_in and people_rows.shared(conn)
        if anonymous or (self.user and (person is None or person.removed_at)):
            store.close()
            raise LayerwiseError("this library is shared by a team: say who you are with --user NAME or LAYERWISE_USER"
                                 if anonymous else f"no person named {self.user!r} shares this library")
        return store if person is None else store.for_person(person.id)

    @cached_property
    def person(self) -> Person:
        with self.store.begin() as conn:
            found = people_rows.by_id(conn, self.store.person)
        assert found is not None  # person 1 always exists, others are never deleted
        return found

    def as_person(self, person: Person) -> Library:
        """The same library (one database pool) as another person sees it: the web app, per signed-in request."""
        view = Library(self.home, self._database_url, person.name)
        view.__dict__.update(store=self.store.for_person(person.id), person=person)
        return view

    def fetch_guard(self) -> Guard | None:
        """A library shared by a team fetches only from public addresses (net.Guard, `fetch_allow` in config.toml
        lets named hosts or networks through); a one-person library fetches whatever its person names."""
        from layerwise.net import Guard

        with self.store.begin() as conn:
            shared = people_rows.shared(conn)
        return Guard(tuple(str(a) for a in self.home.config().get("fetch_allow", []))) if shared else None

    @cached_property
    def desk(self) -> Home:
        """Where the acting person's own files live (notes, journal, katas, digests, settings): the home itself for
        its own person (no --user, or the `user` its config.toml names), else people/NAME/ inside it."""
        if self.user is None or self.user == self.home.config().get("user"):
            return self.home
        return Home(self.home.path / "people" / self.user)

    def open(self) -> Library:
        """Open the database now (it opens on first use otherwise): a library written by a newer layerwise, or
        one that cannot be opened, is refused here, before a server starts on it."""
        _ = self.store
        return self

    def close(self) -> None:
        """Close the database; the next use opens it again (after a repair, the new file)."""
        if "store" in self.__dict__:
            self.store.close()
            del self.__dict__["store"]

    # -- capture -----------------------------------------------------------------------------------
    def ingest(self, records: Iterable[Item | Skip], *, bulk: bool = True, on_record: Callable[[int], None] | None = None,
               on_stored: Callable[[Sequence[Item]], None] | None = None) -> IngestReport:
        """Store records in one transaction, deduplicated against the library and each other, with what they cite.
        Ctrl-C or an error rolls the whole batch back, so the library is never left half-imported."""
        # capture's modules are imported where they are used: a command that only reads (`similar`, `week`) would
        # otherwise load every reader, ~20 ms of its cold start (tests/test_architecture.py names these imports)
        from layerwise.ingest import ingest as store_records

        return store_records(self.store, records, bulk=bulk, on_record=on_record, on_stored=on_stored)

    def add(self, target: str, *, tags: Sequence[str] = (), kind: str | None = None) -> tuple[Item, bool]:
        """Capture one thing (arXiv id or URL, DOI, web URL, PDF path). Returns the item and whether it is new."""
        from layerwise.capture.targets import resolve_target

        item = resolve_target(target, self.fetch_guard())
        item.tags.extend(tags)
        if kind:
            item.kind = kind
        report = self.ingest([item], bulk=False)
        with self.store.begin() as conn:
            stored = self.store.items(conn, report.item_ids)[0]
        return stored, report.added == 1

    def import_file(self, path: str, *, format: str | None = None, source: str | None = None,
                    mapping: dict[str, str] | None = None,
                    on_record: Callable[[int], None] | None = None,
                    on_stored: Callable[[Sequence[Item]], None] | None = None) -> IngestReport:
        from layerwise.capture.formats import read_file
        from layerwise.references import endorsed

        parsed = read_file(path, format=format, source=source, mapping=mapping)
        if parsed.feeds is not None:
            return self.add_subscriptions(parsed.feeds)
        records = endorsed(parsed.records, parsed.source) if parsed.curated else parsed.records
        # a small file into a large library: a few indexed lookups per record beat loading every key (2.7 s at 170k)
        size = Path(path).stat().st_size * (5 if path.endswith(".gz") else 1)
        return self.ingest(records, on_record=on_record, on_stored=on_stored, bulk=size > BULK_FROM)

    def add_subscriptions(self, entries: Sequence[FeedEntry]) -> IngestReport:
        """Subscriptions from an OPML file: recorded now, fetched by the next `layerwise sync`."""
        from layerwise.ingest import IngestReport

        report = IngestReport()
        with self.store.begin() as conn:
            report.feeds_added, report.unchanged = feed_rows.subscribe(
                conn, ((e.url, e.title, e.site_url) for e in entries), utc_stamp())
        return report

    # -- references --------------------------------------------------------------------------------
    def resolve(self, ref: str) -> int:
        """An item id from the library's own id, `SOURCE:ID`, an arXiv id, a DOI, a URL, or `pick:N`."""
        return lookup.resolve(self.store, ref)

    def display_refs(self, item_ids: Sequence[int]) -> dict[int, str]:
        """A reference per item for output: its first external id (SOURCE:ID), else its library id."""
        with self.store.reading() as conn:
            items = self.store.items(conn, list(item_ids))
        return {i.library_id: (":".join(i.refs[0]) if i.refs else str(i.id)) for i in items}

    def items_by_id(self, item_ids: Sequence[int]) -> dict[int, Item]:
        """Many items at once, by library id (ids that no longer exist are left out)."""
        with self.store.reading() as conn:
            return {i.library_id: i for i in self.store.items(conn, list(item_ids))}

    def is_empty(self) -> bool:  # cheaper than counting a large library
        with self.store.begin() as conn:
            return not self.store.has_items(conn)

    def get(self, ref: str) -> Item:
        item_id = self.resolve(ref)
        with self.store.reading() as conn:
            return self.store.items(conn, [item_id])[0]

    # -- finding -----------------------------------------------------------------------------------
    def find(self, query: str | None = None, *, limit: int | None = 20, offset: int = 0,
             **filters: Any) -> tuple[list[Item], int]:
        if filters.get("kind") is not None:
            filters["kind"] = _check_choice("kind", filters["kind"], None)  # any kind: importers may add more
        if filters.get("status") is not None:
            filters["status"] = _check_choice("status", filters["status"], STATUSES)
        for key in ("since", "until"):
            if filters.get(key):
                filters[key] = _check_date(key, filters[key])
        with self.store.reading() as conn:
            item_ids, total = self.store.find(conn, query=query, limit=limit, offset=offset, **filters)
            return self.store.items(conn, item_ids), total

    # -- changing ----------------------------------------------------------------------------------
    def set_status(self, refs: Sequence[str], status: str) -> list[int]:
        status = _check_choice("status", status, STATUSES)
        item_ids = [self.resolve(r) for r in refs]
        with self.store.begin() as conn:
            status_rows.set_status(conn, item_ids, status, utc_stamp())
        return item_ids

    def tag(self, refs: Sequence[str], tags: Sequence[str], remove: bool = False) -> list[int]:
        item_ids = [self.resolve(r) for r in refs]
        rows = [{"item_id": i, "tag": t.strip().lower()} for i in item_ids for t in tags if t.strip()]
        with self.store.begin() as conn:
            (self.store.remove_tags if remove else self.store.add_tags)(conn, rows)
        return item_ids


def _check_choice(name: str, value: str, choices: Sequence[str] | None) -> str:
    value = value.strip().lower()
    if choices is not None and value not in choices:
        raise LayerwiseError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")
    return value


def _check_date(name: str, value: str) -> str:
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise LayerwiseError(f"--{name} takes a date as YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")
    return value
