"""Importing real files from ../shared/data, in every format, with dedupe across sources."""

import gzip
import json
import re
import sqlite3
import threading

import pytest

from conftest import data_file
from layerwise import ingest
from layerwise.capture.formats import detect_format
from layerwise.errors import LayerwiseError
from layerwise.library import Library
from layerwise.store import search


@pytest.mark.parametrize("parts, fmt", [
    (("files", "bibtex", "top100-deep-learning.bib"), "bibtex"),
    (("files", "bibtex", "conference-papers.bib.gz"), "bibtex"),
    (("files", "zotero", "library.csl.json"), "csljson"),
    (("files", "feeds", "engineering-blogs.opml"), "opml"),
    (("files", "feeds", "lilianweng-index.xml"), "feed"),
    (("files", "reading-lists", "applied-ml.md"), "markdown"),
    (("corpora", "arxiv-2025-26.jsonl.gz"), "jsonl"),
    (("relevance", "csfcube-dev", "corpus.jsonl.gz"), "jsonl"),
])
def test_format_is_detected_from_content(parts, fmt, tmp_path):
    source = data_file(*parts)
    assert detect_format(source) == fmt
    renamed = tmp_path / "no-extension"  # content, not the name, decides
    renamed.write_bytes(source.read_bytes())
    assert detect_format(renamed) == fmt


def test_bibtex_top100(library):
    report = library.import_file(str(data_file("files", "bibtex", "top100-deep-learning.bib")))
    assert report.skipped == [] and report.added >= 95
    items, _ = library.find("residual learning image recognition")
    assert items and "residual" in items[0].title.lower() and items[0].year == 2016
    assert "He" in items[0].authors[0] or any("He" in a for a in items[0].authors)
    again = library.import_file(str(data_file("files", "bibtex", "top100-deep-learning.bib")))
    assert again.added == 0 and again.unchanged == report.added + report.merged


def test_zotero_csl_json_keeps_ids_addressable(library):
    path = data_file("files", "zotero", "library.csl.json")
    records = json.loads(path.read_text(encoding="utf-8"))
    report = library.import_file(str(path), source="zotero")
    assert report.added + report.merged + len(report.skipped) == len(records)
    first = next(r for r in records if r.get("title"))
    item = library.get(f"zotero:{first['id']}")
    assert item.title.split()[0] in first["title"]


def test_csfcube_jsonl_with_field_mapping(library):
    path = data_file("relevance", "csfcube-dev", "corpus.jsonl.gz")
    report = library.import_file(str(path), source="csfcube",
                                 mapping={"id": "paper_id", "title": "title", "text": "abstract"})
    assert report.skipped == [] and report.added + report.merged == 4205 - report.unchanged
    item = library.get("csfcube:10010426")
    assert item.title.startswith("And That's A Fact")
    assert item.abstract and "argumentation" in item.abstract


def test_arxiv_jsonl_needs_no_flags_and_ids_are_arxiv_refs(library, tmp_path):
    small = tmp_path / "arxiv.jsonl.gz"
    with gzip.open(data_file("corpora", "arxiv-2025-26.jsonl.gz"), "rt") as src, gzip.open(small, "wt") as out:
        for _, line in zip(range(300), src):
            out.write(line)
    report = library.import_file(str(small))
    assert report.added == 300
    item = library.get("arxiv:2503.11731")
    assert item.title.startswith("Industrial-Grade Sensor Simulation")
    assert item.published == "2025-03-18" and item.categories[:2] == ["cs.CV", "cs.RO"]
    assert "\n" not in item.abstract.split("\n\n")[0]  # hard-wrapped abstract lines are joined


def test_markdown_list_keeps_heading_context(library):
    report = library.import_file(str(data_file("files", "reading-lists", "applied-ml.md")))
    assert report.added > 100
    items, _ = library.find(limit=None)
    with_context = [i for i in items if i.extra.get("context")]
    assert len(with_context) > 100
    assert not any(i.url and "shields.io" in i.url for i in items)
    titles = {i.title.lower() for i in items}
    assert not titles & {"pdf", "paper", "code", "[pdf]"}


