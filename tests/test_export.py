"""Exports round-trip through import: what layerwise writes, layerwise (and Zotero, feed readers) reads."""

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import data_file
from layerwise.export import export
from layerwise.library import Library


def _export(library, fmt, **filters):
    out = io.StringIO()
    count = export(library, fmt, out, **filters)
    return out.getvalue(), count


def _fresh(tmp_path, name):
    return Library(tmp_path / name)


@pytest.mark.parametrize("fmt, suffix", [("bibtex", "bib"), ("csljson", "json"), ("jsonl", "jsonl"), ("csv", "csv")])
def test_items_round_trip(library, tmp_path, fmt, suffix):
    library.import_file(str(data_file("files", "bibtex", "top100-deep-learning.bib")))
    library.set_status(["1"], "done")
    text, count = _export(library, fmt)
    path = tmp_path / f"export.{suffix}"
    path.write_text(text, encoding="utf-8")
    other = _fresh(tmp_path, f"other-{fmt}")
    report = other.import_file(str(path))
    assert report.skipped == [] and report.added == count == library.find()[1]
    original = {i.title_key: i for i in library.find(limit=None)[0]}
    for item in other.find(limit=None)[0]:
        source = original[item.title_key]
        assert (item.year, item.doi, item.arxiv_id) == (source.year, source.doi, source.arxiv_id)
        assert item.authors == source.authors
    if fmt == "jsonl":  # the full-fidelity format keeps status and every reference
        done = other.find(status="done")[0]
        assert len(done) == 1 and other.resolve(f"top100-deep-learning:{done[0].refs[0][1]}")
    # importing the export into the original library changes nothing
    again = library.import_file(str(path))
    assert again.added == 0


def test_csv_export_opens_safely_in_a_spreadsheet_and_comes_back_whole(library, tmp_path):
    """A title a feed sent as a formula is written behind a quote (CSV injection), and reading the file back
    takes the quote off; tags, kinds and addresses come back too."""
    import csv

    from layerwise.records import Item

    library.ingest([Item(title='=HYPERLINK("http://evil.example/","click")', kind="post", url="https://example.org/a",
                         tags=["to-read", "llm"], authors=["Ada Lovelace", "Alan Turing"], year=2024),
                    Item(title="-1 is a fine number", kind="video", url="https://www.youtube.com/watch?v=x1")])
    text, count = _export(library, "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert count == 2 and rows[0][:3] == ["title", "authors", "year"]
    assert {r[0] for r in rows[1:]} == {"'=HYPERLINK(\"http://evil.example/\",\"click\")", "'-1 is a fine number"}
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    other = _fresh(tmp_path, "other-csv")
    assert other.import_file(str(path)).added == 2
    back = {i.url: i for i in other.find(limit=None)[0]}
    formula = back["https://example.org/a"]
    assert formula.title.startswith("=HYPERLINK") and set(formula.tags) == {"to-read", "llm"}
    assert formula.authors == ["Ada Lovelace", "Alan Turing"] and formula.kind == "post" and formula.year == 2024
    assert back["https://www.youtube.com/watch?v=x1"].title == "-1 is a fine number"


# any text, often starting the way a spreadsheet formula, a quoted cell or a padded one does
_CELL = st.tuples(st.sampled_from(["", "", "=", "+", "-", "@", "'", "'=", '"', " ", "\t"]),
                  st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)).map("".join)


@settings(derandomize=True, max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(items=st.lists(st.tuples(_CELL, st.none() | _CELL, st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
                                                                 max_size=3, unique=True),
                                st.lists(st.from_regex(r"[A-Z][a-z]{1,8} [A-Z][a-z]{1,10}", fullmatch=True), max_size=3),
                                st.sampled_from(["paper", "post", "video", "repo"])), min_size=1, max_size=4))
def test_any_text_comes_back_from_a_csv_export(tmp_path_factory, items):
    """Titles and abstracts of any characters (quotes, commas, line breaks, a leading `=`, `+`, `-` or `@`),
    tags, authors and kinds: what the CSV export writes, the importer reads back the same."""
    from layerwise.records import Item

    folder = tmp_path_factory.mktemp("csv")
    first, second = _fresh(folder, "first"), _fresh(folder, "second")
    first.ingest([Item(title=title, abstract=abstract, tags=tags, authors=authors, kind=kind,
                       url=f"https://example.org/{n}") for n, (title, abstract, tags, authors, kind) in enumerate(items)])
    path = folder / "export.csv"
    path.write_text(_export(first, "csv")[0], encoding="utf-8")
    second.import_file(str(path))
    wrote = {i.url: (i.title, i.abstract, sorted(i.tags), i.authors, i.kind) for i in first.find(limit=None)[0]}
    read = {i.url: (i.title, i.abstract, sorted(i.tags), i.authors, i.kind) for i in second.find(limit=None)[0]}
    first.close()
    second.close()
    assert read == wrote


def test_bibtex_export_keeps_what_latex_would_swallow(library, tmp_path):
    """A bare `%` began a LaTeX comment (`100% accuracy` came back as `100`), `&` became a space, and a brace
    without its pair made the entry unreadable. The LaTeX a title came with (math, `--`) is kept as it is."""
    from layerwise.records import Item

    titles = ["100% accuracy on ImageNet", "R&D at scale", "#1 in ML: a survey", "The {unbalanced case",
              r"Attention in $\mathcal{O}(n)$ time"]
    library.ingest([Item(title=t, kind="paper", url=f"https://example.org/{n}") for n, t in enumerate(titles)])
    path = tmp_path / "export.bib"
    path.write_text(_export(library, "bibtex")[0], encoding="utf-8")
    other = _fresh(tmp_path, "other")
    report = other.import_file(str(path))
    assert report.added == 5 and report.skipped == []
    back = {i.url: i.title for i in other.find(limit=None)[0]}
    assert [back[f"https://example.org/{n}"] for n in range(5)] == [
        "100% accuracy on ImageNet", "R&D at scale", "#1 in ML: a survey", "The unbalanced case",
        r"Attention in $\mathcal{O}(n)$ time"]


def test_opml_round_trip(library, tmp_path):
    library.import_file(str(data_file("files", "feeds", "engineering-blogs.opml")))
    text, count = _export(library, "opml")
    path = tmp_path / "feeds.opml"
    path.write_text(text, encoding="utf-8")
    other = _fresh(tmp_path, "other")
    assert other.import_file(str(path)).feeds_added == count > 350


def test_jsonl_export_is_one_object_per_line_with_refs(library, tmp_path):
    library.import_file(str(data_file("files", "reading-lists", "dmls-resources.md")))
    text, count = _export(library, "jsonl", kind="paper")
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == count and all(line["kind"] == "paper" for line in lines)
