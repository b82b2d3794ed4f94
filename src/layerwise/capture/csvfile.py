"""CSV: Zotero's CSV export, and the spreadsheets reading lists are kept in (a row a paper, a header naming the
columns). Comma-, semicolon- or tab-separated, streamed a row at a time.

Columns are matched to fields by name, ignoring case, spaces and punctuation (`Abstract Note`, `PaperURL`),
under the names JSONL looks for and the ones Zotero writes; `--title-field COLUMN` and the other mappings
name a column outright. A row is then read as a JSONL record is, so the two formats agree on every field.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, islice
from pathlib import Path
from typing import Any

from layerwise import ids
from layerwise.capture import jsonl
from layerwise.capture.contract import Head, ParsedFile, Reader, default_source
from layerwise.capture.files import iter_lines
from layerwise.capture.kinds import guess_kind
from layerwise.errors import LayerwiseError
from layerwise.records import Item, Skip
from layerwise.vocab import KINDS


def normal(column: str) -> str:
    """A column's name as it is matched: lower case, letters and digits only (`Abstract Note` -> abstractnote)."""
    return re.sub(r"[^a-z0-9]", "", column.lower())


# Column names (normalised) for each field, best first: JSONL's names, then Zotero's and reading lists' own. A
# "tags" column holds the user's own tags (as Zotero's "Manual Tags"), not categories as in JSONL.
COLUMNS: dict[str, tuple[str, ...]] = {name: tuple(dict.fromkeys(normal(n) for n in names if n != "tags"))
                                       for name, names in jsonl.FIELDS.items()}
for _field, _extra in {"text": ("abstractnote", "excerpt"), "url": ("paperurl", "paperlink"),
                       "year": ("publicationyear",),
                       "venue": ("publicationtitle", "proceedingstitle", "conferencename")}.items():
    COLUMNS[_field] += _extra

# Zotero's item types (its `Item Type` column) as layerwise's kinds; any other type is a paper.
ZOTERO_KINDS = {"book": "book", "bookSection": "book", "blogPost": "post", "webpage": "post",
                "newspaperArticle": "post", "magazineArticle": "post", "forumPost": "thread",
                "videoRecording": "video", "film": "video", "podcast": "podcast", "audioRecording": "podcast",
                "computerProgram": "repo", "presentation": "talk"}
DELIMITERS = (",", "\t", ";")


def _delimiter(line: str) -> str:
    """The separator that splits the header line into the most columns (a comma when none splits it)."""
    counts = {}
    for d in DELIMITERS:
        try:
            counts[d] = len(next(csv.reader([line], delimiter=d), []))
        except csv.Error:  # a stray carriage return: not a header, which reading or detection then says
            counts[d] = 0
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


def _columns(header: list[str], mapping: Mapping[str, str], where: str) -> dict[str, list[int]]:
    """Each field's columns, best first: the column a mapping names, else those with one of the field's names."""
    positions: dict[str, list[int]] = {}
    for n, column in enumerate(header):
        positions.setdefault(normal(column), []).append(n)
    found = {}
    for name, names in COLUMNS.items():
        if name in mapping:
            if normal(mapping[name]) not in positions:
                raise LayerwiseError(f"no column {mapping[name]!r} for --{name.replace('_', '-')}-field; the header "
                                     f"has: {', '.join(header[:30])}", where=where)
            found[name] = positions[normal(mapping[name])]
        else:
            found[name] = [n for key in names for n in positions.get(key, [])]
    if not found["title"]:
        raise LayerwiseError(f"no title column (the header has: {', '.join(header[:30])}); name it with "
                             "--title-field COLUMN", where=where)
    return found


def _authors(value: str, zotero: bool) -> list[str]:
    """`Last, First; Last, First` (Zotero's way; elsewhere a lone `Last, First` when the family name is one
    word), or what JSONL's author lists take (`A B, C D and E F`)."""
    family = value.partition(",")[0].strip()
    if not zotero and ";" not in value and not (value.count(",") == 1 and " " not in family):
        return jsonl.split_authors(value)
    names = []
    for part in value.split(";"):
        family, comma, given = part.partition(",")
        names.append(f"{given.strip()} {family.strip()}".strip() if comma else part.strip())
    return [n for n in names if n]


def _record(row: list[str], columns: dict[str, list[int]], zotero: bool) -> dict[str, Any]:
    """The row as a JSONL record under JSONL's first name for each field: its first non-empty column."""
    record: dict[str, Any] = {}
    for name, places in columns.items():
        value = _unescaped(next((row[n].strip() for n in places if n < len(row) and row[n].strip()), ""))
        if value:
            record[jsonl.FIELDS[name][0]] = value
    if "authors" in record:
        record["authors"] = _authors(record["authors"], zotero)
    if "categories" in record:
        record["categories"] = [t.strip() for t in re.split(r"[;,]", record["categories"]) if t.strip()]
    return record


# What `layerwise export csv` writes: the fields a spreadsheet shows, under the names this reader takes back.
EXPORT_COLUMNS = ("title", "authors", "year", "published", "venue", "kind", "status", "tags", "url", "arxiv_id", "doi",
                  "abstract", "added_at")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a cell a spreadsheet would run as a formula (CSV injection)