def test_awesome_deep_learning_titles_come_from_the_item_text(library):
    library.import_file(str(data_file("files", "reading-lists", "awesome-deep-learning-papers.md")))
    items, _ = library.find("residual learning")
    assert items, "the list links 'Deep residual learning for image recognition' with a [pdf] link text"


def test_opml_becomes_feed_subscriptions(library):
    from layerwise.subscriptions import list_feeds

    report = library.import_file(str(data_file("files", "feeds", "engineering-blogs.opml")))
    assert report.feeds_added > 350
    feeds = list_feeds(library)
    assert len(feeds) == report.feeds_added
    assert len({f["name"] for f in feeds}) == len(feeds)
    again = library.import_file(str(data_file("files", "feeds", "engineering-blogs.opml")))
    assert again.feeds_added == 0


def test_feed_file_entries_are_items(library):
    report = library.import_file(str(data_file("files", "feeds", "lilianweng-index.xml")), source="lilianlog")
    assert report.added == 53
    items, _ = library.find("diffusion models")
    assert items and items[0].kind == "post" and items[0].url.startswith("https://lilianweng.github.io/")


def test_same_paper_from_arxiv_bibtex_and_a_link_is_one_item(library, tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({
        "id": "1706.03762v5", "title": "Attention Is All You Need", "summary": "The dominant sequence transduction models.",
        "authors": ["Ashish Vaswani"], "categories": ["cs.CL"], "list_date": "2017-06-12"}) + "\n")
    (tmp_path / "b.bib").write_text("@inproceedings{vaswani2017,\n title={Attention is All you Need},\n"
                                     " author={Vaswani, Ashish and Shazeer, Noam and Parmar, Niki},\n"
                                     " booktitle={NeurIPS}, year={2017}, doi={10.5555/3295222.3295349}}\n")
    (tmp_path / "c.md").write_text("# Transformers\n\n- [Attention is all you need](https://arxiv.org/pdf/1706.03762v7.pdf)\n")
    (tmp_path / "d.md").write_text("# Reading\n\n- [Attention Is All You Need!](https://example.org/attention?utm_source=x)\n")
    library.import_file(str(tmp_path / "a.jsonl"))
    b = library.import_file(str(tmp_path / "b.bib"))
    c = library.import_file(str(tmp_path / "c.md"))
    d = library.import_file(str(tmp_path / "d.md"))
    assert (b.added, c.added, d.added) == (0, 0, 0)
    items, total = library.find(limit=None)
    assert total == 1
    item = items[0]
    assert len(item.authors) == 3 and item.venue == "NeurIPS" and item.doi == "10.5555/3295222.3295349"
    sources = {s for s, _ in item.refs}
    assert {"arxiv", "b", "doi"} <= sources
    for ref in ("arxiv:1706.03762", "b:vaswani2017", "doi:10.5555/3295222.3295349", "1706.03762v2"):
        assert library.resolve(ref) == item.id


def test_different_papers_with_a_shared_url_stay_apart(library, tmp_path):
    (tmp_path / "x.bib").write_text(
        "@inproceedings{a, title={Paper one about graphs}, year={2019}, doi={10.1145/1001}, url={https://proceedings.example.org/}}\n"
        "@inproceedings{b, title={Paper two about trees}, year={2019}, doi={10.1145/1002}, url={https://proceedings.example.org/}}\n")
    report = library.import_file(str(tmp_path / "x.bib"))
    assert report.added == 2


def test_short_generic_titles_do_not_merge(library, tmp_path):
    (tmp_path / "x.md").write_text("- [Introduction](https://a.example.com/intro)\n- [Introduction](https://b.example.com/intro)\n")
    assert library.import_file(str(tmp_path / "x.md")).added == 2


