"""Browser bookmarks (the Netscape bookmark file): exports written as Firefox and Chrome write them."""

from pathlib import Path

import pytest

from layerwise.capture import bookmarks
from layerwise.capture.formats import detect_format
from layerwise.errors import LayerwiseError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("name", ["bookmarks-firefox.html", "bookmarks-chrome.html"])
def test_bookmark_files_are_detected_from_their_content(name, tmp_path):
    assert detect_format(FIXTURES / name) == "bookmarks"
    renamed = tmp_path / "export"
    renamed.write_bytes((FIXTURES / name).read_bytes())
    assert detect_format(renamed) == "bookmarks"
    page = tmp_path / "page.html"  # a page that links somewhere is still a page
    page.write_text('<!DOCTYPE html><html><body><a href="https://example.org/">a link</a></body></html>')
    with pytest.raises(LayerwiseError, match="saved web page"):
        detect_format(page)


def test_firefox_bookmarks_keep_folders_tags_notes_and_dates(library):
    report = library.import_file(str(FIXTURES / "bookmarks-firefox.html"))
    assert report.skipped == [] and report.added == 6  # the bookmarklet and place: query are not captures
    paged = library.get("arxiv:2309.06180")  # its v1 link, filed again in a subfolder, is the same work
    assert paged.title.startswith("Efficient Memory Management") and paged.kind == "paper"
    assert paged.extra["context"] == "Reading: ML systems" and paged.extra["bookmarked"] == "2023-12-02"
    assert paged.abstract == "Read section 4 twice & compare with TGI"  # the <DD> note, entities decoded
    assert set(paged.tags) == {"serving", "vllm"}
    items = {i.url: i for i in library.find(limit=20)[0]}
    video = items["https://www.youtube.com/watch?v=toUSzwR0EV8"]
    assert video.kind == "video" and video.extra["context"] == "Reading: ML systems > Distributed training"
    agents = items["https://lilianweng.github.io/posts/2023-06-23-agent/"]
    assert agents.title == "LLM Powered Autonomous Agents | Lil'Log" and agents.extra["bookmarked"] == "2023-12-06"
    untitled = items["https://distill.pub/2020/circuits/zoom-in/"]  # no text, no date: its address as the title
    assert untitled.title == untitled.url and "bookmarked" not in untitled.extra
    assert items["https://github.com/karpathy/nanoGPT"].kind == "repo"
    assert library.import_file(str(FIXTURES / "bookmarks-firefox.html")).added == 0


def test_chrome_bookmarks_nest_their_folders_and_drop_arxivs_title_prefix(library):
    report = library.import_file(str(FIXTURES / "bookmarks-chrome.html"))
    assert report.added == 3  # chrome://settings is not a capture
    attention = library.get("arxiv:1706.03762")
    assert attention.title == "Attention Is All You Need" and attention.extra["context"] == "Bookmarks bar > papers"
    docs, _ = library.find("autograd mechanics", limit=1)
    assert docs[0].title == "Autograd mechanics — PyTorch 2.5 documentation"
    assert docs[0].extra["context"] == "Bookmarks bar"


def test_deep_and_wide_bookmark_files_are_read_as_a_stream(tmp_path):
    """Ten thousand nested folders and a hundred thousand bookmarks: a stream of tags, no recursion, and a
    context of the innermost six folders."""
    deep = tmp_path / "deep.html"
    deep.write_text("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n" + "<DT><H3>f</H3>\n<DL><p>\n" * 10_000
                    + '<DT><A HREF="https://example.org/deep">Deep</A>\n' + "</DL><p>\n" * 10_000)
    wide = tmp_path / "wide.html"
    wide.write_text("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n" + "".join(
        f'<DT><A HREF="https://example.org/{n}" ADD_DATE="1701475200">Page {n}</A>\n' for n in range(100_000)) + "</DL>")
    [item] = list(bookmarks.read(deep.read_text(), str(deep), "deep"))
    assert item.url == "https://example.org/deep" and item.extra["context"] == " > ".join(["f"] * 6)
    assert len(list(bookmarks.read(wide.read_text(), str(wide), "wide"))) == 100_000
