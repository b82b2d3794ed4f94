"""JSON Lines: arXiv metadata (the Kaggle snapshot and daily listings), layerwise's own export, and any
other JSONL given a field mapping (`--id-field paper_id --title-field title --text-field abstract`).

Fields not named are looked for under common names, so most paper dumps import without flags.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from layerwise import ids
from layerwise.capture.contract import Head, ParsedFile, Reader
from layerwise.capture.files import iter_lines
from layerwise.errors import LayerwiseError
from layerwise.records import Item, Skip
from layerwise.vocab import KINDS, STATUSES

# Each mapped field and the names it is looked for under when not given.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "paper_id", "doc_id", "_id", "uid", "key", "corpus_id"),
    "title": ("title", "name", "paper_title"),
    "text": ("abstract", "summary", "text", "description", "paperAbstract", "content"),
    "authors": ("authors", "author", "creators"),
    "url": ("url", "link", "abs", "site", "html_url", "href"),
    "date": ("published", "date", "list_date", "update_date", "publication_date", "created"),
    "year": ("year",),
    "venue": ("venue", "journal", "conf", "booktitle", "journal-ref"),
    "doi": ("doi", "DOI"),
    "arxiv": ("arxiv", "arxiv_id", "eprint"),
    "categories": ("categories", "keywords", "fields_of_study", "tags"),
    # OpenAlex, Semantic Scholar, the DBLP citation network, Google Scholar counts in paper dumps
    "cited_by": ("cited_by", "cited_by_count", "citationCount", "citation_count", "n_citation", "gs_citation"),
}


def source_for(path: Path, first: dict[str, Any] | None) -> str:
    """arXiv dumps are addressed as arxiv:ID; anything else by the file's name."""
    if first is not None and _is_arxiv_record(first):
        return "arxiv"
    name = path.name
    for suffix in (".gz", ".jsonl", ".ndjson", ".json", ".jl"):
        name = name.removesuffix(suffix)
    return ids.slug(name, 40)


def first_record(path: Path) -> dict[str, Any] | None:
    try:
        for _, line in iter_lines(path):
            if line and line.strip():
                value = json.loads(line)
                return value if isinstance(value, dict) else None
    except (json.JSONDecodeError, RecursionError, LayerwiseError):
        return None
    return None


def _is_arxiv_record(record: dict[str, Any]) -> bool:
    return bool(isinstance(record.get("id"), str) and ids.arxiv_id(record["id"]) and record.get("title")
                and (record.get("abstract") or record.get("summary")))


def read(path: Path, source: str, mapping: dict[str, str] | None = None) -> Iterator[Item | Skip]:
    mapping = {k: v for k, v in (mapping or {}).items() if v}
    unknown = set(mapping) - set(FIELDS)
    if unknown:
        raise LayerwiseError(f"unknown field mapping {sorted(unknown)}; known: {', '.join(FIELDS)}")
    where = str(path)
    for lineno, line in iter_lines(path):
        here = f"{where}:{lineno}"
        if line is None:
            yield Skip(here, "line is over 16 MB")
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skip(here, f"not valid JSON ({exc.msg})")
            continue
        except RecursionError:  # Python's JSON parser recurses per level
            yield Skip(here, "nested deeper than Python parses")
            continue
        if not isinstance(record, dict):
            yield Skip(here, "not a JSON object")
            continue
        if "refs" in record and "kind" in record and "status" in record:
            yield _from_export(record, here)
            continue
        try:
            item = from_record(record, source, mapping)
        except (TypeError, ValueError) as exc:
            yield Skip(here, f"unusable record ({exc})")
            continue
        if item is None:
            missing = mapping.get("title") or "title"
            yield Skip(here, f"no {missing!r} field")
            continue
        yield item


