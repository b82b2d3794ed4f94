"""The importer contract: every file format is a module in capture/ that ends with a `READER`, telling its
name, the file suffixes it is known by, how to recognise its content from a file's head, and how to load a
file into records. `capture/formats.py` finds the format of a file through these readers, in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from layerwise import ids
from layerwise.records import Item, Skip


@dataclass(frozen=True)
class Head:
    """The first bytes of a file (decompressed when gzipped) and its name: all that detection may read."""

    data: bytes
    filename: str

    @cached_property
    def name(self) -> str:
        """The file name in lower case, without .gz."""
        return self.filename.lower().removesuffix(".gz")

    @cached_property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")

    @cached_property
    def low(self) -> str:
        """The start of the text in lower case, for tag and keyword checks."""
        return self.text[:2000].lower()

    @cached_property
    def first_line_is_json(self) -> bool:
        try:
            json.loads(self.text.split("\n", 1)[0].strip())
        except ValueError:
            return False
        return True

    @property
    def is_html_page(self) -> bool:
        """A web page saved to a file: layerwise captures those with `add FILE` or `add URL`, not `import`."""
        return self.text.startswith("<") and ("<html" in self.low or "<!doctype html" in self.low)

    @property
    def is_web_archive(self) -> bool:
        """A page saved as one MIME file with its images (MHTML: Chrome's and Edge's "Webpage, Single File")."""
        return "mime-version:" in self.low and "multipart/related" in self.low


@dataclass
class FeedEntry:
    """A subscription listed in a file (OPML), before it is fetched."""

    url: str
    title: str | None = None
    site_url: str | None = None
    category: str | None = None


@dataclass
class ParsedFile:
    records: Iterable[Item | Skip]
    feeds: list[FeedEntry] | None = None  # OPML: subscriptions instead of items
    format: str = ""
    source: str = ""
    curated: bool = False  # a list someone chose (a reading list, a bibliography): it endorses each record


@dataclass(frozen=True)
class Reader:
    name: str
    suffixes: tuple[str, ...]
    detect: Callable[[Head], bool]
    load: Callable[[Path, str | None, Mapping[str, str] | None], ParsedFile]
    takes_mapping: bool = False  # field mappings (--id-field, ...) apply to this format


def default_source(path: Path, fmt: str) -> str:
    """A source name from the file name: `papers.bib` -> papers."""
    name = path.name
    for suffix in (".gz", ".bib", ".bibtex", ".json", ".csl", ".ris", ".opml", ".md", ".markdown", ".xml", ".csv",
                   ".tsv", ".html", ".htm"):
        name = name.removesuffix(suffix)
    return ids.slug(name, 40) or fmt
