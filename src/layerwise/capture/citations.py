"""References found in captured text: the links in a page's or a feed entry's main text, and the arXiv ids and
DOIs in a PDF's reference section, each with the words around it and, when the reference spells it out, the
cited work's title (a quoted title, as reference lists write them)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from layerwise import ids
from layerwise.capture.html_text import document
from layerwise.records import Cite

if TYPE_CHECKING:
    from lxml.html import HtmlElement

MAX_CITES = 500  # a page links to dozens of works; more is a link farm
MAX_CONTEXT = 400
_QUOTED = re.compile(r"[\"“”]([^\"“”]{12,300}?)[.,]?[\"“”]")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_ARXIV_TEXT = re.compile(r"arXiv(?:\.org/(?:abs|pdf))?[:/\s]*((?:\d{4}\.\d{4,5})|(?:[a-z\-]+(?:\.[A-Z]{2})?/\d{7}))", re.IGNORECASE)
_DOI_TEXT = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
_SKIPPED_LINKS = re.compile(r"(\.(png|jpe?g|gif|svg|webp|css|js)$)|(/tags?/)|(/(share|intent)/)|(^mailto:)",
                            re.IGNORECASE)
_CHROME = ("nav", "header", "footer", "aside", "form", "script", "style")
_CHROME_CLASS = re.compile(r"\b(nav|menu|footer|header|sidebar|share|social|toc|breadcrumb|paginav|comments?)\b",
                           re.IGNORECASE)
_REFERENCES = re.compile(r"^\s*(references|bibliography|works cited)\s*$", re.IGNORECASE | re.MULTILINE)


def target_for(url: str) -> str | None:
    """The key a link is recorded under: its arXiv id or DOI when it names one, else its canonical address."""
    if arxiv := ids.arxiv_id(url):
        return f"arxiv:{arxiv}"
    if doi := ids.doi(url):
        return f"arxiv:{ids.arxiv_from_doi(doi)}" if ids.arxiv_from_doi(doi) else f"doi:{doi}"
    canonical = ids.canonical_url(url)
    return f"url:{canonical}" if canonical else None


def keys_of(arxiv_id: str | None, doi: str | None, canonical_url: str | None) -> list[str]:
    """The targets a citation of this item may have been recorded under."""
    return [k for k in (arxiv_id and f"arxiv:{arxiv_id}", doi and f"doi:{doi}",
                        canonical_url and f"url:{canonical_url}") if k]


def from_html(html: bytes | str, base_url: str, *, whole: bool = False, origin: str = "page") -> list[Cite]:
    """The works a page (or a feed entry's content, `whole`) links to from its main text: the article, not
    the navigation, the footer or the share buttons; never the page itself."""
    doc = document(html, limit=2_000_000)
    if doc is None:
        return []
    root = _main(doc) if not whole else doc
    own = target_for(base_url) if base_url else None
    cites: dict[str, Cite] = {}
    for link in root.iter("a"):
        href = (link.get("href") or "").strip()
        if not href or href.startswith("#") or _in_chrome(link, root):
            continue
        url = ids.join_url(base_url, href) if base_url else href
        if not url or not url.startswith(("http://", "https://")) or _SKIPPED_LINKS.search(url):
            continue
        target = target_for(url)
        if target is None or target == own or (target in cites and cites[target].title):
            continue  # a work linked twice keeps the link that names it (the reference list's entry)
        anchor = " ".join(link.text_content().split())
        context, alone = _context(link)
        # the entry's quoted title names this link's work only when the link is the entry's one link
        title = _title(anchor) or (_title(context) if alone else None)
        if target in cites and not title:
            continue
        context = context or anchor
        cites[target] = Cite(target, context[:MAX_CONTEXT] or None, title, _year(context), origin)
        if len(cites) >= MAX_CITES:
            break
    return list(cites.values())


def from_text(text: str) -> list[Cite]:
    """arXiv ids and DOIs in the reference section of a document's text (the whole text when it has none)."""
    found = list(_REFERENCES.finditer(text))
    section = text[found[-1].end():] if found else text
    cites: dict[str, Cite] = {}
    for line in _reference_entries(section):
        for match in _ARXIV_TEXT.finditer(line):
            target = f"arxiv:{match.group(1)}"
            cites.setdefault(target, Cite(target, line[:MAX_CONTEXT], _title(line), _year(line), "pdf"))
        for match in _DOI_TEXT.finditer(line):
            doi = ids.doi(match.group(1))
            if doi:
                target = f"arxiv:{ids.arxiv_from_doi(doi)}" if ids.arxiv_from_doi(doi) else f"doi:{doi}"
                cites.setdefault(target, Cite(target, line[:MAX_CONTEXT], _title(line), _year(line), "pdf"))
        if len(cites) >= MAX_CITES:
            break
    return list(cites.values())


def before_references(text: str) -> str:
    """A document's text up to its reference section."""
    found = _REFERENCES.search(text)
    return text[:found.start()] if found else text


def _reference_entries(section: str) -> Iterable[str]:
    """Reference entries: numbered ([12] or 12.) entries when the section has them, else lines."""
    entries = re.split(r"\n\s*(?=\[\d{1,3}\]|\d{1,3}\.\s)", section)
    for entry in entries if len(entries) > 1 else section.splitlines():
        yield " ".join(entry.split())


def _main(doc: HtmlElement) -> HtmlElement:
    """The element holding the article: <article>, else <main>, else the body."""
    for tag in ("article", "main"):
        found = doc.find(f".//{tag}")
        if found is not None:
            return found
    body = doc.find(".//body")
    return body if body is not None else doc


def _in_chrome(link: HtmlElement, root: HtmlElement) -> bool:
    node = link.getparent()
    while node is not None and node is not root:
        if node.tag in _CHROME or _CHROME_CLASS.search(str(node.get("class") or "")):
            return True
        node = node.getparent()
    return False


def _context(link: HtmlElement) -> tuple[str, bool]:
    """The text of the paragraph or list entry holding the link, when it is short enough to be one reference,
    and whether the link is its only one."""
    node = link.getparent()
    while node is not None and node.tag not in ("p", "li", "td", "dd", "blockquote", "div"):
        node = node.getparent()
    if node is None:
        return "", False
    text = " ".join(node.text_content().split())
    if len(text) > MAX_CONTEXT:
        return "", False
    return text, sum(1 for _ in node.iter("a")) == 1


def _title(text: str | None) -> str | None:
    """A quoted title ("... et al. “Attention is all you need.” NIPS 2017"), as reference lists write them."""
    match = _QUOTED.search(text or "")
    if match and ids.title_words(match.group(1)) >= 3:
        return match.group(1).strip().rstrip(".,")
    return None


def _year(context: str | None) -> int | None:
    years = _YEAR.findall(context or "")
    return int(years[-1]) if years else None
