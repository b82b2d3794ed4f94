"""The library database: SQLite (WAL) by default, PostgreSQL by URL; one SQL dialect-neutral API.

Schema changes are Alembic migrations in `migrations/versions`, applied on open. A database whose
revision this code does not know was written by a newer layerwise and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerwise.errors import LayerwiseError, SchemaTooNew

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

# Oldest first. Kept here so opening an up-to-date library never imports Alembic; a test checks that it
# matches the migration scripts.
SCHEMA_REVISIONS = ("0001_initial", "0002_profile_and_plan", "0003_concept_layers", "0004_item_concepts",
                    "0005_meta", "0006_study", "0007_cards", "0008_session_clock")
ITEM_COLUMNS = ("id", "kind", "title", "abstract", "body", "authors", "published", "year", "venue", "url",
                "arxiv_id", "doi", "canonical_url", "title_key", "categories", "status", "extra",
                "added_at", "updated_at")


class Store:
    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, event

        self.url = url
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LayerwiseError(f"cannot create the library folder: {exc.strerror}", where=str(path.parent)) from None
            self.engine: Engine = create_engine(url)
            event.listen(self.engine, "connect", _sqlite_pragmas)
        elif url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            url = url.replace("postgres://", "postgresql://", 1)
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            try:
                self.engine = create_engine(url, pool_pre_ping=True)
            except ModuleNotFoundError:
                raise LayerwiseError("PostgreSQL support needs psycopg: pip install 'layerwise[postgres]'") from None
        else:
            raise LayerwiseError(f"unsupported database URL {url!r} (use sqlite:///PATH or postgresql://...)")
        self.dialect = self.engine.dialect.name
        self._migrate()

    # -- connections -------------------------------------------------------------------------------
    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any error or Ctrl-C."""
        from sqlalchemy.exc import OperationalError

        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise LayerwiseError(f"database error: {_first_line(exc)}", where=self.display_url) from None

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # -- schema ------------------------------------------------------------------------------------
    def _migrate(self) -> None:
        from sqlalchemy import inspect, text
        from sqlalchemy.exc import OperationalError

        try:
            with self.engine.connect() as conn:
                current = None
                if inspect(conn).has_table("alembic_version"):
                    current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError as exc:
            raise LayerwiseError(f"cannot open the library database: {_first_line(exc)}", where=self.display_url) from None
        if current == SCHEMA_REVISIONS[-1]:
            return
        if current is not None and current not in SCHEMA_REVISIONS:
            raise SchemaTooNew(
                f"the library database is at schema revision {current!r}, which this layerwise does not know "
                f"(it knows up to {SCHEMA_REVISIONS[-1]!r}); it was written by a newer layerwise: upgrade layerwise",
                where=self.display_url)
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    # -- items -------------------------------------------------------------------------------------
    def meta(self, conn: Connection, key: str) -> str | None:
        return conn.execute(_text("SELECT value FROM meta WHERE key = :k"), {"k": key}).scalar()

    def set_meta(self, conn: Connection, key: str, value: str) -> None:
        conn.execute(_text("DELETE FROM meta WHERE key = :k"), {"k": key})
        conn.execute(_text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": key, "v": value})

    def max_item_id(self, conn: Connection) -> int:
        return _scalar(conn, "SELECT coalesce(max(id), 0) FROM items")

    def insert_items(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = ", ".join(ITEM_COLUMNS)
        params = ", ".join(f":{c}" for c in ITEM_COLUMNS)
        _run(conn, f"INSERT INTO items ({cols}) VALUES ({params})", rows)
        if self.dialect == "sqlite":
            for chunk in _chunks(sorted(r["id"] for r in rows), 500):
                _run(conn, "INSERT INTO items_fts (rowid, title, authors, abstract, body) "
                           f"SELECT id, title, authors, abstract, body FROM items WHERE id IN ({', '.join(map(str, chunk))})")
        if self.dialect == "postgresql":
            # ids are assigned by the importer so batches can reference them; move the sequence past them
            _run(conn, "SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))")

    def update_items(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        sets = ", ".join(f"{c} = :{c}" for c in ITEM_COLUMNS if c not in ("id", "added_at"))
        _run(conn, f"UPDATE items SET {sets} WHERE id = :id", rows)

    def insert_refs(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            _run(conn, "INSERT INTO item_refs (source, ref, item_id, added_at) VALUES (:source, :ref, :item_id, :added_at) "
                       "ON CONFLICT DO NOTHING", rows)

    def add_tags(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            _run(conn, "INSERT INTO item_tags (item_id, tag) VALUES (:item_id, :tag) ON CONFLICT DO NOTHING", rows)

    def remove_tags(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            _run(conn, "DELETE FROM item_tags WHERE item_id = :item_id AND tag = :tag", rows)

    def set_status(self, conn: Connection, item_ids: Sequence[int], status: str, now: str) -> None:
        _run(conn, "UPDATE items SET status = :status, updated_at = :now WHERE id = :id",
             [{"id": i, "status": status, "now": now} for i in item_ids])

    def items(self, conn: Connection, item_ids: Sequence[int]) -> list[Any]:
        """Rows for these ids, in the order given, with their refs and tags attached."""
        from layerwise.records import Item

        if not item_ids:
            return []
        found: dict[int, Item] = {}
        for chunk in _chunks(list(item_ids), 500):
            marks = ", ".join(str(int(i)) for i in chunk)
            for row in _rows(conn, f"SELECT {', '.join(ITEM_COLUMNS)} FROM items WHERE id IN ({marks})"):
                item = Item.from_row(row)
                found[item.id] = item  # type: ignore[index]
            for row in _rows(conn, f"SELECT item_id, source, ref FROM item_refs WHERE item_id IN ({marks}) ORDER BY added_at, source"):
                found[row["item_id"]].refs.append((row["source"], row["ref"]))
            for row in _rows(conn, f"SELECT item_id, tag FROM item_tags WHERE item_id IN ({marks}) ORDER BY tag"):
                found[row["item_id"]].tags.append(row["tag"])
        return [found[i] for i in item_ids if i in found]

    def key_rows(self, conn: Connection) -> Iterator[Any]:
        return _rows(conn, "SELECT id, arxiv_id, doi, canonical_url, title_key, year, authors FROM items")

    def ref_rows(self, conn: Connection) -> Iterator[Any]:
        return _rows(conn, "SELECT source, ref, item_id FROM item_refs")

    def ids_where(self, conn: Connection, column: str, value: Any) -> list[int]:
        assert column in ("arxiv_id", "doi", "canonical_url", "title_key")
        return [r[0] for r in conn.execute(_text(f"SELECT id FROM items WHERE {column} = :v ORDER BY id"), {"v": value})]

    def key_row(self, conn: Connection, item_id: int) -> Any:
        return conn.execute(_text("SELECT id, arxiv_id, doi, canonical_url, title_key, year, authors FROM items WHERE id = :id"),
                            {"id": item_id}).mappings().first()

    def ref_owner(self, conn: Connection, source: str, ref: str) -> int | None:
        return conn.execute(_text("SELECT item_id FROM item_refs WHERE source = :s AND ref = :r"),
                            {"s": source, "r": ref}).scalar()

    def ref_owner_any_source(self, conn: Connection, ref: str) -> list[int]:
        return [r[0] for r in conn.execute(_text("SELECT DISTINCT item_id FROM item_refs WHERE ref = :r"), {"r": ref})]

    def find(self, conn: Connection, *, query: str | None = None, kind: str | None = None,
             status: str | None = None, source: str | None = None, tag: str | None = None,
             since: str | None = None, until: str | None = None, limit: int | None = 20,
             offset: int = 0) -> tuple[list[int], int]:
        """Ids of matching items (best first when searching, newest first otherwise) and the total count."""
        if query is not None and not any(ch.isalnum() for ch in query):
            return [], 0
        where: list[str] = []
        params: dict[str, Any] = {}
        for column, value in (("kind", kind), ("status", status)):
            if value:
                where.append(f"items.{column} = :{column}")
                params[column] = value
        if source:
            where.append("EXISTS (SELECT 1 FROM item_refs r WHERE r.item_id = items.id AND r.source = :source)")
            params["source"] = source
        if tag:
            where.append("EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = items.id AND t.tag = :tag)")
            params["tag"] = tag.lower()
        if since:
            where.append("coalesce(items.published, items.added_at) >= :since")
            params["since"] = since
        if until:
            where.append("coalesce(items.published, items.added_at) < :until")
            params["until"] = until
        page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit else ""
        if query and self.dialect == "sqlite":
            return self._find_fts5(conn, query, where, params, limit, offset)
        joins, order = "", "items.id DESC"
        if query:
            where.append("items.search @@ websearch_to_tsquery('english', :q)")
            order = "ts_rank_cd(items.search, websearch_to_tsquery('english', :q)) DESC, items.id DESC"
            params["q"] = re.sub(r"(?<=\w)-(?=\w)", " ", query)  # feature-stores: both words, as in FTS5
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        total = conn.execute(_text(f"SELECT count(*) FROM items{joins}{clause}"), params).scalar() or 0
        ids = [r[0] for r in conn.execute(_text(f"SELECT items.id FROM items{joins}{clause} ORDER BY {order}{page}"), params)]
        return ids, total

    # Above this many matches, bm25 is computed on title matches first (a champion tier): scoring every
    # match of a word like "learning" costs 50-150 ms, while title hits, weighted 8:1, lead anyway.
    TITLE_TIER_ABOVE = 4000

    def _find_fts5(self, conn: Connection, query: str, where: list[str], params: dict[str, Any],
                   limit: int | None, offset: int) -> tuple[list[int], int]:
        match = fts5_query(query)
        filters = (" AND " + " AND ".join(where)) if where else ""
        join = " JOIN items ON items.id = items_fts.rowid" if where else ""
        count_sql = f"SELECT count(*) FROM items_fts{join} WHERE items_fts MATCH :q{filters}"
        total = conn.execute(_text(count_sql), {**params, "q": match}).scalar() or 0
        wanted = (limit or total) + offset
        ranked = ("SELECT items_fts.rowid FROM items_fts{join} WHERE items_fts MATCH :q{filters} "
                  "ORDER BY bm25(items_fts, 8.0, 2.0, 1.0, 0.5), items_fts.rowid DESC LIMIT :n")
        if total > self.TITLE_TIER_ABOVE and limit:
            ids = [r[0] for r in conn.execute(_text(ranked.format(join=join, filters=filters)),
                                              {**params, "q": f"{{title}} : ({match})", "n": wanted})]
            if len(ids) >= wanted:
                return ids[offset:], total
        ids = [r[0] for r in conn.execute(_text(ranked.format(join=join, filters=filters)), {**params, "q": match, "n": wanted})]
        return ids[offset:], total

    def counts(self, conn: Connection, column: str) -> list[tuple[Any, int]]:
        assert column in ("kind", "status", "year", "venue")
        return [(r[0], r[1]) for r in conn.execute(_text(
            f"SELECT {column}, count(*) AS n FROM items GROUP BY {column} ORDER BY n DESC, {column}"))]

    def source_counts(self, conn: Connection) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in conn.execute(_text(
            "SELECT source, count(DISTINCT item_id) AS n FROM item_refs GROUP BY source ORDER BY n DESC, source"))]

    def tag_counts(self, conn: Connection) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in conn.execute(_text(
            "SELECT tag, count(*) AS n FROM item_tags GROUP BY tag ORDER BY n DESC, tag"))]

    def column_values(self, conn: Connection, column: str) -> Iterator[Any]:
        assert column in ("categories", "published", "added_at")
        return (r[0] for r in conn.execute(_text(f"SELECT {column} FROM items")))

    # -- feeds -------------------------------------------------------------------------------------
    def feeds(self, conn: Connection) -> list[dict[str, Any]]:
        rows = conn.execute(_text(
            "SELECT f.*, (SELECT count(DISTINCT r.item_id) FROM item_refs r WHERE r.source = f.name) AS items "
            "FROM feeds f ORDER BY f.name")).mappings()
        return [dict(r) for r in rows]

    def insert_feed(self, conn: Connection, feed: dict[str, Any]) -> None:
        cols = ", ".join(feed)
        _run(conn, f"INSERT INTO feeds ({cols}) VALUES ({', '.join(':' + c for c in feed)}) ON CONFLICT DO NOTHING", [feed])

    def update_feed(self, conn: Connection, feed_id: int, **values: Any) -> None:
        sets = ", ".join(f"{c} = :{c}" for c in values)
        _run(conn, f"UPDATE feeds SET {sets} WHERE id = :id", [{**values, "id": feed_id}])

    def delete_feed(self, conn: Connection, feed_id: int) -> None:
        _run(conn, "DELETE FROM feeds WHERE id = :id", [{"id": feed_id}])


def fts5_query(query: str) -> str:
    """User words as an FTS5 query: every word must match in its singular or plural form, "quoted phrases"
    exactly, word* as a prefix, OR and -word (NOT) understood. Nothing a user types is an FTS5 syntax error.

    No stemmer: Porter folds generative, general and generation into one stem, which is wrong for ML
    vocabulary. Plural variants are exact term lookups; a prefix on every word was measured 3x slower."""
    parts: list[str] = []
    for match in re.finditer(r'(-?)"([^"]*)"|(\S+)', query):
        negate, phrase, word = match.group(1), match.group(2), match.group(3)
        if word == "OR" and parts and parts[-1] != "OR":
            parts.append("OR")
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            negate, word = "-", word[1:]
        tokens = re.findall(r"\w+", phrase if phrase is not None else word)
        if not tokens:
            continue
        if phrase is None and len(tokens) == 1 and not word.endswith("*"):
            forms = number_variants(tokens[0])
            term = forms[0] if len(forms) == 1 else "(" + " OR ".join(forms) + ")"
            term = term if len(forms) > 1 else f'"{tokens[0]}"'
        else:
            term = '"' + " ".join(tokens) + '"' + ("*" if (word or "").endswith("*") else "")
        if negate and parts and parts[-1] != "OR":
            parts.append("NOT " + term)
        else:
            if parts and parts[-1] != "OR":
                parts.append("AND")  # FTS5 allows no implicit AND after a parenthesised group
            parts.append(term)
    while parts and parts[-1] == "OR":
        parts.pop()
    return " ".join(parts) if parts else '""'


def number_variants(word: str) -> list[str]:
    """The word and its English singular/plural, quoted for FTS5: model -> "model" OR "models"."""
    low = word.lower()
    forms = [low]
    if len(low) >= 3 and low.isalpha():
        if low.endswith("ies"):
            forms.append(low[:-3] + "y")
        elif low.endswith(("ses", "xes", "ches", "shes")):
            forms.append(low[:-2])
        elif low.endswith("is"):
            forms.append(low[:-2] + "es")  # analysis -> analyses
        elif low.endswith("s") and not low.endswith(("ss", "us")):
            forms.append(low[:-1])
        elif low.endswith("y") and low[-2] not in "aeiou":
            forms.append(low[:-1] + "ies")
        elif low.endswith(("s", "x", "ch", "sh")):
            forms.append(low + "es")
        else:
            forms.append(low + "s")
    return [f'"{f}"' for f in forms]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB: bulk imports maintain several indexes and the FTS index
    cur.close()


def _text(sql: str) -> Any:
    from sqlalchemy import text

    return text(sql)


def _run(conn: Connection, sql: str, rows: Iterable[dict[str, Any]] | None = None) -> None:
    if rows is None:
        conn.execute(_text(sql))
    else:
        conn.execute(_text(sql), list(rows))


def _rows(conn: Connection, sql: str) -> Iterator[Any]:
    return iter(conn.execute(_text(sql)).mappings())


def _scalar(conn: Connection, sql: str) -> Any:
    return conn.execute(_text(sql)).scalar()


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def open_store(url: str) -> Store:
    return Store(url)
