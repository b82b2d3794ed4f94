"""The store on both engines: migrations, refusal of newer schemas, search, filters."""

from pathlib import Path

import pytest
from sqlalchemy import text

from layerwise.errors import DatabaseDamaged, LayerwiseError, SchemaTooNew
from layerwise.records import Item
from layerwise.store import SCHEMA_REVISIONS, Store


def test_revision_list_matches_migration_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(Store.__module__.replace(".", "/")).name))
    import layerwise.store as store_pkg

    config.set_main_option("script_location", str(Path(store_pkg.__file__).parent / "migrations"))
    scripts = ScriptDirectory.from_config(config)
    history = [rev.revision for rev in reversed(list(scripts.walk_revisions()))]
    assert tuple(history) == SCHEMA_REVISIONS


def test_open_applies_migrations_and_reopen_is_a_no_op(db_url):
    store = Store(db_url)
    with store.begin() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISIONS[-1]
    store.close()
    Store(db_url).close()


def test_database_from_a_newer_layerwise_is_refused(db_url):
    Store(db_url).close()
    store = Store(db_url)
    with store.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    store.close()
    with pytest.raises(SchemaTooNew, match="newer layerwise"):
        Store(db_url)


def test_sqlite_uses_wal(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    with store.begin() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_reading_a_sqlite_library_needs_no_sqlalchemy_and_reads_what_it_would(library):
    """`Store.reading` runs the store's own statements on the sqlite3 module (issue 16: a command that only reads
    does not wait ~0.3 s for SQLAlchemy); on PostgreSQL it is an ordinary transaction. Either way, the helpers
    give the same rows, and a parameter that takes a list takes an empty one."""
    from layerwise.store import sql, sqlite

    store = library.store
    library.ingest(_papers())
    statements = [("SELECT id, title, year FROM items ORDER BY id", {}, ()),
                  ("SELECT id FROM items WHERE id IN :ids AND title <> :t ORDER BY id", {"ids": [1, 3, 99], "t": "x"}, ("ids",)),
                  ("SELECT id FROM items WHERE id IN :ids", {"ids": []}, ("ids",)),
                  ("SELECT count(*) FROM items WHERE id NOT IN :ids", {"ids": []}, ("ids",))]
    with store.begin() as conn, store.reading() as light:
        assert isinstance(light, sqlite.Reader) == (store.dialect == "sqlite")
        for statement, params, expanding in statements:
            assert sql.rows(light, statement, params, *expanding) == sql.rows(conn, statement, params, *expanding)
            assert sql.tuples(light, statement, params, *expanding) == sql.tuples(conn, statement, params, *expanding)
            assert sql.column(light, statement, params, *expanding) == sql.column(conn, statement, params, *expanding)
        assert sql.scalar(light, "SELECT count(*) FROM items") == sql.scalar(conn, "SELECT count(*) FROM items") == 3
        assert sql.scalar(light, "SELECT title FROM items WHERE id = :i", {"i": 99}) is None
        assert sql.me(light) == sql.me(conn) and store.items(light, [2, 1]) == store.items(conn, [2, 1])
    if store.dialect == "sqlite":
        with pytest.raises(LayerwiseError, match="database error: attempt to write"), store.reading() as light:
            sql.scalar(light, "DELETE FROM items RETURNING id")  # a reader never writes
        assert library.find()[1] == 3


def test_an_up_to_date_sqlite_library_opens_without_its_engine_and_a_damaged_one_is_reported(tmp_path):
    from layerwise.store import sqlite

    url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    Store(url).close()
    store = Store(url)
    assert store._engine == [] and store.display_url == url  # opened, nothing made yet
    with store.reading() as conn:
        assert isinstance(conn, sqlite.Reader) and not store.has_items(conn)
    assert store._engine == []
    (tmp_path / "lib.sqlite3").write_bytes(b"\0" * 8192)  # damaged under an open store
    with pytest.raises(DatabaseDamaged, match="damaged"), store.reading() as conn:
        store.has_items(conn)
    with pytest.raises(DatabaseDamaged, match="damaged"):
        Store(url)  # the full open path says so too


def _papers():
    return [
        Item(title="Attention Is All You Need", abstract="The dominant sequence transduction models are based on recurrent networks.",
             authors=["Ashish Vaswani", "Noam Shazeer"], arxiv_id="1706.03762", published="2017-06-12", tags=["transformers"]),
        Item(title="Deep Residual Learning for Image Recognition", abstract="Deeper neural networks are more difficult to train.",
             authors=["Kaiming He"], arxiv_id="1512.03385", published="2015-12-10"),
        Item(title="Feature stores for machine learning in production", kind="post", url="https://example.com/feature-stores",
             abstract="How teams serve features online and offline.", published="2023-01-05"),
    ]


def test_search_ranks_title_hits_and_filters(library):
    library.ingest(_papers())
    items, total = library.find("attention")
    assert total == 1 and items[0].arxiv_id == "1706.03762"
    items, _ = library.find("networks")
    assert {i.arxiv_id for i in items} == {"1706.03762", "1512.03385"}
    assert library.find("networks", since="2016")[0][0].arxiv_id == "1706.03762"
    assert library.find("networks", until="2016")[0][0].arxiv_id == "1512.03385"
    assert [i.kind for i in library.find(kind="post")[0]] == ["post"]
    assert library.find(tag="transformers")[0][0].title == "Attention Is All You Need"
    assert library.find(source="arxiv")[1] == 2
    assert library.find("vaswani")[1] == 1  # authors are searchable


def test_search_survives_syntax_a_user_might_type(library):
    library.ingest(_papers())
    for query in ['"unclosed', "AND OR NOT", "c++ (", "feature-stores", "*", "-", "networks -residual"]:
        library.find(query)  # never a syntax error
    assert library.find('"sequence transduction"')[1] == 1
    assert library.find("feature-stores")[1] == 1


def test_status_and_tags(library):
    library.ingest(_papers())
    library.set_status(["arxiv:1706.03762"], "reading")
    library.tag(["1"], ["Must-Read", "nlp"])
    item = library.get("arxiv:1706.03762")
    assert item.status == "reading"
    assert set(item.tags) == {"must-read", "nlp", "transformers"}
    library.tag(["1"], ["nlp"], remove=True)
    assert "nlp" not in library.get("1").tags
    assert library.find(status="reading")[1] == 1


@pytest.mark.parametrize("query", ["generative models", "embeddings", '"sequence transduction" models', "feature-stores",
                                   "rl OR gan", "networks -residual", "-residual networks", "a OR", "OR b", "c++ (",
                                   "embed* search", "analysis of queries", "x -y -z OR w"])
def test_every_fts5_query_shape_is_valid_alone_and_under_a_column_filter(query):
    import sqlite3

    from layerwise.store.search import fts5_query

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, abstract)")
    db.execute("INSERT INTO t VALUES ('Generative model embedding analysis', 'queries over networks')")
    match = fts5_query(query)
    db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchone()
    db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (f"{{title}} : ({match})",)).fetchone()


def test_plural_and_singular_find_each_other(library):
    library.ingest(_papers())
    assert library.find("network")[1] == 2 and library.find("networks")[1] == 2
    assert library.find("model")[1] == 1  # "models are based on..."
