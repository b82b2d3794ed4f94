"""Files in and out, whatever they hold: library records (BibTeX, CSL-JSON, RIS, OPML, Markdown, JSONL,
feeds, PDFs) and spaced-repetition cards (Anki decks). The one entry point `import` and `export` use."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

from layerwise.atomic import atomic_file
from layerwise.errors import DatabaseDamaged, LayerwiseError
from layerwise.export import EXPORT_FORMATS, export
from layerwise.ingest import IngestReport
from layerwise.library import Library
from layerwise.records import Item
from layerwise.reinforce import anki, cards
from layerwise.store import salvage_library

FORMATS_OUT = (*EXPORT_FORMATS, "anki")


def import_file(library: Library, path: str, *, format: str | None = None, source: str | None = None,
                mapping: Mapping[str, str] | None = None,
                on_record: Callable[[int], None] | None = None,
                on_stored: Callable[[Sequence[Item]], None] | None = None) -> IngestReport | anki.ImportReport:
    """An Anki deck (.apkg) becomes cards in your reviews; any other file becomes library items."""
    if format is None and anki.is_apkg(path):
        return anki.import_deck(library, path)
    return library.import_file(path, format=format, source=source, mapping=dict(mapping) if mapping else None,
                               on_record=on_record, on_stored=on_stored)


@dataclass
class Exported:
    count: int
    what: str  # items, feeds, or notes (Anki)
    summary: str


def export_file(library: Library, fmt: str, output: str | None, stdout: TextIO, by: str = "area",
                **filters: Any) -> Exported | None:
    """Write an export to a file (atomically), or to `stdout` when no file is named (then returns None)."""
    if fmt not in FORMATS_OUT:
        raise LayerwiseError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS_OUT)}")
    if fmt == "anki":
        if output is None:
            raise LayerwiseError("an Anki deck is a file: `layerwise export anki cards.apkg`")
        cards.sync(library)
        made = anki.export_deck(library, output, by)
        return Exported(made["notes"], "notes",
                        f"wrote {made['notes']} notes in {made['decks']} decks ({made['media']} media files) to {output}")
    try:
        return _export(library, fmt, output, stdout, **filters)
    except DatabaseDamaged:
        damaged = library.database_file
        if damaged is None:
            raise
        # the way out of a damaged library: every row that can still be read, copied aside and exported from
        # there; the library itself is left as it is for `layerwise repair`
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / "readable.sqlite3"
            salvage_library(damaged, copy)
            rescue = Library(library.home, database_url=f"sqlite:///{copy}")
            try:
                done = _export(rescue, fmt, output, stdout, **filters)
            finally:
                rescue.close()
        note = "the library is damaged: exported every row that could be read; `layerwise repair` mends it"
        return Exported(done.count, done.what, f"{done.summary} ({note})") if done else Exported(0, "items", note)


def _export(library: Library, fmt: str, output: str | None, stdout: TextIO, **filters: Any) -> Exported | None:
    if output is None:  # written whole or not at all: a failure half-way must not leave half an export printed
        with tempfile.TemporaryFile("w+", encoding="utf-8") as buffer:
            export(library, fmt, buffer, **filters)
            buffer.seek(0)
            shutil.copyfileobj(buffer, stdout)
        return None
    with atomic_file(output) as out:
        count = export(library, fmt, cast(TextIO, out), **filters)
    what = "feeds" if fmt == "opml" else "items"
    return Exported(count, what, f"wrote {count} {what} to {output}")
