"""Every reader against hostile input (issue 16): arbitrary bytes and mutated real files from ../shared/data never
raise anything but a clear LayerwiseError (the CLI's exit 2), and never change the library unless records were
good; and the cases that were quadratic or overflowed the stack are bounded. Hypothesis runs seeded and bounded
(derandomized, a fixed number of examples), with no deadline: timing is for benchmarks."""

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import data_file
from layerwise.capture.formats import FORMATS
from layerwise.errors import LayerwiseError
from layerwise.library import Library
from layerwise.subscriptions import list_feeds
from pdfs import make_pdf

FUZZ = settings(derandomize=True, max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 25)), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SEED_BYTES = 24_000  # of each real file: enough for several records, small enough for many examples


def _csl_as_ris() -> bytes:
    """The real Zotero library written as RIS (no real RIS file is in ../shared/data)."""
    import rispy

    records = json.loads(data_file("files", "zotero", "library.csl.json").read_text())[:40]
    entries = [{"type_of_reference": "JOUR", "title": r.get("title", ""), "authors": [
        f"{a.get('family', '')}, {a.get('given', '')}" for a in r.get("author", [])],
        "year": str((r.get("issued", {}).get("date-parts") or [[""]])[0][0]), "doi": r.get("DOI", ""),
        "abstract": r.get("abstract", "")} for r in records]
    return rispy.dumps(entries).encode()


