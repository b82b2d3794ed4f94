"""Which format a file is in, and reading it: the registry of readers (see capture/contract.py).

A format is recognised from the file's content; the name only breaks ties, when no content rule matched.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Mapping
from pathlib import Path

from layerwise.capture import files
from layerwise.capture.contract import Head, ParsedFile, Reader
from layerwise.errors import LayerwiseError

# Each format and the module in layerwise.capture that reads it, in order of precedence: the first reader that
# recognises a file's head wins. A module is imported when a file is first read, not with the library: most
# commands read no file, and importing eight parsers cost each of them 30 ms.
READER_MODULES = {"pdf": "pdf", "opml": "opml", "feed": "feeds", "bookmarks": "bookmarks", "csljson": "csljson",
                  "jsonl": "jsonl", "bibtex": "bibtex", "ris": "ris", "csv": "csvfile", "markdown": "markdown"}
FORMATS = tuple(READER_MODULES)


@functools.cache
def readers() -> dict[str, Reader]:
    """Every format's reader, by name, in order of precedence."""
    loaded = {name: importlib.import_module(f"layerwise.capture.{module}").READER
              for name, module in READER_MODULES.items()}
    return {name: reader for name, reader in loaded.items() if reader.name == name}


def detect_format(path: Path) -> str:
    head = Head(files.head(path), path.name)
    if not head.text.strip():
        raise LayerwiseError("the file is empty: nothing to import", where=str(path))
    known = readers()
    page = head.is_html_page and not any(known[name].detect(head) for name in ("opml", "feed", "bookmarks"))
    if page or head.is_web_archive:
        raise LayerwiseError("this is a saved web page; capture it with `layerwise add FILE` (or its address with "
                             "`layerwise add URL`)", where=str(path))
    for reader in known.values():
        if reader.detect(head):
            return reader.name
    for reader in known.values():
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
    if format and not files.head(path).strip():
        raise LayerwiseError("the file is empty: nothing to import", where=str(path))
    reader = readers().get(fmt)
    if reader is None:
        raise LayerwiseError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if source is not None and not re.fullmatch(r"[A-Za-z0-9][\w\-.]*", source):
        raise LayerwiseError(f"--source takes a short name of letters, digits, '-', '_' or '.', not {source!r}")
    if mapping and not reader.takes_mapping:
        raise LayerwiseError("field mappings (--id-field, --title-field, ...) apply to JSONL and CSV only")
    return reader.load(path, source, mapping)