def write_rows(items: Iterable[Item]) -> Iterator[list[str]]:
    """The header, then a row per item. Captured text starting like a formula is written behind a `'`, as
    spreadsheets escape it themselves, so opening the file never runs what a page or feed put in a title."""
    yield list(EXPORT_COLUMNS)
    for item in items:
        values = {"authors": "; ".join(item.authors), "tags": "; ".join(item.tags), "year": item.year or ""}
        yield [_escaped(str(values[c] if c in values else getattr(item, c) or "")) for c in EXPORT_COLUMNS]


def _escaped(text: str) -> str:
    # behind its leading quotes too: a title that is `'=0` itself is written `''=0`, so reading it back takes
    # exactly one quote off
    return f"'{text}" if text.lstrip("'").startswith(FORMULA_START) else text


def _unescaped(text: str) -> str:
    return text[1:] if text[:1] == "'" and text.lstrip("'").startswith(FORMULA_START) else text


def read(path: Path, source: str, mapping: Mapping[str, str] | None = None) -> Iterator[Item | Skip]:
    mapping = {k: v for k, v in (mapping or {}).items() if v}
    if unknown := set(mapping) - set(COLUMNS):
        raise LayerwiseError(f"unknown field mapping {sorted(unknown)}; known: {', '.join(COLUMNS)}")
    where, too_long = str(path), set[int]()

    def lines() -> Iterator[str]:
        for lineno, line in iter_lines(path):
            if line is None:  # over 16 MB, never read into memory: an empty row here, skipped by name below
                too_long.add(lineno)
            elif "\r" in line.rstrip("\r\n"):  # a carriage return alone ends a line (old Mac Excel)
                yield from (piece + "\n" for piece in line.rstrip("\r\n").split("\r"))
                continue
            yield line or "\n"

    text = lines()
    first = next(text, "")
    rows = csv.reader(chain([first], text), delimiter=_delimiter(first))
    try:
        header = next(rows)
    except (csv.Error, StopIteration) as exc:
        raise LayerwiseError(f"the header row is not CSV ({exc})", where=where) from None
    columns = _columns(header, mapping, where)
    kinds = _named(header, "itemtype", "kind")
    tags = _named(header, "manualtags", "tags")  # the user's own tags (Zotero's, or an export's): "a; b"
    extra = _named(header, "extra")  # Zotero's notes field, which may say "arXiv: ID"
    folders = _named(header, "folder", "collection", "collections")  # bookmark services' (Instapaper, Raindrop)
    zotero = bool(_named(header, "itemtype") and _named(header, "key"))
    while True:
        here = f"{where}:{rows.line_num + 1}"
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # a field over csv's limit (131,072 characters)
            yield Skip(here, f"not a CSV row ({exc})")
            continue
        if rows.line_num in too_long:
            yield Skip(here, "line is over 16 MB")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            yield Skip(here, f"{len(row)} columns where the header has {len(header)} (a quote left open?)")
            continue
        row += [""] * (len(header) - len(row))  # trailing empty cells left out, as hand-written files do
        item = jsonl.from_record(_record(row, columns, zotero), source, {})
        if item is None:
            yield Skip(here, f"no title (its {header[columns['title'][0]]!r} is empty)")
            continue
        kind = next((row[n].strip() for n in kinds if row[n].strip()), "")
        if kind:
            item.kind = ZOTERO_KINDS.get(kind, kind if kind in KINDS else "paper")
        else:  # a list with no type column: what its address says (a repo, a video), a paper by default
            item.kind = guess_kind(item.url) if item.url and not (item.arxiv_id or item.doi) else "paper"
        item.tags = [t.strip() for n in tags for t in _split_tags(row[n]) if t.strip()][:20]
        if context := next((row[n].strip() for n in folders if row[n].strip()), ""):
            item.extra["context"] = context
        for n in extra:
            if not item.arxiv_id and (found := re.search(r"arxiv:\s*(\S+)", row[n], re.IGNORECASE)):
                item.arxiv_id = ids.arxiv_id(found.group(1))
        yield item


def _split_tags(cell: str) -> list[str]:
    """Tags as exports write them: "a; b" (Zotero, layerwise), "a|b" (Pocket), else "a, b" (Raindrop)."""
    return cell.split(";") if ";" in cell else cell.split("|") if "|" in cell else cell.split(",")


def _named(header: list[str], *names: str) -> list[int]:
    return [n for n, column in enumerate(header) if normal(column) in names]


def _detect(head: Head) -> bool:
    """A header row naming a title column and at least one other, and a first row as wide."""
    lines = head.text.replace("\r\n", "\n").replace("\r", "\n")
    text = lines.split("\n", 1)[0]
    if "\x00" in head.text[:4096] or len(text) > 20_000:
        return False
    try:
        rows = list(islice(csv.reader(io.StringIO(lines), delimiter=_delimiter(text)), 2))
    except csv.Error:
        return False
    if not rows or len(rows[0]) < 2 or not {normal(c) for c in rows[0]} & set(COLUMNS["title"]):
        return False
    return len(rows) == 1 or len(rows[1]) == len(rows[0])


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    src = source or default_source(path, "csv")
    return ParsedFile(read(path, src, mapping), format="csv", source=src, curated=True)


READER = Reader("csv", (".csv", ".tsv"), _detect, _load, takes_mapping=True)