@lru_cache(maxsize=64)
def _present(keys: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Each field's names that records with these keys hold: the records of one file mostly share their keys,
    so a record's fields are looked for under its own names only."""
    held = set(keys)
    return {name: tuple(key for key in names if key in held) for name, names in FIELDS.items()}


def _get(record: dict[str, Any], mapping: dict[str, str], present: dict[str, tuple[str, ...]], name: str) -> Any:
    if name in mapping:
        value: Any = record
        for part in mapping[name].split("."):  # dotted paths reach into nested objects
            value = value.get(part) if isinstance(value, dict) else None
        return value
    for key in present[name]:
        if record[key] not in (None, "", []):
            return record[key]
    return None


def from_record(record: dict[str, Any], source: str, mapping: dict[str, str]) -> Item | None:
    present = _present(tuple(record))
    title = _text(_get(record, mapping, present, "title"))
    if not title:
        return None
    item = Item(title=title, abstract=_text(_get(record, mapping, present, "text")), authors=split_authors(_get(record, mapping, present, "authors")))
    record_id = _get(record, mapping, present, "id")
    arxiv = _text(_get(record, mapping, present, "arxiv"))
    if not arxiv and source == "arxiv" and isinstance(record_id, str):
        arxiv = record_id
    item.arxiv_id = arxiv
    item.doi = _text(_get(record, mapping, present, "doi"))
    url = _get(record, mapping, present, "url")
    item.url = url if isinstance(url, str) and url.startswith(("http://", "https://")) else None
    date = _text(_get(record, mapping, present, "date"))
    if date and re.match(r"\d{4}(-\d{2}){0,2}", date):
        item.published = re.match(r"\d{4}(-\d{2}){0,2}", date).group()  # type: ignore[union-attr]
    year = _get(record, mapping, present, "year")
    if isinstance(year, (int, str)) and str(year).strip()[:4].isdigit():
        item.year = int(str(year).strip()[:4])
    venue = _text(_get(record, mapping, present, "venue"))
    if venue and item.year and "conf" in record and str(item.year) not in venue:
        venue = f"{venue.upper() if len(venue) <= 6 else venue} {item.year}"
    item.venue = venue
    categories = _get(record, mapping, present, "categories")
    if isinstance(categories, str):
        categories = re.split(r"[;,]\s*|\s+(?=[a-z\-]+\.[A-Za-z\-]+\b)", categories)
    item.categories = [str(c) for c in categories or [] if str(c).strip()][:20]
    cited_by = _get(record, mapping, present, "cited_by")
    if isinstance(cited_by, (int, float, str)) and str(cited_by).strip().isdigit():
        item.cited_by = int(str(cited_by).strip())
    if record_id not in (None, "") and not (source == "arxiv" and item.arxiv_id):
        item.add_ref(source, str(record_id))
    return item


def _from_export(record: dict[str, Any], here: str) -> Item | Skip:
    """A line of `layerwise export --format jsonl`: restore everything, including status and tags."""
    if not record.get("title"):
        return Skip(here, "no 'title' field")
    fields: dict[str, Any] = {k: record.get(k) for k in ("abstract", "body", "published", "year", "venue", "url",
                                                         "arxiv_id", "doi", "added_at", "cited_by")}
    item = Item(str(record["title"]), **fields, authors=list(record.get("authors") or []), categories=list(record.get("categories") or []),
                extra=dict(record.get("extra") or {}), tags=list(record.get("tags") or []))
    item.kind = record["kind"] if record.get("kind") in KINDS else "post"
    item.status = record["status"] if record.get("status") in STATUSES else "inbox"
    for ref in record.get("refs") or []:
        source, sep, external = str(ref).partition(":")
        if sep:
            item.add_ref(source, external)
    return item


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):  # abstracts split into sentences
        value = " ".join(str(v) for v in value if v)
    return str(value).strip() or None


def split_authors(value: Any) -> list[str]:
    if isinstance(value, str):
        parts = re.split(r",\s*(?:and\s+)?|\s+and\s+|;\s*", value)
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, list):
        out = []
        for author in value:
            if isinstance(author, dict):
                out.append(str(author.get("name") or " ".join(str(author.get(k, "")) for k in ("given", "family"))).strip())
            elif isinstance(author, list):  # arXiv snapshot's authors_parsed: [last, first, suffix]
                out.append(" ".join(str(p) for p in (author[1:2] + author[:1]) if p))
            else:
                out.append(str(author))
        return [a for a in out if a]
    return []


def write_lines(items: list[Item]) -> Iterator[str]:
    for item in items:
        data = item.to_dict()
        data.pop("id", None)
        data.pop("updated_at", None)
        yield json.dumps(data, ensure_ascii=False) + "\n"


def _detect(head: Head) -> bool:
    # one JSON object per line; a single multi-line object without an "items" list is read as JSONL too,
    # so the error names the line that is not a record
    return head.text.startswith("{") and (head.first_line_is_json or '"items"' not in head.low)


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    src = source or source_for(path, first_record(path))
    return ParsedFile(read(path, src, dict(mapping) if mapping else None), format="jsonl", source=src)


READER = Reader("jsonl", (".jsonl", ".ndjson"), _detect, _load, takes_mapping=True)
