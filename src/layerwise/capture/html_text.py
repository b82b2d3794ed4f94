"""Reading HTML with parsers, never regular expressions: fragments (feed summaries, Anki fields) to plain text
(tags dropped, scripts and styles dropped with their content, entities decoded: what is stored is text, so
nothing captured can run where it is shown), and the few things pages say in their markup (title, meta
properties, advertised feeds, images) through lxml."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import TYPE_CHECKING

from layerwise import ids

if TYPE_CHECKING:
    from lxml.html import HtmlElement

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "pre",
          "section", "article", "table", "hr", "figure"}
_DROP = {"script", "style", "noscript", "template", "iframe", "object", "svg", "math", "head"}


class LenientParser(HTMLParser):
    """Python's HTML parser, reading a malformed `<![...` as browsers do: as a bogus comment. Before 3.13 Python
    raises AssertionError on it, which a feed entry or a damaged file would turn into a failed import."""

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            return self.parse_bogus_comment(i, report)


class _Text(LenientParser):
    def __init__(self, image: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0
        self.image = image

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "img" and self.image is not None and not self.dropping:
            self.parts.append(f" {self.image} ")
        elif tag in _DROP:
            self.dropping += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP and self.dropping:
            self.dropping -= 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(data)


def to_text(html: str | None, image: str | None = None) -> str | None:
    """The text of an HTML fragment, paragraphs kept; `image` stands in for each picture when given."""
    if not html:
        return None
    if "<" not in html and "&" not in html:
        return html.strip() or None
    parser = _Text(image)
    parser.feed(html)
    parser.close()
    paragraphs = [" ".join(p.split()) for p in "".join(parser.parts).split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p) or None


def document(html: bytes | str, limit: int = 500_000) -> HtmlElement | None:
    """A parsed page (its first `limit` bytes), or None when there is nothing to parse."""
    import lxml.etree
    import lxml.html

    try:
        return lxml.html.document_fromstring(html[:limit], parser=lxml.html.HTMLParser(recover=True, no_network=True))
    except (lxml.etree.ParserError, ValueError):
        return None


def title(doc: HtmlElement | None) -> str | None:
    found = doc.findtext(".//title") if doc is not None else None
    return " ".join(found.split()) or None if found else None


def meta_property(doc: HtmlElement | None, name: str) -> str | None:
    """A <meta property="og:..." content="..."> value."""
    if doc is None:
        return None
    for meta in doc.iter("meta"):
        if (meta.get("property") or "").lower() == name and meta.get("content"):
            return str(meta.get("content")).strip()
    return None


def own_address(doc: HtmlElement | None) -> str | None:
    """The address a page gives as its own (<link rel="canonical">, else og:url), when it is a web address."""
    if doc is None:
        return None
    for link in doc.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            href = str(link.get("href")).strip()
            if href.startswith(("http://", "https://")):
                return href
    found = meta_property(doc, "og:url")
    return found if found and found.startswith(("http://", "https://")) else None


def advertised_feed(doc: HtmlElement | None, base_url: str) -> str | None:
    """The first feed a page advertises with <link rel="alternate" type="application/rss+xml" href="...">."""
    if doc is None:
        return None
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "alternate" in rel and (link.get("type") or "").lower().split(";")[0].strip() in FEED_TYPES and link.get("href"):
            return ids.join_url(base_url, str(link.get("href")).strip())
    return None


def image_sources(html: str) -> set[str]:
    """The src of every <img> in a fragment."""
    doc = document(f"<div>{html}</div>") if "<img" in html.lower() else None
    return {str(img.get("src")) for img in doc.iter("img") if img.get("src")} if doc is not None else set()
