"""The reference graph: what captured things cite and endorse, mentioned works, and completing them in place."""

import gzip
import json
from pathlib import Path

import pytest

from conftest import data_file
from layerwise.capture import citations
from layerwise.references import links
from pdfs import make_pdf

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def apis(http_server, monkeypatch):
    monkeypatch.setenv("LAYERWISE_ARXIV_API", http_server.url("/api/query"))
    return http_server


def _attention_page(apis):
    html = gzip.decompress(data_file("files", "pages", "lilianweng-2018-06-24-attention.html.gz").read_bytes())
    return apis.serve("/posts/2018-06-24-attention/", html, content_type="text/html; charset=utf-8")


def test_a_page_cites_the_works_in_its_main_text_and_a_capture_completes_a_mention(library, apis):
    post, _ = library.add(_attention_page(apis))
    graph = links(library.store, post.library_id)
    targets = {t for _, t, _ in graph.cites}
    assert "arxiv:1409.0473" in targets  # Bahdanau et al., linked as an arXiv PDF
    assert not any("share" in t or "twitter" in t or t.endswith("/tags/attention") for t in targets)  # chrome left out
    cited = {t: (i, c) for i, t, c in graph.cites}
    bahdanau, context = cited["arxiv:1409.0473"]
    assert bahdanau is not None and bahdanau.mentioned
    assert bahdanau.title == "Neural machine translation by jointly learning to align and translate"
    assert "Bahdanau" in context
    transformer = cited["url:https://papers.nips.cc/paper/7181-attention-is-all-you-need.pdf"][0]
    assert transformer.mentioned and transformer.title == "Attention is All you Need"
    # mentioned works wait outside the inbox and the list, and are listed when asked for
    listed, total = library.find(limit=None)
    assert [i.id for i in listed] == [post.id] and total == 1
    assert transformer.id in {i.id for i in library.find(limit=None, mentioned=True)[0]}
    # capturing the work completes the placeholder: same id, the real title, no longer mentioned
    apis.serve("/api/query", (FIXTURES / "arxiv-1706.03762.atom").read_bytes(), content_type="application/atom+xml")
    paper, new = library.add("arXiv:1706.03762")
    assert not new and paper.id == transformer.id and not paper.mentioned
    assert paper.title == "Attention Is All You Need" and paper.arxiv_id == "1706.03762"
    assert [i.id for i, _ in links(library.store, paper.library_id).cited_by] == [post.id]
    assert library.find(limit=None)[1] == 2


def test_a_link_to_a_page_captured_later_resolves_then(library, apis):
    later = apis.serve("/later", "<html><head><title>The Later Page</title></head><body><article><p>"
                       + "Text about feature stores and their offline stores. " * 20 + "</p></article></body></html>",
                       content_type="text/html")
    first = apis.serve("/first", "<html><head><title>A First Page</title></head><body><nav><a href='/nav'>Home</a></nav>"
                       f"<article><p>{'Serving models online with low latency. ' * 20}</p>"
                       f"<p>See <a href='{later}'>this</a> and <a href='#top'>top</a>.</p></article></body></html>",
                       content_type="text/html")
    page, _ = library.add(first)
    [(nothing, target, _)] = links(library.store, page.library_id).cites
    assert nothing is None and target == f"url:{later.replace('http://', 'https://')}"
    second, _ = library.add(later)
    [(found, _, context)] = links(library.store, page.library_id).cites
    assert found is not None and found.id == second.id and context.startswith("See this")
    assert [i.id for i, _ in links(library.store, second.library_id).cited_by] == [page.id]


def test_reading_lists_endorse_their_entries_and_labels_do_not_make_a_second_copy(library):
    report = library.import_file(str(data_file("files", "reading-lists", "applied-ml.md")))
    assert report.added > 400 and not report.skipped
    again = library.import_file(str(data_file("files", "reading-lists", "applied-ml.md")))
    assert (again.added, again.merged) == (0, 0)  # a second import changes nothing (a shared URL stays released)
    found, total = library.find('"Mixed Negative Sampling"', limit=None)
    assert total == 1  # the entry and its "(Paper)" link are one work
    entry = found[0]
    assert entry.title == "Mixed Negative Sampling for Learning Two-tower Neural Networks in Recommendations"
    assert "paper" in entry.extra["links"] and entry.url.startswith("https://research.google/")
    graph = links(library.store, entry.library_id)
    assert graph.endorsed_by == [("applied-ml", "applied-ml > Recommendation")] or \
        graph.endorsed_by[0][0] == "applied-ml"
    # a paper dump is not a curated list: no endorsements from it
    library.import_file(str(data_file("files", "bibtex", "top100-deep-learning.bib")))
    with library.store.begin() as conn:
        from layerwise.store import graph as graph_rows
        lists = {name for name, _, _ in graph_rows.endorsement_edges(conn)}
    assert lists == {"applied-ml", "top100-deep-learning"}


