"""Browser bookmarks: the Netscape bookmark file every browser exports (Chrome, Firefox, Safari, Edge) and
bookmark services write (Raindrop, Pinboard, Instapaper). Every http(s) bookmark, its folder path as context,
its tags and note kept.

The format is HTML with unclosed <DT> and <p> tags; it is read as a stream of tags by the standard library's
HTML parser (linear, no tree, no depth limit), with the folders as a stack: an <H3> names the folder whose
<DL> comes next.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from layerwise import ids
from layerwise.capture import files
from layerwise.capture.contract import Head, ParsedFile, Reader, default_source
from layerwise.capture.html_text import LenientParser
from layerwise.capture.kinds import guess_kind
from layerwise.records import Item

MAX_FILE = 64 * 2**20  # tens of thousands of bookmarks, with their icons inlined, are a few megabytes
MAX_TEXT = 2_000  # a title or note longer than this is cut
MAX_FOLDERS = 6  # the innermost folders kept as a bookmark's context, as deep as Markdown's headings go
_ARXIV_PREFIX = re.compile(r"\[(\d{4}\.\d{4,5})(?:v\d+)?\]\s+")


class _Bookmarks(LenientParser):
    """Collects (url, title, attributes, folder path, note) for each link, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.folders: list[str | None] = []  # one entry per open <DL>: the folder it lists, None for the root
        self.pending: str | None = None  # the last <H3>'s name, for the <DL> that follows it
        self.found: list[tuple[str, str, dict[str, str], str, list[str]]] = []
        self.text: list[str] | None = None  # the text being collected (a title, a folder name or a note)
        self.length = 0  # its characters so far, kept up to MAX_TEXT
        self.into = ""  # what it is collected for: "a", "h3" or "dd"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.into == "dd" and tag in ("dt", "dl", "h3", "a"):  # a note runs up to the next entry
            self._end()
        if tag == "dl":
            self.folders.append(self.pending)
            self.pending = None
        elif tag == "h3":
            self.text, self.length, self.into = [], 0, "h3"
        elif tag == "a":
            fields = {k.lower(): (v or "").strip() for k, v in attrs}
            context = " > ".join([f for f in self.folders if f][-MAX_FOLDERS:])
            self.found.append((fields.get("href", ""), "", fields, context, []))
            self.text, self.length, self.into = [], 0, "a"
        elif tag == "dd" and self.found:
            self.text, self.length, self.into = [], 0, "dd"

    def handle_endtag(self, tag: str) -> None:
        if tag == self.into:
            self._end()
        elif tag == "dl":
            if self.into == "dd":
                self._end()
            if self.folders:
                self.folders.pop()

    def handle_data(self, data: str) -> None:
        if self.text is not None and self.length < MAX_TEXT:
            self.text.append(data)
            self.length += len(data)

    def _end(self) -> None:
        text = " ".join("".join(self.text or []).split())[:MAX_TEXT]
        if self.into == "h3":
            self.pending = text or None
        elif self.into == "a" and self.found:
            url, _, fields, context, note = self.found[-1]
            self.found[-1] = (url, text, fields, context, note)
        elif self.into == "dd" and self.found and text:
            self.found[-1][4].append(text)
        self.text, self.into = None, ""


def read(text: str, where: str, source: str) -> Iterator[Item]:
    parser = _Bookmarks()
    parser.feed(text)
    parser.close()
    seen: set[str] = set()
    for url, title, fields, context, note in parser.found:
        if not url.startswith(("http://", "https://")) or url in seen:  # javascript:, place:, file:, a repeat
            continue
        seen.add(url)
        if (cut := _ARXIV_PREFIX.match(title)) and cut.group(1) == ids.arxiv_id(url):
            title = title[cut.end():]  # arXiv's page titles: "[1706.03762] Attention Is All You Need"
        item = Item(title=title or url, kind=guess_kind(url), url=url, abstract=" ".join(note) or None,
                    tags=[t for t in re.split(r"[,;]", fields.get("tags", "")) if t.strip()][:20],
                    extra={"context": context} if context else {})
        item.body = f"From: {context}" if context else None
        if added := _date(fields.get("add_date") or fields.get("time_added")):
            item.extra["bookmarked"] = added
        yield item


def _date(stamp: str | None) -> str | None:
    """A bookmark's date (seconds since 1970; some exports write microseconds) as YYYY-MM-DD."""
    if not stamp or not stamp.isdigit() or not int(stamp):
        return None
    seconds = int(stamp)
    while seconds > 10**11:  # milliseconds or microseconds
        seconds //= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _detect(head: Head) -> bool:
    return "<!doctype netscape-bookmark-file" in head.low or (
        "<a " in head.low and re.search(r"<a\s[^>]*\b(add_date|time_added)\s*=", head.low) is not None)


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    src = source or default_source(path, "bookmarks")
    return ParsedFile(read(files.read_text(path, MAX_FILE), str(path), src), format="bookmarks", source=src,
                      curated=True)


READER = Reader("bookmarks", (), _detect, _load)  # only by content: most .html files are pages
