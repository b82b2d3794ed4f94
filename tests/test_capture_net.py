"""`layerwise add`: arXiv API, Crossref, web pages and PDFs, fetched from a real local HTTP server."""

import gzip
from pathlib import Path

import pytest

from conftest import data_file
from layerwise.errors import FetchError, LayerwiseError, NotFound
from pdfs import make_pdf

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def apis(http_server, monkeypatch):
    monkeypatch.setenv("LAYERWISE_ARXIV_API", http_server.url("/api/query"))
    monkeypatch.setenv("LAYERWISE_CROSSREF_API", http_server.url("/crossref"))
    return http_server


def test_add_arxiv_fetches_metadata_and_is_idempotent(library, apis):
    apis.serve("/api/query", (FIXTURES / "arxiv-1706.03762.atom").read_bytes(), content_type="application/atom+xml")
    item, new = library.add("https://arxiv.org/abs/1706.03762v5")
    assert new and item.arxiv_id == "1706.03762" and item.title == "Attention Is All You Need"
    assert len(item.authors) == 8 and item.categories == ["cs.CL", "cs.LG"] and item.published == "2017-06-12"
    assert item.abstract.startswith("The dominant sequence transduction models")
    query = apis.requests[0][0]
    assert "id_list=1706.03762" in query
    assert apis.requests[0][1]["user-agent"].startswith("layerwise/")
    again, new_again = library.add("arXiv:1706.03762")
    assert not new_again and again.id == item.id
    assert library.find()[1] == 1


def test_add_arxiv_error_and_missing_paper(library, apis):
    apis.serve("/api/query", (FIXTURES / "arxiv-error.atom").read_bytes())
    with pytest.raises(FetchError, match="incorrect id format"):
        library.add("1706.99999")
    apis.serve("/api/query", (FIXTURES / "arxiv-empty.atom").read_bytes())
    with pytest.raises(NotFound, match="arXiv has no paper 2999.00001"):
        library.add("2999.00001")
    assert library.find()[1] == 0


def test_add_doi_through_crossref(library, apis):
    apis.serve("/crossref/works/10.1145/3292500.3330701", (FIXTURES / "crossref-optuna.json").read_bytes(),
               content_type="application/json")
    item, new = library.add("https://doi.org/10.1145/3292500.3330701")
    assert new and item.title.startswith("Optuna") and item.doi == "10.1145/3292500.3330701"
    assert item.authors[0] == "Takuya Akiba" and item.published == "2019-07-25"
    assert item.abstract.startswith("The purpose of this study") and "<jats" not in item.abstract
    assert library.resolve("doi:10.1145/3292500.3330701") == item.id
    with pytest.raises(NotFound, match="Crossref has no record"):
        library.add("10.1145/0000000.0000000")


def test_add_web_page_extracts_main_text(library, apis):
    html = gzip.decompress(data_file("files", "pages", "lilianweng-2018-06-24-attention.html.gz").read_bytes())
    url = apis.serve("/posts/2018-06-24-attention/", html, content_type="text/html; charset=utf-8")
    item, new = library.add(url + "?utm_source=newsletter")
    assert new and item.title == "Attention? Attention!" and item.kind == "post"
    assert item.authors == ["Lilian Weng"] and item.published == "2018-06-24"
    assert item.body and "attention" in item.body.lower() and len(item.body) > 5000
    assert library.find("pointer network")[1] == 1  # page text is searchable
    _, new_again = library.add(url)  # the tracking parameter is not a different page
    assert not new_again


def test_add_a_web_page_saved_to_a_file(library, tmp_path):
    """A page saved from the browser (here gzipped, as in ../shared/data) is read as if fetched from the address
    it gives as its own, so it is the same item as that address; a page naming none has no address."""
    saved = data_file("files", "pages", "lilianweng-2018-06-24-attention.html.gz")
    item, new = library.add(str(saved))
    assert new and item.title == "Attention? Attention!" and item.kind == "post"
    assert item.url == "https://lilianweng.github.io/posts/2018-06-24-attention/"
    assert item.authors == ["Lilian Weng"] and item.body and len(item.body) > 5000
    assert library.resolve(f"file:{saved.resolve()}") == item.id
    copy = tmp_path / "attention.html"
    copy.write_bytes(gzip.decompress(saved.read_bytes()))
    again, new_again = library.add(str(copy))
    assert not new_again and again.id == item.id  # its canonical address makes them one
    bare = tmp_path / "notes.html"
    bare.write_text("<!DOCTYPE html><html><head><title>My reading notes</title></head><body><p>"
                    + "Notes on attention and memory. " * 40 + '<a href="other.html">next</a></p></body></html>')
    notes, _ = library.add(str(bare))
    assert notes.title == "My reading notes" and notes.url is None and notes.cites == []
    empty = tmp_path / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body></body></html>")
    with pytest.raises(LayerwiseError, match=f"^{empty}: the page has no title and no readable text"):
        library.add(str(empty))