def test_table_rows_of_links_take_the_title_from_their_first_cell(library):
    library.import_file(str(data_file("files", "reading-lists", "ml-papers-of-the-week.md")))
    titles = [i.title for i in library.find(limit=None)[0]]
    assert "Reinventing RNNs for the Transformer Era" in titles
    labels_only = [t for t in titles if t.startswith(("Paper,", "http"))]
    assert "Paper, Tweet" not in titles and len(labels_only) < len(titles) / 200


def test_a_pdf_reference_section_becomes_citations(library, tmp_path):
    pdf = make_pdf(["A Survey of Efficient Transformers", "Abstract",
                    "We review efficient attention. " * 8, "References",
                    "[1] A. Vaswani et al. Attention is all you need. arXiv:1706.03762, 2017.",
                    "[2] I. Beltagy et al. Longformer. arXiv preprint arXiv:2004.05150 (2020).",
                    "[3] Some book without an id. 2019."])
    path = tmp_path / "survey.pdf"
    path.write_bytes(pdf)
    item, _ = library.add(str(path))
    targets = [t for _, t, _ in links(library.store, item.library_id).cites]
    assert targets == ["arxiv:1706.03762", "arxiv:2004.05150"]


def test_list_sorted_by_citations_and_show_with_its_links(library, cli, monkeypatch, apis):
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", library.database_url)
    library.add(_attention_page(apis))
    most = json.loads(cli("list", "--mentioned", "--sort", "cited", "--json", "-n", "3").out)["items"]
    assert most and all(i["mentioned"] for i in most)
    shown = json.loads(cli("show", str(most[0]["id"]), "--json").out)
    assert shown["cited_by"][0]["title"] == "Attention? Attention!"
    text = cli("show", str(most[0]["id"])).out
    assert "cited by 1 item in your library" in text and "mentioned" in text
    numbers = json.loads(cli("overview", "--json").out)["graph"]
    assert numbers["citations"] > 20 and 0 < numbers["mentioned"] <= numbers["citations_resolved"]
    assert "reference graph" in cli("overview").out


def test_quoted_titles_and_years_in_references():
    [cite] = citations.from_html('<p>[3] D. Bahdanau. <a href="https://arxiv.org/pdf/1409.0473.pdf">“Neural machine '
                                 'translation by jointly learning to align and translate.”</a> ICLR 2015.</p>', "")
    assert (cite.target, cite.title, cite.year) == ("arxiv:1409.0473", "Neural machine translation by jointly learning "
                                                    "to align and translate", 2015)
    # a paragraph with two links: its quoted title belongs to neither link unless it is the link's own text
    two = citations.from_html('<p><a href="https://en.wikipedia.org/wiki/X">X</a> and “A Quoted Paper Title Here” '
                              '<a href="https://example.org/y">y</a></p>', "")
    assert all(c.title is None for c in two)


def test_a_placeholder_known_only_by_id_folds_into_the_work_held_under_its_title(library, apis, tmp_path):
    """A post cites arXiv:1706.03762 by its id alone while the library holds the NeurIPS paper by its title:
    capturing the arXiv record joins the two, and the citation lands on the paper."""
    papers = tmp_path / "proceedings.jsonl"
    papers.write_text('{"id": "nips-7181", "title": "Attention is All you Need", "year": 2017, "conf": "nips", '
                      '"abstract": "The dominant sequence transduction models...", "gs_citation": 120000}\n')
    library.import_file(str(papers))
    page = apis.serve("/post", "<html><head><title>Transformers, explained</title></head><body><article><p>"
                      + "How the transformer works, step by step. " * 30
                      + "</p><p>As in <a href='https://arxiv.org/abs/1706.03762'>the paper</a>.</p></article></body></html>",
                      content_type="text/html")
    post, _ = library.add(page)
    [(placeholder, target, _)] = links(library.store, post.library_id).cites
    assert placeholder.mentioned and target == "arxiv:1706.03762"
    apis.serve("/api/query", (FIXTURES / "arxiv-1706.03762.atom").read_bytes(), content_type="application/atom+xml")
    paper, new = library.add("arXiv:1706.03762")
    assert not new and paper.title == "Attention is All you Need" and paper.arxiv_id == "1706.03762"
    assert paper.cited_by == 120000 and not paper.mentioned
    assert [i.id for i, _ in links(library.store, paper.library_id).cited_by] == [post.id]
    assert library.find(limit=None, mentioned=True)[1] == 0 and library.find(limit=None)[1] == 2


def test_the_item_page_shows_what_cites_and_what_is_cited(library, apis):
    from fastapi.testclient import TestClient

    from layerwise.web.app import create_app

    post, _ = library.add(_attention_page(apis))
    [(bahdanau, _, _)] = [c for c in links(library.store, post.library_id).cites if c[1] == "arxiv:1409.0473"]
    with TestClient(create_app(library, allowed_hosts=("testserver",))) as client:
        mentioned = client.get(f"/items/{bahdanau.id}").text
        assert "Cited by 1 item in your library" in mentioned and "Attention? Attention!" in mentioned
        assert "not captured yet" in mentioned and "layerwise add 1409.0473" in mentioned
        citing = client.get(f"/items/{post.id}").text
        assert f"Cites {len(links(library.store, post.library_id).cites)}</h2>" in citing
        assert "Neural machine translation by jointly learning" in citing