# -- bad input ----------------------------------------------------------------------------------------
def test_a_publishers_escaped_caret_reads_as_the_title_arxiv_gives(library, tmp_path):
    r"""OpenReview writes `C$^3$AI` as `C\${\textasciicircum}3\$`; pylatexenc made that `C$ˆ3$AI` (U+02C6), a
    title no other source spells."""
    with gzip.open(data_file("files", "bibtex", "conference-papers.bib.gz"), "rt", encoding="utf-8") as f:
        text = f.read()
    start = text.index("kyrychenko2025cai,")
    entry = "@inproceedings{" + text[start:text.index("\n}\n", start) + 3]
    with gzip.open(data_file("corpora", "conference-papers.jsonl.gz"), "rt", encoding="utf-8") as f:
        record = next(json.loads(line) for line in f if '"8OxDT9vnIU"' in line)
    path = tmp_path / "entry.bib"
    path.write_text(entry, encoding="utf-8")
    library.import_file(str(path))
    assert library.find(limit=1)[0][0].title == record["title"] == \
        "C$^3$AI: Crafting and Evaluating Constitutions for Constitutional AI"


def test_broken_bibtex_entry_is_skipped_and_named_the_rest_kept(library, tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text("@article{good1, title={A good paper on kernels}, year=2001}\n"
                    "@article{broken, title={Unclosed brace, year=2002\n"
                    "@article{good2, title={Another good paper on graphs}, year=2003}\n", encoding="utf-8")
    report = library.import_file(str(path))
    assert report.added >= 1
    assert report.skipped and str(path) in report.skipped[0].where
    assert library.get("refs:good2").year == 2003


def test_latin1_bibtex_is_read(library, tmp_path):
    path = tmp_path / "old.bib"
    path.write_bytes("@book{k, title={Théorie des probabilités et réseaux}, author={Müller, Jürgen}, year=1999}\n".encode("latin-1"))
    library.import_file(str(path))
    item = library.get("old:k")
    assert item.title == "Théorie des probabilités et réseaux" and item.authors == ["Jürgen Müller"] and item.kind == "book"


def test_jsonl_bad_lines_are_skipped_with_line_numbers(library, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"paper_id": "1", "title": "Good record number one"}\n{not json\n[1, 2]\n'
                    '{"paper_id": "4"}\n{"paper_id": "5", "title": "Good record number five"}\n')
    report = library.import_file(str(path))
    assert report.added == 2
    assert [s.where.rsplit(":", 1)[1] for s in report.skipped] == ["2", "3", "4"]
    assert library.get("mixed:5").title == "Good record number five"


def test_badge_first_markdown_list_is_markdown_and_empty_files_are_one_clear_error(library, tmp_path, cli):
    """An awesome-list starting with its badge line is not a JSON array; an empty file says it is empty,
    whatever its name (issue 17)."""
    listing = tmp_path / "awesome"
    listing.write_text("[![Awesome](https://awesome.re/badge.svg)](https://awesome.re)\n\n# Awesome things\n\n"
                       "- [Attention is all you need](https://arxiv.org/abs/1706.03762)\n"
                       "- [A post about retrieval](https://example.org/retrieval)\n")
    assert detect_format(listing) == "markdown"
    assert library.import_file(str(listing)).added == 2
    for name in ("empty.bib", "empty", "empty.jsonl", "blank.md"):
        path = tmp_path / name
        path.write_text("" if name != "blank.md" else "\n  \n")
        with pytest.raises(LayerwiseError, match="the file is empty"):
            library.import_file(str(path))
        result = cli("import", str(path))
        assert result.code == 2 and "the file is empty" in result.err
    with pytest.raises(LayerwiseError, match="the file is empty"):
        library.import_file(str(tmp_path / "empty.bib"), format="bibtex")


def test_truncated_gzip_keeps_nothing_and_says_where(library, tmp_path):
    data = gzip.compress(b"".join(json.dumps({"id": str(n), "title": f"Record title number {n}"}).encode() + b"\n"
                                  for n in range(2000)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LayerwiseError, match="truncated") as raised:
        library.import_file(str(path))
    assert library.find()[1] == 0  # one transaction: nothing half-imported
    assert "nothing from this file was imported" in str(raised.value)  # and it says so


def test_xml_bomb_is_refused(library, tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">' for i in range(1, 10))
            + ']><opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://e.com/f"/></body></opml>')
    path = tmp_path / "bomb.opml"
    path.write_text(bomb)
    with pytest.raises(LayerwiseError, match="unsafe XML"):
        library.import_file(str(path))


def test_huge_file_is_refused_quickly(library, tmp_path):
    path = tmp_path / "huge.bib"
    with open(path, "wb") as f:
        f.write(b"@article{a, title={x}}\n")
        f.truncate(2 * 1024**3)  # a sparse 2 GB file
    with pytest.raises(LayerwiseError, match="GB"):
        library.import_file(str(path), format="bibtex")


def test_binary_and_html_files_are_named_clearly(library, tmp_path):
    (tmp_path / "x.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "page.html").write_text("<!DOCTYPE html><html><body>hi</body></html>")
    with pytest.raises(LayerwiseError, match="format"):
        library.import_file(str(tmp_path / "x.bin"))
    with pytest.raises(LayerwiseError, match="saved web page; capture it with `layerwise add FILE`"):
        library.import_file(str(tmp_path / "page.html"))
    with pytest.raises(LayerwiseError, match="no such file"):
        library.import_file(str(tmp_path / "missing.bib"))


def test_interrupted_import_leaves_the_library_unchanged(library, tmp_path, monkeypatch):
    library.ingest(iter([]))
    monkeypatch.setattr(ingest, "BATCH", 300)  # batches indexed for search beside the import when Ctrl-C comes
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": str(n), "title": f"Paper title number {n}"}) + "\n" for n in range(5000)))

    def interrupt(count):
        if count == 4000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        library.import_file(str(path), on_record=interrupt)
    assert library.find()[1] == 0
    assert library.find("number")[1] == 0
    _full_text_matches_the_items(library)
    assert library.import_file(str(path)).added == 5000
    assert library.find("number")[1] == 5000
    _full_text_matches_the_items(library)


def _full_text_matches_the_items(library):
    """SQLite's FTS5 index holds exactly the items' text (PostgreSQL's tsvector is a column of the row itself)."""
    if library.store.dialect == "sqlite":
        with library.store.begin() as conn:
            conn.exec_driver_sql("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")


def test_a_bulk_import_indexes_each_batch_for_search_on_a_second_thread(library, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH", 400)
    threads = []
    indexed = search.Indexer._index

    def index(self, item_ids):
        threads.append((threading.current_thread() is threading.main_thread(), len(item_ids)))
        indexed(self, item_ids)

    monkeypatch.setattr(search.Indexer, "_index", index)
    report = library.import_file(str(data_file("relevance", "csfcube-dev", "corpus.jsonl.gz")))
    assert report.added > 2000
    if library.store.dialect == "sqlite":  # every batch, none of them on the importer's thread
        assert {main for main, _ in threads} == {False} and sum(n for _, n in threads) == report.added
        with sqlite3.connect(library.database_file) as conn:  # merged 8 segments at a time: a fifth less work
            assert conn.execute("SELECT v FROM items_fts_config WHERE k = 'automerge'").fetchone() == (search.FTS_AUTOMERGE,)
        conn.close()
    else:
        assert threads == []  # PostgreSQL indexes the rows itself
    _full_text_matches_the_items(library)
    last = library.items_by_id([max(report.item_ids)])[max(report.item_ids)]  # in the last batch indexed
    word = max(re.findall(r"[A-Za-z]{6,}", last.title), key=len)
    assert last.id in {item.id for item in library.find(word, limit=None)[0]}


def test_ctrl_c_in_a_statement_of_the_import_while_a_batch_is_indexed_beside_it(tmp_path, monkeypatch):
    """Ctrl-C during one of the importer's statements makes SQLAlchemy close the connection at once, while the
    thread indexing the last batch is still at work on it: the import stops with the KeyboardInterrupt alone
    (not an error of the closed connection) and keeps nothing."""
    from layerwise.store import Store

    library = Library(tmp_path / "home")
    monkeypatch.setattr(ingest, "BATCH", 300)
    indexed, refs = search.Indexer._index, Store.insert_refs
    threading.Timer(0.5, (release := threading.Event()).set).start()

    def slow(self, item_ids):
        release.wait(10)
        indexed(self, item_ids)

    def interrupted(self, conn, rows):
        refs(self, conn, rows)
        if rows and rows[0]["item_id"] > 300:  # the first batch is being indexed: Ctrl-C comes now
            conn.invalidate()  # what SQLAlchemy does when a KeyboardInterrupt ends a statement
            raise KeyboardInterrupt

    monkeypatch.setattr(search.Indexer, "_index", slow)
    monkeypatch.setattr(Store, "insert_refs", interrupted)
    path = data_file("relevance", "csfcube-dev", "corpus.jsonl.gz")
    with pytest.raises(KeyboardInterrupt):
        library.import_file(str(path))
    assert release.is_set()  # the import waited for the thread before it let go of the connection
    monkeypatch.undo()
    assert library.find()[1] == 0
    assert library.import_file(str(path)).added > 2000
    _full_text_matches_the_items(library)


def test_an_error_while_indexing_beside_the_import_is_one_clear_error_and_keeps_nothing(tmp_path, monkeypatch):
    library = Library(tmp_path / "home")  # SQLite: PostgreSQL's index is a column the insert itself writes
    monkeypatch.setattr(ingest, "BATCH", 300)
    monkeypatch.setattr(search, "_INDEX", search._INDEX.replace("abstract, body FROM", "abstract, lost FROM"))
    path = data_file("relevance", "csfcube-dev", "corpus.jsonl.gz")
    with pytest.raises(LayerwiseError, match="database error: no such column: lost"):
        library.import_file(str(path))
    assert library.find()[1] == 0
    monkeypatch.undo()
    assert library.import_file(str(path)).added > 2000
    _full_text_matches_the_items(library)


def test_a_shared_landing_page_url_does_not_merge_different_titles(library, tmp_path):
    (tmp_path / "x.md").write_text("# Talks\n\n- [Scaling laws for neural language models](https://videos.example.org/)\n"
                                    "- [Reinforcement learning from human feedback](https://videos.example.org/)\n")
    assert library.import_file(str(tmp_path / "x.md")).added == 1  # same link twice in one list: kept once
    (tmp_path / "y.bib").write_text("@misc{k, title={Reinforcement learning from human feedback}, url={https://videos.example.org/}}\n")
    assert library.import_file(str(tmp_path / "y.bib")).added == 1


def test_short_titles_merge_only_with_same_year_and_first_author(library, tmp_path):
    (tmp_path / "a.bib").write_text("@article{lecun2015, title={Deep learning}, author={LeCun, Yann and Bengio, Yoshua}, year={2015}}\n")
    (tmp_path / "b.bib").write_text("@article{x, title={Deep Learning}, author={Yann LeCun}, year={2015}, journal={Nature}}\n"
                                    "@book{y, title={Deep Learning}, author={Goodfellow, Ian}, year={2016}}\n")
    library.import_file(str(tmp_path / "a.bib"))
    report = library.import_file(str(tmp_path / "b.bib"))
    assert (report.merged, report.added) == (1, 1)


def test_a_reused_id_with_a_different_title_is_a_different_work(library, tmp_path):
    (tmp_path / "procs.jsonl").write_text(
        '{"id": "paper722", "conf": "acl", "year": 2019, "title": "Neural machine translation with byte pairs"}\n'
        '{"id": "paper722", "conf": "cvpr", "year": 2021, "title": "Depth estimation from monocular video"}\n')
    report = library.import_file(str(tmp_path / "procs.jsonl"))
    assert report.added == 2
    assert library.get("procs:paper722").title.startswith("Neural machine translation")
    assert library.import_file(str(tmp_path / "procs.jsonl")).added == 0


def test_records_with_only_a_title_are_not_duplicated_on_reimport(library, tmp_path):
    (tmp_path / "bare.jsonl").write_text('{"title": "Poster"}\n{"title": "A study of attention heads in transformers"}\n')
    assert library.import_file(str(tmp_path / "bare.jsonl")).added == 2
    assert library.import_file(str(tmp_path / "bare.jsonl")).added == 0


def test_jsonl_line_over_the_limit_is_skipped_without_reading_it_whole(library, tmp_path, monkeypatch):
    from layerwise.capture import files

    monkeypatch.setattr(files, "MAX_LINE", 1000)
    path = tmp_path / "long.jsonl"
    path.write_text('{"id": "1", "title": "First good record here"}\n' + '{"id": "2", "title": "' + "x" * 5000 + '"}\n'
                    + '{"id": "3", "title": "Third good record here"}\n')
    report = library.import_file(str(path))
    assert report.added == 2 and report.skipped[0].where.endswith(":2") and "16 MB" in report.skipped[0].reason


def test_an_import_embeds_and_links_its_items_in_the_same_command(library, cli, monkeypatch):
    """From file to a ready plan in one command (issue 16): the import also computes the representations and
    the concept links of what it brought, so the first plan waits for nothing; --no-prepare leaves that to
    first use."""
    from layerwise.concepts.linking import concepts_of
    from layerwise.rank.prepare import work
    from layerwise.represent.index import load_index

    monkeypatch.setenv("LAYERWISE_DATABASE_URL", library.database_url)  # the command on the fixture's engine
    result = cli("import", "--no-prepare", str(data_file("files", "zotero", "library.csl.json")))
    assert result.code == 3 and work(library) > 0 and not (library.home.path / "index").exists()  # 3: one skipped
    result = cli("import", str(data_file("files", "bibtex", "top100-deep-learning.bib")))
    assert result.code == 0 and "added" in result.out and work(library) == 0
    index = load_index(library)  # current: read back, nothing embedded
    with library.store.begin() as conn:
        count = library.store.change_state(conn)[0]
    assert len(index.ids) == count  # both files' items, the first file's included
    assert len(concepts_of(library, index.ids.tolist())) > 100  # linked to the concept map already


def test_several_files_in_one_import_each_kept_and_a_bad_one_named(library, cli, tmp_path, monkeypatch):
    """`layerwise import A B C`: each file is its own transaction; a broken one is named in one line, the others
    land, and the exit code says something failed (issue 16)."""
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", library.database_url)
    broken = tmp_path / "broken.json"
    broken.write_text("[" * 10_000)
    bib, csl = data_file("files", "bibtex", "top100-deep-learning.bib"), data_file("files", "zotero", "library.csl.json")
    result = cli("import", "--no-prepare", "--json", str(bib), str(broken), str(csl))
    assert result.code == 2 and f"{broken.name}" in result.err and "Traceback" not in result.err
    reports = json.loads(result.out)
    assert [r["file"] for r in reports] == [str(bib), str(csl)] and reports[0]["added"] >= 95
    assert reports[1]["added"] > 700 and all("no title" in s["reason"] for s in reports[1]["skipped"])
    result = cli("import", "--no-prepare", str(bib), str(bib))
    assert result.code == 0 and result.out.count("already there") == 2
