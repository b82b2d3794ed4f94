"""Which format a file is in, and reading it: the registry of readers (see capture/contract.py).

A format is recognised from the file's content; the name only breaks ties, when no content rule matched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from layerwise.capture import bibtex, csljson, feeds, files, jsonl, markdown, opml, pdf, ris
from layerwise.capture.contract import Head, ParsedFile, Reader
from layerwise.errors import LayerwiseError

# In order of precedence: the first reader that recognises the head wins.
READERS: tuple[Reader, ...] = tuple(m.READER for m in (pdf, opml, feeds, csljson, jsonl, bibtex, ris, markdown))
FORMATS = tuple(r.name for r in READERS)
_BY_NAME = {r.name: r for r in READERS}


def detect_format(path: Path) -> str:
    head = Head(files.head(path), path.name)
    if head.is_html_page and not any(r.detect(head) for r in (opml.READER, feeds.READER)):
        raise LayerwiseError("this is an HTML page; capture web pages with `layerwise add URL`", where=str(path))
    for reader in READERS:
        if reader.detect(head):
            return reader.name
    for reader in READERS:
        if head.name.endswith(reader.suffixes):
            return reader.name
    raise LayerwiseError("cannot tell the format from the content; name it with --format "
                         f"({', '.join(FORMATS)})", where=str(path))


def read_file(path_text: str, *, format: str | None = None, source: str | None = None,
              mapping: Mapping[str, str] | None = None) -> ParsedFile:
    """Records from a file, in the format given or detected."""
    path = Path(path_text).expanduser()
    files.check_file(path)
    fmt = format or detect_format(path)
    reader = _BY_NAME.get(fmt)
    if reader is None:
        raise LayerwiseError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if source is not None and not re.fullmatch(r"[A-Za-z0-9][\w\-.]*", source):
        raise LayerwiseError(f"--source takes a short name of letters, digits, '-', '_' or '.', not {source!r}")
    if mapping and not reader.takes_mapping:
        raise LayerwiseError("field mappings (--id-field, --title-field, ...) apply to JSONL only")
    return reader.load(path, source, mapping)