def _seed(fmt: str) -> bytes:
    if fmt == "pdf":
        return make_pdf(["Attention Is All You Need", "Ashish Vaswani", "Abstract. The dominant sequence models"],
                        title="Attention Is All You Need", author="Ashish Vaswani")
    if fmt == "ris":
        return _csl_as_ris()[:SEED_BYTES]
    if fmt == "bookmarks":
        return (Path(__file__).parent / "fixtures" / "bookmarks-firefox.html").read_bytes()
    if fmt == "jsonl":
        with gzip.open(data_file("corpora", "arxiv-2025-26.jsonl.gz")) as f:
            return b"".join(f.readline() for _ in range(12))
    path = {"opml": ("feeds", "engineering-blogs.opml"), "feed": ("feeds", "lilianweng-tag-data.xml"),
            "csljson": ("zotero", "library.csl.json"), "bibtex": ("bibtex", "top100-deep-learning.bib"),
            "markdown": ("reading-lists", "applied-ml.md"), "csv": ("zotero", "library.csv")}[fmt]
    return data_file("files", *path).read_bytes()[:SEED_BYTES]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """A real file damaged the ways files get damaged: cut short, bytes flipped, runs deleted, repeated or
    inserted, nesting characters piled up."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["cut", "flip", "delete", "repeat", "insert", "nest"]))
        if kind == "cut":
            del data[at:]
        elif kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 200))]
        elif kind == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 300))] * draw(st.integers(2, 20))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            data[at:at] = draw(st.sampled_from([b"[", b"{", b"<outline>", b"<a>", b"{{", b"(("])) * draw(
                st.integers(100, 3000))
    return bytes(data)


def _import_and_check(library: Library, path: Path, data: bytes, fmt: str | None) -> None:
    path.write_bytes(data)
    before = library.find(limit=1)[1]
    try:
        report = library.import_file(str(path), format=fmt)
    except LayerwiseError:
        assert library.find(limit=1)[1] == before  # refused: the library is as it was
        return
    assert library.find(limit=1)[1] == before + report.added
    assert all(skip.where and skip.reason for skip in report.skipped)


@pytest.fixture
def fuzz_library(tmp_path):
    library = Library(tmp_path / "fuzz-home")
    yield library
    library.close()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_real_files_give_records_or_one_clear_error(fmt, fuzz_library, tmp_path):
    seed = _seed(fmt)

    @FUZZ
    @given(data=mutated(seed))
    def check(data: bytes) -> None:
        _import_and_check(fuzz_library, tmp_path / f"mutated.{fmt}", data, fmt)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["file.bin", "list.md", "refs.bib", "lib.json", "feeds.opml", "x.ris", "d.jsonl",
                                  "sheet.csv", "bookmarks.html"])
def test_arbitrary_bytes_are_sniffed_and_refused_or_read(name, fuzz_library, tmp_path):
    @FUZZ
    @given(data=st.one_of(st.binary(min_size=1, max_size=4096),
                          st.text(min_size=1, max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass"))))
    def check(data: bytes) -> None:
        _import_and_check(fuzz_library, tmp_path / name, data, None)

    check()


# -- the cases that were quadratic or overflowed -------------------------------------------------------------

def test_a_bibtex_field_of_a_megabyte_skips_its_entry_by_name(library, tmp_path):
    path = tmp_path / "big.bib"
    path.write_text("@article{huge,\n title={Huge},\n abstract={" + "word " * 200_000 + "}\n}\n"
                    "@article{fine, title={A fine entry}, year={2020}}\n")
    report = library.import_file(str(path))
    assert report.added == 1 and len(report.skipped) == 1
    assert report.skipped[0].where.endswith("(huge)") and "1,000,000 characters" in report.skipped[0].reason


def test_opml_with_many_feeds_of_one_title_and_deep_folders(library, tmp_path):
    outlines = "".join(f'<outline text="Same blog" type="rss" xmlUrl="https://example.org/{i}.xml"/>' for i in range(5000))
    deep = '<outline text="folder">' * 5000 + '<outline text="Deep" type="rss" xmlUrl="https://deep.example/f"/>' + \
        "</outline>" * 5000
    path = tmp_path / "many.opml"
    path.write_text(f'<?xml version="1.0"?><opml version="2.0"><head/><body>{outlines}{deep}</body></opml>')
    report = library.import_file(str(path))
    assert report.feeds_added == 5001
    names = [f["name"] for f in list_feeds(library)]
    assert len(set(names)) == 5001 and "same-blog-5000" in names


def test_deeply_nested_json_is_one_clear_error_or_a_skipped_line(library, tmp_path, cli):
    nested = tmp_path / "deep.json"
    nested.write_text("[" * 10_000 + "]" * 10_000)
    result = cli("import", str(nested))
    assert result.code == 2 and result.err.strip().endswith("nested deeper than Python parses")
    lines = tmp_path / "deep.jsonl"
    lines.write_text("[" * 10_000 + "]" * 10_000 + '\n{"title": "A record after it", "url": "https://e.org/a"}\n')
    report = library.import_file(str(lines))
    assert report.added == 1 and report.skipped[0].reason == "nested deeper than Python parses"


def test_a_huge_markdown_file_is_refused_by_its_size_before_it_is_read(library, tmp_path):
    path = tmp_path / "oneline.md"
    with open(path, "wb") as f:
        f.write(b"[" + b"x" * 100_000)
        f.truncate(300 * 2**20)  # sparse: 300 MB on paper
    with pytest.raises(LayerwiseError, match="300 MB, over the 16 MB"):
        library.import_file(str(path))


def test_ris_chapters_take_their_container_title(library, tmp_path):
    path = tmp_path / "chapters.ris"
    path.write_text("TY  - CHAP\nAU  - Doe, Jane\nT2  - Deep Learning for Search\nPY  - 2020\nER  - \n\n"
                    "TY  - CPAPER\nBT  - Proceedings of the Workshop on Retrieval\nER  - \n\n"
                    "TY  - JOUR\nAU  - Roe, Rick\nER  - \n")
    report = library.import_file(str(path))
    titles = sorted(i.title for i in library.find(limit=10)[0])
    assert titles == ["Deep Learning for Search", "Proceedings of the Workshop on Retrieval"]
    assert report.skipped[0].reason == "record has no title (TI, T1, T2 or BT)"
    chapter = next(i for i in library.find(limit=10)[0] if i.title.startswith("Deep"))
    assert chapter.venue is None and chapter.authors == ["Jane Doe"]


def test_sniffing_reads_only_the_head(tmp_path, monkeypatch):
    """Detection sees the first 64 KB, whatever the file's size."""
    from layerwise.capture import files, formats

    seen = []
    real_head = files.head
    monkeypatch.setattr(files, "head", lambda path, size=65536: seen.append(size) or real_head(path, size))
    path = tmp_path / "list.md"
    path.write_bytes(b"# Reading\n\n- [A paper](https://example.org/a)\n" + b"x" * (2 * 2**20))
    assert formats.detect_format(path) == "markdown" and seen == [65536]


