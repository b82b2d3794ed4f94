"""Files in and out, whatever they hold: library records (BibTeX, CSL-JSON, RIS, OPML, Markdown, JSONL,
feeds, PDFs) and spaced-repetition cards (Anki decks). The one entry point `import` and `export` use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO, cast

from layerwise.atomic import atomic_file
from layerwise.errors import LayerwiseError
from layerwise.export import EXPORT_FORMATS, export
from layerwise.library import IngestReport, Library
from layerwise.reinforce import anki, cards

FORMATS_OUT = (*EXPORT_FORMATS, "anki")


def import_file(library: Library, path: str, *, format: str | None = None, source: str | None = None,
                mapping: Mapping[str, str] | None = None,
                on_record: Callable[[int], None] | None = None) -> IngestReport | anki.ImportReport:
    """An Anki deck (.apkg) becomes cards in your reviews; any other file becomes library items."""
    if format is None and anki.is_apkg(path):
        return anki.import_deck(library, path)
    return library.import_file(path, format=format, source=source, mapping=dict(mapping) if mapping else None,
                               on_record=on_record)


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
    if output is None:
        export(library, fmt, stdout, **filters)
        return None
    with atomic_file(output) as out:
        count = export(library, fmt, cast(TextIO, out), **filters)
    what = "feeds" if fmt == "opml" else "items"
    return Exported(count, what, f"wrote {count} {what} to {output}")
