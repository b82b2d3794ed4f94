"""RIS (EndNote, Zotero, most publishers' "export citation" buttons) through rispy."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from layerwise.capture import files
from layerwise.capture.contract import Head, ParsedFile, Reader, default_source
from layerwise.errors import LayerwiseError
from layerwise.records import Item, Skip

_KINDS = {"BOOK": "book", "CHAP": "book", "EBOOK": "book", "ELEC": "post", "BLOG": "post", "WEB": "post",
          "VIDEO": "video", "MPCT": "video", "SOUND": "podcast", "COMP": "repo"}


MAX_FILE = 128 * 2**20  # a bibliography of a million records is under this


def read(text: str, where: str, source: str) -> Iterator[Item | Skip]:
    import rispy

    try:
        entries = rispy.loads(text, skip_unknown_tags=False)  # BT (a book's title) is not in rispy's mapping
    except Exception as exc:  # rispy raises IOError/ValueError subclasses for malformed input
        raise LayerwiseError(f"not valid RIS ({exc})", where=where) from None
    for n, entry in enumerate(entries, 1):
        unknown = entry.get("unknown_tag") or {}
        title = entry.get("title") or entry.get("primary_title") or entry.get("translated_title")
        venue = entry.get("journal_name") or entry.get("secondary_title") or entry.get("alternate_title3")
        if not title:  # a book chapter or a proceedings item may carry only its container's title (T2 or BT)
            title = entry.get("secondary_title") or next(iter(unknown.get("BT") or []), None) or entry.get("short_title")
            venue = entry.get("journal_name") or entry.get("alternate_title3")
        if not title:
            yield Skip(f"{where}: record {n}", "record has no title (TI, T1, T2 or BT)")
            continue
        year = entry.get("year") or entry.get("publication_year") or entry.get("date") or ""
        digits = "".join(ch for ch in str(year)[:4] if ch.isdigit())
        urls = entry.get("urls") or []
        item = Item(
            title=title,
            kind=_KINDS.get(str(entry.get("type_of_reference", "")).upper(), "paper"),
            abstract=entry.get("abstract") or entry.get("notes_abstract"),
            authors=[a for a in (entry.get("authors") or entry.get("first_authors") or []) if a],
            year=int(digits) if len(digits) == 4 else None,
            venue=venue,
            url=urls[0] if urls else None,
            doi=entry.get("doi"),
            tags=list(entry.get("keywords") or []),
        )
        item.authors = [_flip(a) for a in item.authors]
        if entry.get("id"):
            item.add_ref(source, str(entry["id"]))
        yield item


def _flip(name: str) -> str:
    """RIS names are 'Family, Given'; the library keeps 'Given Family'."""
    family, sep, given = name.partition(",")
    return f"{given.strip()} {family.strip()}".strip() if sep else name.strip()


def _detect(head: Head) -> bool:
    return bool(re.search(r"^TY  - ", head.text, re.MULTILINE))


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    src = source or default_source(path, "ris")
    return ParsedFile(read(files.read_text(path, MAX_FILE), str(path), src), format="ris", source=src, curated=True)


READER = Reader("ris", ('.ris',), _detect, _load)
