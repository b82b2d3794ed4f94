"""Export the library in the formats other tools read; each round-trips through `layerwise import`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TextIO

from layerwise.capture import bibtex, csljson, csvfile, jsonl, opml
from layerwise.errors import LayerwiseError
from layerwise.library import Library
from layerwise.records import Item
from layerwise.store import feeds as feed_rows

# Formats written whole from a list of items; jsonl and csv stream and opml writes the subscriptions.
WRITERS: dict[str, Callable[[list[Item]], str]] = {"bibtex": bibtex.write, "csljson": csljson.write}
EXPORT_FORMATS = ("bibtex", "csljson", "opml", "jsonl", "csv")
CHUNK = 1000


def _all_items(library: Library, filters: dict[str, Any]) -> Iterator[list[Item]]:
    offset = 0
    while True:
        items, _total = library.find(limit=CHUNK, offset=offset, **filters)
        if not items:
            return
        yield items
        offset += CHUNK


def export(library: Library, fmt: str, out: TextIO, **filters: Any) -> int:
    """Write the library (or the items matching filters) to `out`; returns how many records were written."""
    if fmt not in EXPORT_FORMATS:
        raise LayerwiseError(f"unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}")
    if fmt == "opml":
        with library.store.begin() as conn:
            subscriptions = [f.to_dict() for f in feed_rows.all_feeds(conn)]
        out.write(opml.write(subscriptions))
        return len(subscriptions)
    if fmt == "jsonl":  # streamed: a whole library need not fit in memory
        count = 0
        for chunk in _all_items(library, filters):
            for line in jsonl.write_lines(chunk):
                out.write(line)
            count += len(chunk)
        return count
    if fmt == "csv":
        import csv

        rows = csvfile.write_rows(i for chunk in _all_items(library, filters) for i in chunk)
        writer = csv.writer(out)
        writer.writerow(next(rows))
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    items = [i for chunk in _all_items(library, filters) for i in chunk]
    items.sort(key=lambda i: i.id or 0)
    out.write(WRITERS[fmt](items))
    return len(items)
