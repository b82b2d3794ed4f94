"""The library database: SQLite (WAL) by default, PostgreSQL by URL; one SQL dialect-neutral API.

`Store` holds the engine and is the repository of items, their references and tags. The other entity groups
have a module each, functions over a connection: `feeds`, `profile` (focuses, feedback, the weekly plan),
`concepts` (layers, item-concept links), `sessions` (study sessions, deeper dives), `cards` (cards, reviews),
`people` (people, tokens, web sessions); `search` is the full-text index of either engine. No module outside
`store/` runs SQL. Personal rows are read and written for the person a connection acts for (`sql.me`).

Schema changes are Alembic migrations in `migrations/versions`, applied on open (`schema`). Reading a SQLite
library needs no SQLAlchemy (`reading`, `sqlite.Reader`); the engine is made when a command first needs it.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from layerwise.errors import DatabaseDamaged, LayerwiseError
from layerwise.home import sqlite_file
from layerwise.records import Item
from layerwise.store import engines, health, schema, search, sqlite, statuses
from layerwise.store.schema import SCHEMA_REVISIONS
from layerwise.store.sql import OWNER, chunks, column, each, first_line, id_list, insert_many, me, rows, run, scalar, text, tuples

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

WRITER_LOCK = 0x6C77  # PostgreSQL advisory lock key of the library's writers ("lw")
KEY_COLUMNS = ("arxiv_id", "doi", "canonical_url", "title_key")  # what dedupe looks items up by
COUNTED_COLUMNS = ("kind", "year", "venue")
ITEM_COLUMNS = ("id", "kind", "title", "abstract", "body", "authors", "published", "year", "venue", "url",
                "arxiv_id", "doi", "canonical_url", "title_key", "categories", "extra", "cited_by", "added_at",
                "updated_at")


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = engines.dialect(url)
        self.person = OWNER
        self._engine: list[Engine] = []  # made on first use, and shared by the views `for_person` makes (one pool)
        path = sqlite_file(url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LayerwiseError(f"cannot create the library folder: {exc.strerror}", where=str(path.parent)) from None
            if sqlite.revision(path) == SCHEMA_REVISIONS[-1]:
                return  # up to date: nothing more to open until a command needs it
        schema.migrate(self.engine, path, self.display_url)

    @property
    def engine(self) -> Engine:
        if not self._engine:
            self._engine.append(engines.create(self.url))
        return self._engine[0]

    def for_person(self, person: int) -> Store:
        """The same database (one pool) acting for another person: their focuses, plan, ratings, sessions, cards."""
        view = copy.copy(self)
        view.person = person
        return view

    # -- connections -------------------------------------------------------------------------------
    @contextmanager
    def begin(self, writer: bool = False) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any error or Ctrl-C. A `writer` (an import)
        takes the library's write lock first and waits for another writer to finish, so two imports at once
        never claim the same ids: SQLite's BEGIN IMMEDIATE, PostgreSQL's transaction advisory lock."""
        from sqlalchemy.exc import DatabaseError, OperationalError

        try:
            with self.engine.connect() as conn:
                conn.execution_options(layerwise_person=self.person, layerwise_writer=writer)
                with conn.begin():
                    if writer and self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})
                    yield conn
        except (DatabaseError, sqlite3.DatabaseError) as exc:  # sqlite3's own: an import's full-text indexing thread
            if health.damaged(exc):
                raise self._damaged(exc) from None
            if isinstance(exc, (OperationalError, sqlite3.OperationalError)):
                raise LayerwiseError(f"database error: {first_line(exc)}", where=self.display_url) from None
            raise

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A transaction that only reads. On SQLite it runs on the sqlite3 module (`sqlite.Reader`, which the SQL
        helpers accept as a connection): a command that only reads never imports SQLAlchemy."""
        if self.path is None:
            with self.begin() as conn:
                yield conn
            return
        reader = None
        try:
            reader = sqlite.Reader(self.path, self.person)
            yield cast("Connection", reader)
        except sqlite3.DatabaseError as exc:
            if health.damaged(exc):
                raise self._damaged(exc) from None
            if isinstance(exc, sqlite3.OperationalError):
                raise LayerwiseError(f"database error: {first_line(exc)}", where=self.display_url) from None
            raise
        finally:
            if reader is not None:
                reader.close()

    @contextmanager
    def examine(self) -> Iterator[Connection]:
        """A connection for checks that change nothing: whatever they run is rolled back, and a damaged file
        is theirs to report (no commit that fails on it)."""
        with self.engine.connect() as conn:
            conn.execution_options(layerwise_person=self.person)
            try:
                yield conn
            finally:
                with suppress(Exception):
                    conn.rollback()

    def _damaged(self, exc: BaseException) -> DatabaseDamaged:
        return health.damage(exc, self.display_url)

    @property
    def path(self) -> Path | None:
        """The library file, for SQLite (None on PostgreSQL)."""
        return sqlite_file(self.url)

    @property
    def display_url(self) -> str:
        return self.url if self.dialect == "sqlite" else self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        for engine in self._engine:
            engine.dispose()

    # -- items -------------------------------------------------------------------------------------
    def meta(self, conn: Connection, key: str) -> str | None:
        value = scalar(conn, "SELECT value FROM meta WHERE key = :k", {"k": key})
        return None if value is None else str(value)

    def set_meta(self, conn: Connection, key: str, value: str) -> None:
        # an upsert: two processes preparing at once (PostgreSQL) may both write a key
        run(conn, "INSERT INTO meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            {"k": key, "v": value})

    def has_items(self, conn: Connection) -> bool:
        """Whether any item is captured (a mentioned placeholder is not)."""
        return scalar(conn, "SELECT 1 FROM items WHERE NOT EXISTS (SELECT 1 FROM mentions m WHERE m.item_id = items.id) "
                            "LIMIT 1") is not None

    def max_item_id(self, conn: Connection) -> int:
        return int(scalar(conn, "SELECT coalesce(max(id), 0) FROM items"))

    def insert_items(self, conn: Connection, items: Sequence[dict[str, Any]], full_text: search.Indexer | None = None) -> None:
        """New items, indexed for full-text search now or by `full_text` (an import's, which indexes per batch)."""
        if not items:
            return
        insert_many(conn, "items", ITEM_COLUMNS, ([row[c] for c in ITEM_COLUMNS] for row in items))
        if full_text is None:
            search.index_items(conn, [r["id"] for r in items])
        else:
            full_text.add([r["id"] for r in items])
        for status in {r["status"] for r in items if r.get("status", "inbox") != "inbox"}:  # an import of a reading log
            statuses.set_status(conn, [r["id"] for r in items if r.get("status") == status], status, items[0]["added_at"])
        if self.dialect == "postgresql":
            # ids are assigned by the importer so batches can reference them; move the sequence past them
            run(conn, "SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))")

    def update_items(self, conn: Connection, items: Sequence[dict[str, Any]]) -> None:
        sets = ", ".join(f"{c} = :{c}" for c in ITEM_COLUMNS if c not in ("id", "added_at"))
        run(conn, f"UPDATE items SET {sets} WHERE id = :id", items)

    def insert_refs(self, conn: Connection, refs: Sequence[dict[str, Any]]) -> None:
        insert_many(conn, "item_refs", ("source", "ref", "item_id", "added_at"),
                    ((r["source"], r["ref"], r["item_id"], r["added_at"]) for r in refs), " ON CONFLICT DO NOTHING")

    def add_tags(self, conn: Connection, tags: Sequence[dict[str, Any]]) -> None:
        insert_many(conn, "item_tags", ("item_id", "tag"), ((t["item_id"], t["tag"]) for t in tags), " ON CONFLICT DO NOTHING")

    def remove_tags(self, conn: Connection, tags: Sequence[dict[str, Any]]) -> None:
        run(conn, "DELETE FROM item_tags WHERE item_id = :item_id AND tag = :tag", tags)

    def items(self, conn: Connection, item_ids: Sequence[int]) -> list[Item]:
        """Items for these ids, in the order given, with their refs and tags attached."""
        found: dict[int, Item] = {}
        for chunk in chunks(list(item_ids), 500):
            marks = id_list(chunk)
            for row in rows(conn, f"SELECT {', '.join(ITEM_COLUMNS)}, {statuses.MINE} FROM items WHERE id IN ({marks})",
                            {"me": me(conn)}):
                item = Item.from_row(row)
                found[row["id"]] = item
            for row in rows(conn, f"SELECT item_id, source, ref FROM item_refs WHERE item_id IN ({marks}) ORDER BY added_at, source"):
                found[row["item_id"]].refs.append((row["source"], row["ref"]))
            for row in rows(conn, f"SELECT item_id, tag FROM item_tags WHERE item_id IN ({marks}) ORDER BY tag"):
                found[row["item_id"]].tags.append(row["tag"])
            for item_id in column(conn, f"SELECT item_id FROM mentions WHERE item_id IN ({marks})"):
                found[item_id].mentioned = True
        return [found[i] for i in item_ids if i in found]

    def find(self, conn: Connection, **filters: Any) -> tuple[list[int], int]:
        """Ids of matching items (best first when searching, newest first otherwise) and the total count."""
        return search.find(conn, **filters)

    def key_rows(self, conn: Connection) -> Iterator[Any]:
        return iter(conn.execute(text("SELECT id, arxiv_id, doi, canonical_url, title_key, year, authors FROM items")).mappings())

    def ref_rows(self, conn: Connection) -> Iterator[Any]:
        return iter(conn.execute(text("SELECT source, ref, item_id FROM item_refs")).mappings())

    def ids_where(self, conn: Connection, key: str, value: Any) -> list[int]:
        _check_column(key, KEY_COLUMNS)
        return column(conn, f"SELECT id FROM items WHERE {key} = :v ORDER BY id", {"v": value})

    def key_row(self, conn: Connection, item_id: int) -> Any:
        return conn.execute(text("SELECT id, arxiv_id, doi, canonical_url, title_key, year, authors FROM items WHERE id = :id"),
                            {"id": item_id}).mappings().first()

    def ref_owner(self, conn: Connection, source: str, ref: str) -> int | None:
        owner = scalar(conn, "SELECT item_id FROM item_refs WHERE source = :s AND ref = :r", {"s": source, "r": ref})
        return None if owner is None else int(owner)

    def ref_owner_any_source(self, conn: Connection, ref: str) -> list[int]:
        return column(conn, "SELECT DISTINCT item_id FROM item_refs WHERE ref = :r", {"r": ref})

    def refs_of_source(self, conn: Connection, source: str) -> list[tuple[int, str]]:
        """(item id, ref) of every reference under one source, e.g. the map's starting resources."""
        return [(int(i), str(r)) for i, r in tuples(conn, "SELECT item_id, ref FROM item_refs WHERE source = :s", {"s": source})]

    def ids_of_kind(self, conn: Connection, kind: str) -> set[int]:
        return set(column(conn, "SELECT id FROM items WHERE kind = :k", {"k": kind}))

    def count_added(self, conn: Connection, since: str, until: str) -> int:
        return int(scalar(conn, "SELECT count(*) FROM items WHERE added_at >= :a AND added_at < :b",
                          {"a": since, "b": until}) or 0)

    def counts(self, conn: Connection, name: str) -> list[tuple[Any, int]]:
        _check_column(name, COUNTED_COLUMNS)
        return [(r[0], r[1]) for r in tuples(conn, f"SELECT {name}, count(*) AS n FROM items GROUP BY {name} ORDER BY n DESC, {name}")]

    def source_counts(self, conn: Connection) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in tuples(
            conn, "SELECT source, count(DISTINCT item_id) AS n FROM item_refs GROUP BY source ORDER BY n DESC, source")]

    def tag_counts(self, conn: Connection) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in tuples(conn, "SELECT tag, count(*) AS n FROM item_tags GROUP BY tag ORDER BY n DESC, tag")]

    def column_values(self, conn: Connection, name: str) -> Iterator[Any]:
        _check_column(name, ("categories", "published", "added_at"))
        return (r[0] for r in conn.execute(text(f"SELECT {name} FROM items")))

    # -- what the item representations are computed from ----------------------------------------------
    def change_state(self, conn: Connection) -> tuple[int, str]:
        """How many items there are and when one last changed: two queries, each answered from an index."""
        count = scalar(conn, "SELECT count(*) FROM items")
        changed = scalar(conn, "SELECT max(updated_at) FROM items")
        return int(count or 0), str(changed or "")

    def item_texts(self, conn: Connection, after: int = 0, upto: int | None = None) -> Iterator[tuple[int, str, str | None, str]]:
        """(id, title, abstract, updated_at) of every item (of ids in (after, upto]), by id, one at a time (a
        million abstracts are over a gigabyte: the caller keeps what it needs of them)."""
        until = "" if upto is None else " AND id <= :upto"
        return ((int(r[0]), r[1], r[2], str(r[3])) for r in each(
            conn, f"SELECT id, title, abstract, updated_at FROM items WHERE id > :after{until} ORDER BY id",
            {"after": after, "upto": upto}))

    def item_texts_since(self, conn: Connection, stamp: str) -> list[tuple[int, str, str | None, str]]:
        """(id, title, abstract, updated_at) of items changed in or after a stamp's second, by id."""
        # sorted here: `ORDER BY id` would make SQLite scan the table in id order instead of using the
        # updated_at index (150 ms at 170k items for a sync of 100)
        return sorted((int(r[0]), r[1], r[2], str(r[3])) for r in tuples(
            conn, "SELECT id, title, abstract, updated_at FROM items WHERE updated_at >= :s", {"s": stamp}))

    def item_texts_by_id(self, conn: Connection, item_ids: Sequence[int]) -> list[tuple[int, str, str | None]]:
        out: list[tuple[int, str, str | None]] = []
        for chunk in chunks(list(item_ids), 500):
            out += [(int(r[0]), r[1], r[2]) for r in tuples(conn, f"SELECT id, title, abstract FROM items WHERE id IN ({id_list(chunk)})")]
        return out

    def item_ids(self, conn: Connection) -> list[int]:
        # SQLite would read the whole table, abstracts and all, for its row ids (12 s on a cold cache at 170k);
        # every index holds them too
        where = " INDEXED BY items_added_at" if self.dialect == "sqlite" else ""
        return sorted(column(conn, f"SELECT id FROM items{where}"))


def _check_column(name: str, allowed: Sequence[str]) -> None:
    if name not in allowed:  # the name goes into the SQL text: only known columns (an `assert` vanishes under -O)
        raise ValueError(f"not a column to use here: {name!r}")


def salvage_library(damaged: Path, fresh: Path) -> health.Salvage:
    """A new library file with the current schema, holding every row of `damaged` that can still be read."""
    Store(f"sqlite:///{fresh}").close()
    return health.salvage(damaged, fresh)
