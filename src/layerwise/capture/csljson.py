"""CSL-JSON, the interchange format of Zotero, Mendeley and pandoc citeproc."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from layerwise.capture import files
from layerwise.capture.contract import Head, ParsedFile, Reader, default_source
from layerwise.errors import LayerwiseError
from layerwise.records import Item, Skip

_KINDS = {"book": "book", "chapter": "book", "webpage": "post", "post-weblog": "post", "post": "thread",
          "motion_picture": "video", "broadcast": "podcast", "software": "repo", "speech": "talk"}
_CSL_TYPES = {"paper": "article", "book": "book", "post": "post-weblog", "video": "motion_picture",
              "podcast": "broadcast", "repo": "software", "talk": "speech", "thread": "post", "course": "webpage",
              "page": "webpage"}


MAX_FILE = 128 * 2**20  # parsed whole, as JSON is: a Zotero library of 100,000 items is under this

def read(text: str, where: str, source: str) -> Iterator[Item | Skip]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayerwiseError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", where=where) from None
    except RecursionError:  # Python's JSON parser recurses per level; no bibliography nests this deep
        raise LayerwiseError("not CSL-JSON: nested deeper than Python parses", where=where) from None
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    if not isinstance(data, list):
        raise LayerwiseError("CSL-JSON must be a list of items", where=where)
    for n, record in enumerate(data, 1):
        here = f"{where}: item {n}"
        if not isinstance(record, dict):
            yield Skip(here, "not a JSON object")
            continue
        title = record.get("title")
        if not title or not isinstance(title, str):
            yield Skip(here + (f" ({record.get('id')})" if record.get("id") else ""), "item has no title")
            continue
        year, published = _issued(record.get("issued"))
        item = Item(
            title=title,
            kind=_KINDS.get(str(record.get("type", "")), "paper"),
            abstract=record.get("abstract") if isinstance(record.get("abstract"), str) else None,
            authors=[_name(a) for a in record.get("author", []) if isinstance(a, dict) and _name(a)],
            year=year, published=published,
            venue=record.get("container-title") if isinstance(record.get("container-title"), str) else None,
            url=record.get("URL"), doi=record.get("DOI"),
            tags=[t for t in re.split(r"[;,]", str(record.get("keyword", ""))) if t.strip()],
            extra={"csl_type": record.get("type")} if record.get("type") else {},
        )
        if record.get("id") is not None:
            item.add_ref(source, str(record["id"]))
        yield item


def _name(author: dict[str, Any]) -> str:
    if author.get("literal"):
        return str(author["literal"])
    return " ".join(str(p) for p in (author.get("given"), author.get("non-dropping-particle"), author.get("family")) if p)


def _issued(issued: Any) -> tuple[int | None, str | None]:
    if not isinstance(issued, dict):
        return None, None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        try:
            nums = [int(p) for p in parts[0][:3]]
        except (TypeError, ValueError):
            nums = []
        if nums:
            return nums[0], "-".join([f"{nums[0]:04d}", *(f"{p:02d}" for p in nums[1:])])
    raw = str(issued.get("raw") or issued.get("literal") or "")
    match = re.search(r"\d{4}", raw)
    return (int(match.group()), match.group()) if match else (None, None)


def to_csl(item: Item) -> dict[str, Any]:
    ref = next((r for s, r in item.refs if s not in ("arxiv", "doi")), None) or f"layerwise-{item.id}"
    record: dict[str, Any] = {"id": ref, "type": item.extra.get("csl_type") or _CSL_TYPES.get(item.kind, "article"),
                              "title": item.title}
    if item.authors:
        record["author"] = [_split_name(a) for a in item.authors]
    if item.published or item.year:
        parts = [int(p) for p in (item.published or str(item.year)).split("-")[:3] if p.isdigit()]
        record["issued"] = {"date-parts": [parts]}
    for key, value in (("abstract", item.abstract), ("container-title", item.venue), ("DOI", item.doi),
                       ("URL", item.url)):
        if value:
            record[key] = value
    if item.tags:
        record["keyword"] = ", ".join(item.tags)
    if item.arxiv_id:
        record["note"] = f"arXiv:{item.arxiv_id}"
    return record


def _split_name(name: str) -> dict[str, str]:
    if " " not in name.strip():
        return {"literal": name}
    given, _, family = name.rpartition(" ")
    return {"family": family, "given": given}


def write(items: list[Item]) -> str:
    return json.dumps([to_csl(i) for i in items], ensure_ascii=False, indent=2) + "\n"


def _detect(head: Head) -> bool:
    if head.text.startswith("["):  # a JSON array of records, not a Markdown line such as [![badge](...)](...)
        return bool(re.match(r"\[\s*(\{|\]|$)", head.text))
    # one JSON object whose first line is not a whole record: a CSL-JSON document with an "items" list
    return head.text.startswith("{") and not head.first_line_is_json and '"items"' in head.low


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    src = source or default_source(path, "csljson")
    return ParsedFile(read(files.read_text(path, MAX_FILE), str(path), src), format="csljson", source=src, curated=True)


READER = Reader("csljson", ('.json', '.csl'), _detect, _load)