def test_add_a_web_page_saved_as_one_mhtml_file(library, tmp_path, cli, monkeypatch):
    """Chrome's "Webpage, Single File": the page (quoted-printable) and its images in one MIME archive. The page
    comes in as the address it was saved from; `import` names the file as a page to `add`."""
    from email import charset
    from email.mime.image import MIMEImage
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    def archive(html: str, saved_from: str) -> bytes:
        whole = MIMEMultipart("related", type="text/html")
        whole["From"], whole["Snapshot-Content-Location"], whole["Subject"] = "<Saved by Blink>", saved_from, "x"
        quoted = charset.Charset("utf-8")
        quoted.body_encoding = charset.QP
        page = MIMEText(html, "html", quoted)
        page["Content-Location"] = saved_from
        whole.attach(page)
        whole.attach(MIMEImage(b"\x89PNG\r\n\x1a\n" + bytes(64), "png"))
        return whole.as_bytes()

    html = gzip.decompress(data_file("files", "pages", "lilianweng-2018-06-24-attention.html.gz").read_bytes())
    saved = tmp_path / "attention.mhtml"
    saved.write_bytes(archive(html.decode("utf-8"), "https://lilianweng.github.io/posts/2018-06-24-attention/"))
    item, new = library.add(str(saved))
    assert new and item.title == "Attention? Attention!" and item.authors == ["Lilian Weng"]
    assert item.url == "https://lilianweng.github.io/posts/2018-06-24-attention/" and len(item.body) > 5000
    plain = tmp_path / "notes.mhtml"  # no address of its own in the page: the one it was saved from
    plain.write_bytes(archive("<html><head><title>Scaling notes</title></head><body><p>"
                              + "Compute-optimal training, token by token. " * 30 + "</p></body></html>",
                              "https://example.org/notes/scaling"))
    notes, _ = library.add(str(plain))
    assert notes.title == "Scaling notes" and notes.url == "https://example.org/notes/scaling"
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", library.database_url)
    result = cli("import", "--no-prepare", str(saved))
    assert result.code == 2 and "saved web page; capture it with `layerwise add FILE`" in result.err


def test_add_pdf_file_and_pdf_url(library, apis, tmp_path):
    pdf = make_pdf(["Deep Residual Learning for Image Recognition", "Kaiming He  Xiangyu Zhang",
                    "Abstract", "Deeper neural networks are more difficult to train. We present a residual learning "
                    "framework to ease the training of networks that are substantially deeper than those used previously.",
                    "arXiv:1512.03385v1 [cs.CV] 10 Dec 2015"], title="untitled", author="Kaiming He; Xiangyu Zhang")
    path = tmp_path / "resnet.pdf"
    path.write_bytes(pdf)
    item, new = library.add(str(path))
    assert new and item.title.startswith("Deep Residual Learning") and item.arxiv_id == "1512.03385"
    assert item.authors == ["Kaiming He", "Xiangyu Zhang"] and item.abstract.startswith("Deeper neural networks")
    url = apis.serve("/papers/resnet.pdf", pdf, content_type="application/pdf")
    same, new_again = library.add(url)
    assert not new_again and same.id == item.id  # the arXiv stamp makes them one item


def test_add_rejects_bad_targets_clearly(library, apis, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n garbage")
    with pytest.raises(LayerwiseError, match="not a readable PDF"):
        library.add(str(broken))
    (tmp_path / "refs.bib").write_text("@article{a, title={T}}\n")
    with pytest.raises(LayerwiseError, match="layerwise import"):
        library.add(str(tmp_path / "refs.bib"))
    with pytest.raises(LayerwiseError, match="not an arXiv id"):
        library.add("just some words")
    with pytest.raises(FetchError, match="HTTP 404"):
        library.add(apis.url("/missing"))
    feed = apis.serve("/feed.xml", (FIXTURES / "podcast.xml").read_bytes(), content_type="application/rss+xml")
    with pytest.raises(FetchError, match="feed add"):
        library.add(feed)
    with pytest.raises(FetchError, match="cannot connect"):
        library.add("http://127.0.0.1:9/nothing-listens-here")
    assert library.find()[1] == 0


def test_timeouts_and_retries(apis, monkeypatch):
    from conftest import Route
    from layerwise.net import Http

    apis.routes["/slow"] = Route(b"late", delay=1.5)
    with Http(timeout=0.3, retries=1) as http, pytest.raises(FetchError, match="timed out after 0.3 s"):
        http.get(apis.url("/slow"))
    assert len(apis.hits("/slow")) == 2  # one retry

    calls = {"n": 0}

    def flaky(_handler):
        calls["n"] += 1
        return (503, {}, b"busy") if calls["n"] == 1 else (200, {"Content-Type": "text/plain"}, b"ok")

    apis.routes["/flaky"] = Route(handler=flaky)
    with Http(retries=2) as http:
        assert http.get(apis.url("/flaky")).content == b"ok"
    apis.serve("/big", b"x" * 2048)
    with Http() as http, pytest.raises(FetchError, match="limit"):
        http.get(apis.url("/big"), max_bytes=1024)


@pytest.mark.parametrize("mode", ["body", "headers", "silent"])
def test_a_dripping_or_silent_server_is_cut_at_the_deadline(drip_server, mode):
    """The per-read timeout never trips on a server that sends a byte every quarter second; the deadline
    for the whole request (retries included) does, and the message gives the real time (issue 17)."""
    import re
    import time

    from layerwise.net import Http

    start = time.monotonic()
    with Http(timeout=1.0, retries=2, deadline=2.0) as http, pytest.raises(FetchError) as raised:
        http.get(drip_server.url(mode))
    elapsed = time.monotonic() - start
    assert 1.5 < elapsed < 4.0, elapsed
    message = str(raised.value)
    assert re.search(r"stopped after 2 s|\(\d attempts, 2\.\d s in all\)|\(2\.\d s\)", message), message


def test_add_gives_up_on_a_dripping_page_in_one_line(drip_server, cli, monkeypatch):
    import time

    monkeypatch.setenv("LAYERWISE_HTTP_DEADLINE", "2")
    start = time.monotonic()
    result = cli("add", drip_server.url("body"))
    assert result.code == 2 and "stopped after 2 s" in result.err and "Traceback" not in result.err
    assert time.monotonic() - start < 5
