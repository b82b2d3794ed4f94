"""Full-text search, the one place that knows each engine's index: FTS5 on SQLite, a tsvector on PostgreSQL.

`find` serves `search`/`list`; `phrase_matches` finds the items that name a concept (linking).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from layerwise.store.sql import between, chunks, column, dialect, id_list, me, run, scalar

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from sqlalchemy.engine import Connection

# Above this many matches, bm25 is computed on title matches first (a champion tier): scoring every
# match of a word like "learning" costs 50-150 ms, while title hits, weighted 8:1, lead anyway.
TITLE_TIER_ABOVE = 4000
# FTS5 merges its index's segments this many at a time (its default 4): a bulk import's full-text indexing
# takes a fifth less CPU (9.3-11.3 -> 7.3-9.3 s at 170k items), and searches are as fast (docs/benchmarks.md)
FTS_AUTOMERGE = 8


def index_items(conn: Connection, item_ids: list[int]) -> None:
    """Add newly inserted items to SQLite's FTS5 table (PostgreSQL keeps its tsvector column by itself).
    Written per batch rather than by a trigger: three times faster on a bulk import."""
    if conn.dialect.name != "sqlite":
        return
    for chunk in chunks(sorted(item_ids), 500):
        run(conn, _INDEX.format(ids=id_list(chunk)))


_INDEX = "INSERT INTO items_fts (rowid, title, authors, abstract, body) SELECT id, title, authors, abstract, body " \
         "FROM items WHERE id IN ({ids})"


class Indexer:
    """Indexes an import's batches for full-text search, as each is written; `beside` the importer, on a second
    thread of the same SQLite transaction.

    Tokenizing every title and abstract is C work inside SQLite (10 s of a 45 s import at 170k records) during
    which Python's lock is free, so beside the importer it runs while the next batch is read and placed: `add`
    the ids as a batch is inserted, `start` once the batch is written. A statement the importer runs meanwhile
    waits on SQLite's own lock of the connection (its serialized mode, checked by `indexing`)."""

    def __init__(self, conn: Connection, beside: bool) -> None:
        self._conn = conn
        self._beside = beside
        self._raw: Any = conn.connection.dbapi_connection if beside else None  # the sqlite3 connection under SQLAlchemy's
        self._ids: list[int] = []
        self._running: Future[None] | None = None
        self._pool: ThreadPoolExecutor | None = None

    def add(self, item_ids: list[int]) -> None:
        self._ids += item_ids

    def start(self) -> None:
        item_ids, self._ids = sorted(self._ids), []
        if not item_ids:
            return
        if not self._beside:
            index_items(self._conn, item_ids)
            return
        self.wait()
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(1, thread_name_prefix="layerwise-fts")
        self._running = self._pool.submit(self._index, item_ids)

    def _index(self, item_ids: list[int]) -> None:
        cursor = self._raw.cursor()
        try:
            for chunk in chunks(item_ids, 500):
                cursor.execute(_INDEX.format(ids=id_list(chunk)))
        finally:
            cursor.close()

    def wait(self) -> None:
        """Until the batch being indexed is done; its error, if any, is raised here."""
        if self._running is not None:
            self._running.result()  # forgotten only once done: a Ctrl-C while waiting leaves it to `abandon`
            self._running = None

    def abandon(self) -> None:
        """Stop at once, for the transaction to roll back: the statement running is interrupted. SQLAlchemy may
        have closed the connection already (it does when Ctrl-C comes during a statement of the importer's)."""
        if self._running is not None:
            with suppress(Exception):
                self._raw.interrupt()
            with suppress(Exception):
                self.wait()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()


def tune_for_bulk(conn: Connection) -> None:
    """Set FTS_AUTOMERGE, which the full-text table keeps, if it is not set yet. In a transaction of its own,
    before the import's: set inside it, an error of the indexing thread came out as "interrupted"."""
    if conn.dialect.name == "sqlite" and scalar(conn, "SELECT v FROM items_fts_config WHERE k = 'automerge'") != FTS_AUTOMERGE:
        run(conn, f"INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', {FTS_AUTOMERGE})")


@contextmanager
def indexing(conn: Connection, beside: bool) -> Iterator[Indexer]:
    """Full-text indexing for one import's transaction, `beside` the importer where SQLite allows it (PostgreSQL
    indexes by itself). What is left is indexed when the block ends; on an error or Ctrl-C the batch being
    indexed is interrupted, for the transaction to roll back."""
    import sqlite3

    indexer = Indexer(conn, beside and conn.dialect.name == "sqlite" and sqlite3.threadsafety == 3)
    try:
        yield indexer
        indexer.start()
        indexer.wait()
    except BaseException:
        indexer.abandon()
        raise
    finally:
        indexer.close()


