"""Markdown link lists (awesome-lists, reading lists): every link, with its heading path as context."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from layerwise import ids
from layerwise.capture import files
from layerwise.capture.contract import Head, ParsedFile, Reader, default_source
from layerwise.capture.kinds import guess_kind
from layerwise.records import Item, Skip

# Link texts that name the kind of link, not the work: the list item's own text is the better title.
_GENERIC = re.compile(r"^\W*(pdf|paper|code|link|here|blog|post|video|slides?|website|site|project|arxiv|"
                      r"github|repo|demo|talk|article|html|web|official|dataset|data|notebook|colab|"
                      r"tweet|thread|podcast|book|course|\d+)\W*$", re.IGNORECASE)
_SKIP_HOSTS = re.compile(r"(shields\.io|badge|travis-ci|circleci|codecov|img\.|\.svg$|\.png$|\.jpe?g$|\.gif$)",
                         re.IGNORECASE)


_CITED_AS = re.compile(r"\((\d{4})\)\s*,\s*([A-Z][\w.\- ]{1,40}?)\s+et al\.")

MAX_FILE = 16 * 2**20  # a reading list is kilobytes; parsing Markdown is the slowest reading per byte

def read(text: str, where: str, source: str) -> Iterator[Item | Skip]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark", {"linkify": False}).enable("table").parse(text)
    headings: list[tuple[int, str]] = []
    seen: set[str] = set()
    row: list[str] = []  # the cells of the table row so far: a links-only cell takes its title from the first
    for i, token in enumerate(tokens):
        if token.type == "tr_open":
            row = []
        if token.type == "heading_open":
            level = int(token.tag[1])
            heading = tokens[i + 1].content.strip() if i + 1 < len(tokens) else ""
            headings = [(lvl, h) for lvl, h in headings if lvl < level] + [(level, heading)]
        if token.type != "inline" or not token.children:
            continue
        line = (token.map[0] + 1) if token.map else None
        context = " > ".join(h for _, h in headings if h)
        cell = _cell_text(token.children)
        bold = next((token.children[n + 1].content.strip() for n, c in enumerate(token.children[:-1])
                     if c.type == "strong_open"), "")
        for url, title, item_text, alternates in _entries(list(_links(token.children))):
            if url in seen or _SKIP_HOSTS.search(url):
                continue
            if row and _only_labels(title):
                title, item_text = _row_title(row[0]), row[0]
            elif bold and title == item_text:  # "**Title** (2015), G. Hinton et al. [[pdf]](...)": the bold part
                title = bold
            seen.add(url)
            seen.update(alternates.values())
            item = Item(title=_clean_title(title or url), kind=guess_kind(url), url=url,
                        abstract=item_text if item_text and item_text != title else None,
                        extra={"context": context, "line": line} if context else {"line": line})
            if alternates:  # the paper behind a post is the same work: its ids make the entry match it
                item.extra["links"] = alternates
                item.arxiv_id = next((ids.arxiv_id(u) for u in alternates.values() if ids.arxiv_id(u)), None)
                item.doi = next((ids.doi(u) for u in alternates.values() if ids.doi(u)), None)
                if (item.arxiv_id or item.doi) and item.kind in ("page", "post"):
                    item.kind = "paper"  # as a merge would make it: the entry stands for the paper
            item.body = f"From: {context}" if context else None
            if cited := _CITED_AS.search(item_text or ""):  # "(2015), G. Hinton et al."
                item.year, item.authors = int(cited.group(1)), [cited.group(2).strip()]
            yield item
        row.append(cell)


def _cell_text(children: list[Any]) -> str:
    """A table cell's text; its bold part first when it has one ("1) **Title** - description")."""
    bold = [children[n + 1].content for n, c in enumerate(children[:-1]) if c.type == "strong_open"]
    text = " ".join("".join(c.content if c.type == "text" else " " for c in children).split())
    return f"{bold[0].strip()}  {text}" if bold and bold[0].strip() else text


def _only_labels(text: str | None) -> bool:
    """Link labels alone ("Paper, Tweet"): no title in them."""
    return not text or all(_GENERIC.match(part) for part in re.split(r"[\W_]+| and ", text) if part.strip())


def _row_title(cell: str) -> str:
    """A title from a table row's first cell: "1) Title  Description..." -> "Title"."""
    cell = re.sub(r"^\s*\d+[.)]\s*", "", cell)
    return re.split(r"\s{2,}|(?<=[a-z])\.\s", cell, maxsplit=1)[0].strip()[:200]


def _entries(links: list[tuple[str, str, str]]) -> Iterator[tuple[str, str, str, dict[str, str]]]:
    """(url, title, entry text, alternate links) per work on a line: a link labelled only "Paper", "PDF",
    "Video" or "Code" next to a named link is another way to the same work, not an entry of its own."""
    named = [link for link in links if link[1] and not _GENERIC.match(link[1])]
    for n, (url, label, item_text) in enumerate(named or links[:1]):
        title = label if named else item_text
        if not named and label and item_text and len(item_text) >= 140:
            title = label
        alternates = {} if n else {lab.strip("[]() ").lower() or "link": u for u, lab, _ in links
                                   if (u, lab, item_text) not in named and u != url}
        yield url, title, item_text, alternates


def _links(children: list[Any]) -> Iterator[tuple[str, str, str]]:
    """(url, link text, the whole inline text without link markup) for each http(s) link."""
    plain = "".join(c.content for c in children if c.type == "text").strip()
    plain = re.sub(r"[(\[]\s*(pdf|paper|code|video|slides?|blog|post|talk|link|arxiv|html)\s*[)\]]", "", plain,
                   flags=re.IGNORECASE)
    plain = re.sub(r"\s+", " ", re.sub(r"\[\s*\]|\(\s*\)", "", plain)).strip(" -:|,")
    href: str | None = None
    label: list[str] = []
    pictured = False
    for child in children:
        if child.type == "link_open":
            href, label, pictured = str(child.attrs.get("href", "")), [], False
        elif child.type == "link_close" and href is not None:
            text = "".join(label).strip()
            # a picture alone on its line that links somewhere is a badge or a logo, not an entry of the list
            if href.startswith(("http://", "https://")) and (text or plain or not pictured):
                yield href, text, plain
            href = None
        elif href is not None and child.type in ("text", "code_inline"):
            label.append(child.content)
        elif href is not None and child.type == "image":
            pictured = True


def _clean_title(title: str) -> str:
    title = re.sub(r"[*_`]+", "", title).strip(" -:|,")
    return title[:300]


def _detect(head: Head) -> bool:
    return head.name.endswith((".md", ".markdown")) or bool(re.search(r"\[[^\]]+\]\(https?://", head.text))


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    src = source or default_source(path, "markdown")
    return ParsedFile(read(files.read_text(path, MAX_FILE), str(path), src), format="markdown", source=src, curated=True)


READER = Reader("markdown", ('.md', '.markdown'), _detect, _load)
