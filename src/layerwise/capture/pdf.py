"""PDFs: title, authors and date from the document info and its first pages (pypdf, no network)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from layerwise import ids
from layerwise.capture import citations, files
from layerwise.capture.contract import Head, ParsedFile, Reader, default_source
from layerwise.errors import LayerwiseError
from layerwise.records import Item

FIRST_PAGES = 2
REFERENCE_PAGES = 12  # a reference section runs over the last few pages; appendices can follow it
_BAD_TITLES = re.compile(r"^(untitled|microsoft word|document\d*|slide \d+|\S+\.(docx?|pdf|tex|dvi))", re.IGNORECASE)
_ARXIV_STAMP = re.compile(r"arXiv:(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")


def parse(data: bytes, where: str, url: str | None = None) -> Item:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise LayerwiseError("the PDF is encrypted", where=where) from None
        meta: Mapping[str, Any] = reader.metadata or {}
        text = "\n".join((page.extract_text() or "") for page in reader.pages[:FIRST_PAGES])
        pages = len(reader.pages)
        # the reference section is at the end: the last pages, read only as far as the document's own length
        tail = "\n".join((page.extract_text() or "") for page in reader.pages[max(FIRST_PAGES, pages - REFERENCE_PAGES):])
    except LayerwiseError:
        raise
    except Exception as exc:  # only pypdf runs here, on untrusted bytes: any failure means an unreadable file
        raise LayerwiseError(f"not a readable PDF ({type(exc).__name__}: {exc})", where=where) from None
    title = (meta.get("/Title") or "").strip() if isinstance(meta.get("/Title"), str) else ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not title or _BAD_TITLES.match(title) or len(title) < 6:
        title = _title_from_text(lines) or ""
    if not title:
        title = where.rsplit("/", 1)[-1].removesuffix(".pdf")
    author = meta.get("/Author") if isinstance(meta.get("/Author"), str) else ""
    front = citations.before_references(text)  # the paper's own ids, not those of the works it cites
    stamp = _ARXIV_STAMP.search(front)
    doi = _DOI.search(front)
    created = meta.get("/CreationDate") if isinstance(meta.get("/CreationDate"), str) else ""
    date = re.match(r"D:(\d{4})(\d{2})?(\d{2})?", created or "")
    published = "-".join(p for p in date.groups() if p) if date else None
    abstract = _abstract(text)
    return Item(title=title, kind="paper", url=url, abstract=abstract, body=text[:100_000] or None,
                authors=[a.strip() for a in re.split(r";|,|\band\b", author) if a.strip()] if author else [],
                arxiv_id=stamp.group(1) if stamp else None, doi=ids.doi(doi.group(1)) if doi else None,
                published=published, extra={"pages": pages}, cites=citations.from_text(text + "\n" + tail))


def _title_from_text(lines: list[str]) -> str | None:
    """The first substantial line(s) of page one; arXiv stamps and running heads skipped."""
    picked: list[str] = []
    for line in lines[:12]:
        if _ARXIV_STAMP.search(line) or re.match(r"^(preprint|published|proceedings|journal|vol\.|\d+$)", line, re.I):
            continue
        if len(line) < 4:
            continue
        picked.append(line)
        if len(" ".join(picked)) > 40 or len(picked) == 2:
            break
    return " ".join(picked)[:300] or None


def _abstract(text: str) -> str | None:
    match = re.search(r"\bAbstract\b[\s.:—-]*(.{100,2500}?)(?:\n\s*\n|\n\s*(?:1\.?\s+)?Introduction\b|$)", text,
                      re.IGNORECASE | re.DOTALL)
    return " ".join(match.group(1).split()) if match else None


def parse_file(path: Path) -> Item:
    """A PDF on disk, remembered by its absolute path (`file:PATH` finds it again)."""
    item = parse(files.read_bytes(path), str(path))
    item.add_ref("file", str(path.resolve()))
    return item


def _detect(head: Head) -> bool:
    return head.data.startswith(b"%PDF-")


def _load(path: Path, source: str | None, mapping: Mapping[str, str] | None) -> ParsedFile:
    return ParsedFile([parse_file(path)], format="pdf", source=source or default_source(path, "pdf"))


READER = Reader("pdf", (), _detect, _load)  # only by content: a .pdf name alone says nothing