def test_a_link_no_url_parser_takes_is_passed_over(library, tmp_path):
    """Found by the fuzzer: an entry's content linking to `https://[[[host/` (an unclosed IPv6 bracket) made
    joining it to the entry's address raise. The entry comes in with its other links; a page advertising its
    feed at such an address advertises none."""
    from layerwise.capture import citations, html_text

    html = ('<p>See <a href="https://[[[lilianweng.github.io/posts/x/">Part 2</a> and '
            '<a href="https://arxiv.org/abs/1706.03762">the paper</a>.</p>')
    assert [c.target for c in citations.from_html(html, "https://example.org/post", whole=True)] == ["arxiv:1706.03762"]
    page = html_text.document('<html><head><link rel="alternate" type="application/rss+xml" href="http://[x/feed">'
                              "</head><body></body></html>")
    assert html_text.advertised_feed(page, "https://example.org/") is None
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>Entry</title>'
                    f"<link>https://example.org/post</link><description>{html.replace('<', '&lt;')}</description>"
                    "</item></channel></rss>", encoding="utf-8")
    report = library.import_file(str(feed))
    assert report.added == 1 and report.skipped == []


def test_a_malformed_marked_section_is_read_as_browsers_read_it(sqlite_library, tmp_path):
    """Found by the fuzzer: before 3.13 Python's HTML parser raises AssertionError on `<![` not followed by
    CDATA, so a bookmark file or a feed entry holding one failed its import. Browsers read it as a bogus
    comment, and so do we."""
    from layerwise.capture import html_text

    assert html_text.to_text("<p>a <![x]> b</p><![ c") == "a b\n\n<![ c"  # no ">": the rest is text
    clean = (Path(__file__).parent / "fixtures" / "bookmarks-firefox.html").read_bytes()
    damaged = tmp_path / "bookmarks.html"
    damaged.write_bytes(b"<![[[[" + clean)
    assert sqlite_library.import_file(str(damaged)).added == 6
    (tmp_path / "clean.html").write_bytes(clean)
    assert sqlite_library.import_file(str(tmp_path / "clean.html")).added == 0  # the same bookmarks
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>Entry</title>'
                    "<link>https://example.org/post</link><description>&lt;p&gt;Why &lt;![if x]&gt; loses"
                    "&lt;/p&gt;</description></item></channel></rss>", encoding="utf-8")
    report = sqlite_library.import_file(str(feed))
    assert report.added == 1 and sqlite_library.get(str(report.item_ids[0])).abstract == "Why loses"