def phrase_matches(conn: Connection, phrases: list[str], field: str | None, since: int, limit: int) -> list[int]:
    """Items above id `since` whose title (field "title") or title and abstract ("abstract") contain any of
    these phrases, through the engine's full-text index; at most `limit` of them."""
    if dialect(conn) == "postgresql":
        # the indexed tsvector finds candidates; ts_filter keeps the title (A) or title and abstract (A, C) weights
        query = " || ".join(f"phraseto_tsquery('english', :p{n})" for n in range(len(phrases)))
        weights = "{a}" if field == "title" else "{a,c}"
        params: dict[str, Any] = {f"p{n}": p for n, p in enumerate(phrases)}
        sql = (f"SELECT id FROM items WHERE id > :since AND search @@ ({query}) "
               f"AND ts_filter(search, '{weights}') @@ ({query}) LIMIT {int(limit)}")
        return column(conn, sql, {**params, "since": since})
    match = " OR ".join(f'"{p}"' for p in phrases)
    if field:
        match = f"{{{field}}} : ({match})"
    sql = f"SELECT rowid FROM items_fts WHERE items_fts MATCH :m AND rowid > :since LIMIT {int(limit)}"
    return column(conn, sql, {"m": match, "since": since})


def find(conn: Connection, *, query: str | None = None, kind: str | None = None,
         status: str | None = None, source: str | None = None, tag: str | None = None,
         since: str | None = None, until: str | None = None, limit: int | None = 20,
         offset: int = 0, mentioned: bool = False, sort: str | None = None) -> tuple[list[int], int]:
    """Ids of matching items (best first when searching, newest first otherwise, or most cited first with sort
    "cited") and the total count. Works only mentioned (cited, not captured) are left out unless asked for."""
    if query is not None and not any(ch.isalnum() for ch in query):
        return [], 0
    where: list[str] = []
    params: dict[str, Any] = {}
    if kind:
        where.append("items.kind = :kind")
        params["kind"] = kind
    if status:  # the acting person's: an item they gave no status is in their inbox
        mine = "EXISTS (SELECT 1 FROM item_status s WHERE s.person = :me AND s.item_id = items.id"
        where.append(f"NOT {mine})" if status == "inbox" else f"{mine} AND s.status = :status)")
        params.update(status=status, me=me(conn))
    if source:
        where.append("EXISTS (SELECT 1 FROM item_refs r WHERE r.item_id = items.id AND r.source = :source)")
        params["source"] = source
    if tag:
        where.append("EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = items.id AND t.tag = :tag)")
        params["tag"] = tag.lower()
    if mentioned or scalar(conn, "SELECT 1 FROM mentions LIMIT 1"):  # most libraries have none
        where.append(("" if mentioned else "NOT ") + "EXISTS (SELECT 1 FROM mentions m WHERE m.item_id = items.id)")
    dated, dates = between("coalesce(items.published, items.added_at)", since, until)
    where += dated
    params.update(dates)
    page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit else ""
    if query and dialect(conn) == "sqlite":
        return _find_fts5(conn, query, where, params, limit, offset)
    joins, order = "", "items.id DESC"
    if sort == "cited":  # the library's own graph first, then what an outside source counted
        order = ("(SELECT count(*) FROM citations c WHERE c.to_item = items.id) + "
                 "(SELECT count(*) FROM endorsements e WHERE e.item_id = items.id) DESC, "
                 "coalesce(items.cited_by, 0) DESC, items.id DESC")
    if query:
        where.append("items.search @@ websearch_to_tsquery('english', :q)")
        order = "ts_rank_cd(items.search, websearch_to_tsquery('english', :q)) DESC, items.id DESC"
        params["q"] = re.sub(r"(?<=\w)-(?=\w)", " ", query)  # feature-stores: both words, as in FTS5
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = scalar(conn, f"SELECT count(*) FROM items{joins}{clause}", params) or 0
    ids = column(conn, f"SELECT items.id FROM items{joins}{clause} ORDER BY {order}{page}", params)
    return ids, total


def _find_fts5(conn: Connection, query: str, where: list[str], params: dict[str, Any],
               limit: int | None, offset: int) -> tuple[list[int], int]:
    match = fts5_query(query)
    filters = (" AND " + " AND ".join(where)) if where else ""
    join = " JOIN items ON items.id = items_fts.rowid" if where else ""
    count_sql = f"SELECT count(*) FROM items_fts{join} WHERE items_fts MATCH :q{filters}"
    total = scalar(conn, count_sql, {**params, "q": match}) or 0
    wanted = (limit or total) + offset
    ranked = ("SELECT items_fts.rowid FROM items_fts{join} WHERE items_fts MATCH :q{filters} "
              "ORDER BY bm25(items_fts, 8.0, 2.0, 1.0, 0.5), items_fts.rowid DESC LIMIT :n")
    if total > TITLE_TIER_ABOVE and limit:
        ids = column(conn, ranked.format(join=join, filters=filters), {**params, "q": f"{{title}} : ({match})", "n": wanted})
        if len(ids) >= wanted:
            return ids[offset:], total
    ids = column(conn, ranked.format(join=join, filters=filters), {**params, "q": match, "n": wanted})
    return ids[offset:], total


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
