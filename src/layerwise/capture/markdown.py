"""Markdown link lists (awesome-lists, reading lists): every link, with its heading path as context."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

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


MAX_FILE = 16 * 2**20  # a reading list is kilobytes; parsing Markdown is the slowest reading per byte

def read(text: str, where: str, source: str) -> Iterator[Item | Skip]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark", {"linkify": False}).enable("table").parse(text)
    headings: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            level = int(token.tag[1])
            heading = tokens[i + 1].content.strip() if i + 1 < len(tokens) else ""
            headings = [(lvl, h) for lvl, h in headings if lvl < level] + [(level, heading)]
        if token.type != "inline" or not token.children:
            continue
        line = (token.map[0] + 1) if token.map else None
        context = " > ".join(h for _, h in headings if h)
        for url, label, item_text in _links(token.children):
            if url in seen or _SKIP_HOSTS.search(url):
                continue
            seen.add(url)
            title = label if label and not _GENERIC.match(label) else item_text
            if title and label and title != label and _GENERIC.match(label):
                title = f"{title} [{label.strip('[]')}]" if len(item_text) < 140 else label
            title = _clean_title(title or url)
            item = Item(title=title, kind=guess_kind(url), url=url,
                        abstract=item_text if item_text and item_text != title else None,
                        extra={"context": context, "line": line} if context else {"line": line})
            item.body = f"From: {context}" if context else None
            yield item


def _links(children: list[Any]) -> Iterator[tuple[str, str, str]]:
    """(url, link text, the whole inline text without link markup) for each http(s) link."""
    plain = "".join(c.content for c in children if c.type in ("text", "code_inline")).strip()
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
    return ParsedFile(read(files.read_text(path, MAX_FILE), str(path), src), format="markdown", source=src)


READER = Reader("markdown", ('.md', '.markdown'), _detect, _load)