def test_encodings_expat_cannot_read_and_a_cut_utf16_file(library, tmp_path):
    """Found by the fuzzer: an XML declaration naming an unknown encoding raised LookupError, and a file with a
    UTF-16 byte-order mark and an odd number of bytes raised UnicodeDecodeError. Subscription lists from
    Japanese and Chinese feed readers come in Shift_JIS, EUC-JP or GB18030, which expat refuses (ValueError):
    Python decodes them instead."""
    from layerwise.capture import arxiv

    for encoding in ("euc-jp", "shift_jis", "gb18030"):
        opml = tmp_path / f"feeds-{encoding}.opml"
        opml.write_bytes(f'<?xml version="1.0" encoding="{encoding}"?><opml version="2.0"><body><outline text="技術ブログ '
                         f'{encoding}" xmlUrl="https://example.jp/{encoding}.xml"/></body></opml>'.encode(encoding))
        assert library.import_file(str(opml)).feeds_added == 1
    assert f"技術ブログ {encoding}" in {f["title"] for f in list_feeds(library)}
    unknown = tmp_path / "unknown.opml"
    unknown.write_bytes(b'<?xml version="1.0" encoding="ATF-8"?><opml><body/></opml>')
    with pytest.raises(LayerwiseError, match="unknown.opml: not valid OPML/XML .*unknown encoding: ATF-8"):
        library.import_file(str(unknown))
    with pytest.raises(LayerwiseError, match="not Atom"):
        arxiv.parse(b'<?xml version="1.0" encoding="base64"?><feed/>', "arXiv")
    bib = data_file("files", "bibtex", "top100-deep-learning.bib").read_text(encoding="utf-8")[:5000]
    cut = tmp_path / "utf16.bib"
    cut.write_bytes(bib.encode("utf-16")[:-1])  # a BOM, then one byte short
    assert library.import_file(str(cut)).added >= 5


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=12),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                     max_leaves=12)
_FIELD = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def _collection(draw: st.DrawFn) -> tuple[object, object, list[tuple[int, str, str]]]:
    """A deck's note types, decks and notes as a damaged or hand-made deck might hold them: mostly the shapes
    Anki writes, with any JSON where a value should be."""
    model = st.fixed_dictionaries({}, optional={
        "name": st.text(max_size=10) | _JSON, "type": st.sampled_from([0, 1]) | _JSON,
        "flds": st.lists(st.fixed_dictionaries({"name": st.text(max_size=8)}) | _JSON, max_size=4) | _JSON,
        "tmpls": st.lists(st.fixed_dictionaries({"qfmt": st.text(max_size=20).map(lambda t: "{{" + t + "}}")}) | _JSON,
                          max_size=3) | _JSON})
    models = draw(st.dictionaries(st.sampled_from(["7", "8", "9"]), model | _JSON, max_size=3) | _JSON)
    decks = draw(st.dictionaries(st.sampled_from(["1", "2"]), st.fixed_dictionaries({"name": st.text(max_size=8)}) | _JSON,
                                 max_size=2) | _JSON)
    notes = draw(st.lists(st.tuples(st.sampled_from([7, 8, 9, 99]), st.lists(_FIELD, min_size=1, max_size=4).map(
        "\x1f".join), st.text(max_size=12)), max_size=5))
    return models, decks, notes


@pytest.mark.slow
def test_anki_decks_of_any_shape_import_or_are_refused_in_one_line(tmp_path):
    """The deck importer against collections whose JSON has any shape: cards, or a clear error, and the library
    holds exactly the cards reported."""
    import sqlite3
    import zipfile

    from sqlalchemy import text

    from layerwise.reinforce import anki

    library = Library(tmp_path / "home")

    def cards() -> int:
        with library.store.begin() as conn:
            return conn.execute(text("SELECT count(*) FROM cards")).scalar_one()

    @FUZZ
    @given(collection=_collection())
    def check(collection: tuple[object, object, list[tuple[int, str, str]]]) -> None:
        models, decks, notes = collection
        folder = tmp_path / "deck"
        folder.mkdir(exist_ok=True)
        (folder / "collection.anki2").unlink(missing_ok=True)
        conn = sqlite3.connect(folder / "collection.anki2")
        conn.executescript("CREATE TABLE col (models TEXT, decks TEXT); CREATE TABLE notes (id INTEGER, mid INTEGER, "
                           "flds TEXT, tags TEXT); CREATE TABLE cards (id INTEGER, nid INTEGER, did INTEGER);")
        conn.execute("INSERT INTO col VALUES (?, ?)", (json.dumps(models), json.dumps(decks)))
        for n, (mid, fields, tags) in enumerate(notes, 1):
            conn.execute("INSERT INTO notes VALUES (?, ?, ?, ?)", (n, mid, fields, tags))
            conn.execute("INSERT INTO cards VALUES (?, ?, 1)", (n, n))
        conn.commit()
        conn.close()
        path = tmp_path / "deck.apkg"
        with zipfile.ZipFile(path, "w") as z:
            z.write(folder / "collection.anki2", "collection.anki2")
        before = cards()
        try:
            report = anki.import_deck(library, str(path))
        except LayerwiseError:
            assert cards() == before  # refused: nothing stored
            return
        assert report.notes == len(notes) and cards() == before + report.added

    check()
    library.close()
