"""The glossary of recurring terms: words that didn't make sense, collected from the notes' "Terms that didn't
make sense" sections, counted across the items the user read, and defined in the user's own words in
`notes/glossary.md` (one `## term` section each, with `[[concept-slug]]` links). layerwise counts and
surfaces; it never writes a definition."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from layerwise.concepts.graph import load
from layerwise.concepts.overlay import OVERLAY, concept_map
from layerwise.errors import LayerwiseError, NotFound
from layerwise.store import sessions as session_rows
from layerwise.store import statuses as status_rows
from layerwise.study import notes
from layerwise.study.notes import _replace, append_to_section, find_item_note, read, safe_name, vault

if TYPE_CHECKING:
    from pathlib import Path

    from layerwise.library import Library

FILE = "glossary.md"
HEADER = ("# Glossary\n\nTerms from your notes, defined in your own words. `layerwise glossary` counts where they "
          "recur; `[[slug]]` links a term to a concept.\n")
TERMS_SECTION = "Terms that didn't make sense"
RECURRING = 2  # seen in this many items or more and still undefined: surfaced
STUDIED = ("reading", "done")


@dataclass
class Term:
    term: str
    notes: list[str] = field(default_factory=list)  # titles of the notes that list it
    items: int = 0  # items read that mention it: notes that list it, plus studied items whose text has it
    definition: str = ""
    concepts: list[str] = field(default_factory=list)

    @property
    def defined(self) -> bool:
        return bool(self.definition)


def key(term: str) -> str:
    return " ".join(re.sub(r"[*_`\[\]]", "", term).casefold().split())


def _clean(term: str) -> str:
    return " ".join(re.sub(r"[*_`]|\[\[|\]\]", "", term).split())


def from_notes(library: Library) -> dict[str, tuple[str, list[str], str]]:
    """key -> (term as first written, titles of notes listing it, a definition written beside it)."""
    found: dict[str, tuple[str, list[str], str]] = {}
    for note in notes.all_notes(library):
        if note.path.name == FILE:
            continue
        for line in note.section(TERMS_SECTION).splitlines():
            bullet = re.match(r"^\s*(?:[-*+]|\d+[.)])\s+(.+)$", line)
            if not bullet:
                continue
            term, _, definition = _split(bullet.group(1))
            if not key(term):
                continue
            first, titles, known = found.get(key(term), (_clean(term), [], ""))
            found[key(term)] = (first, titles + [note.title], known or definition.strip())
    return found


def _split(text: str) -> tuple[str, str, str]:
    parts = re.split(r"\s*(?::|\s[-—]\s)\s*", text, maxsplit=1)
    return (parts[0], ":", parts[1]) if len(parts) == 2 else (parts[0], "", "")


def glossary_path(library: Library) -> Path:
    return vault(library) / FILE


def _entries(library: Library) -> dict[str, tuple[str, str, list[str]]]:
    """key -> (term, definition, concept slugs) from glossary.md."""
    path = glossary_path(library)
    if not path.exists():
        return {}
    out: dict[str, tuple[str, str, list[str]]] = {}
    term, lines = None, []  # type: ignore[var-annotated]
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines() + ["## "]:
        heading = re.match(r"^##\s+(.*?)\s*$", line)
        if heading:
            if term:
                text = "\n".join(lines)
                slugs = re.findall(r"\[\[([^\]|#]+)", text)
                definition = "\n".join(ln for ln in lines if not re.fullmatch(r"\s*(\[\[[^\]]+\]\]\s*)+", ln)).strip()
                out[key(term)] = (term, definition, slugs)
            term, lines = heading.group(1), []
        elif term is not None:
            lines.append(line)
    return out


def terms(library: Library) -> list[Term]:
    """Every term, recurring undefined ones first, then by how many items mention it."""
    listed = from_notes(library)
    entries = _entries(library)
    out = []
    studied = _studied_ids(library)
    for k in sorted(set(listed) | set(entries)):
        written, titles, inline = listed.get(k, ("", [], ""))
        term, definition, slugs = entries.get(k, (written, "", []))
        mentioned = _mentions(library, term or written, studied)
        out.append(Term(term or written, titles, len(set(titles)) + len(mentioned), definition or inline, slugs))
    out.sort(key=lambda t: (not (not t.defined and t.items >= RECURRING), -t.items, t.term.casefold()))
    return out


def _studied_ids(library: Library) -> set[int]:
    with library.store.begin() as conn:
        return status_rows.ids_with(conn, ("reading", "done")) | session_rows.studied_item_ids(conn)


def _mentions(library: Library, term: str, studied: set[int]) -> set[int]:
    """Studied items without a note listing the term whose title or abstract contains it."""
    words = re.findall(r"\w+", term.casefold())
    if not words or not studied:
        return set()
    with library.store.begin() as conn:
        items = library.store.items(conn, sorted(studied))
    phrase = re.compile(r"\b" + r"\W+".join(map(re.escape, words)) + r"s?\b")
    hits = {i.id for i in items if phrase.search(f"{i.title} {i.abstract or ''}".casefold())}
    listed = {i for i in hits if i is not None and _note_lists(find_item_note(library, i), term)}
    return {i for i in hits if i is not None} - listed


def _note_lists(path: Path | None, term: str) -> bool:
    if path is None:
        return False

    return key(term) in {key(_split(m)[0]) for m in re.findall(r"^\s*(?:[-*+]|\d+[.)])\s+(.+)$",
                                                             read(path).section(TERMS_SECTION), re.MULTILINE)}


def surfaced(found: list[Term]) -> list[str]:
    """One line per recurring undefined term, as the user should see it."""
    return [f"'{t.term}': in {t.items} items you read, still undefined" for t in found
            if not t.defined and t.items >= RECURRING]


def _edit(library: Library, term: str, add: str) -> None:
    """Append lines to a term's section of glossary.md (creating the file or section), nothing else changes."""
    path = glossary_path(library)
    if not path.exists():
        _replace(path, HEADER)
    existing = _entries(library).get(key(term))
    append_to_section(path, existing[0] if existing else _clean(term), add)


def define(library: Library, term: str, definition: str) -> None:
    if not key(term) or not definition.strip():
        raise LayerwiseError("give a term and your definition: layerwise glossary define TERM \"...\"")
    _edit(library, term, definition.strip())


def link(library: Library, term: str, slug: str) -> None:
    if slug not in concept_map(library).concepts:
        raise NotFound(f"no concept {slug!r} (see `layerwise map frontier`, or `layerwise glossary promote`)")
    _edit(library, term, f"[[{slug}]]")


def promote(library: Library, term: str, area: str, slug: str | None = None) -> str:
    """Make a term a concept of the user's map (the overlay file), linked from the glossary; returns the slug."""
    import tomllib

    import tomli_w

    entry = next((t for t in terms(library) if key(t.term) == key(term)), None)
    if entry is None:
        raise NotFound(f"no term {term!r} in your notes or glossary")
    slug = slug or safe_name(entry.term)
    cmap = concept_map(library)
    if slug in cmap.concepts:
        raise LayerwiseError(f"concept {slug!r} exists already: `layerwise glossary link {term!r} {slug}`")
    overlay = library.home.path / OVERLAY
    try:
        before = overlay.read_text(encoding="utf-8") if overlay.exists() else ""
    except UnicodeDecodeError:
        raise LayerwiseError("not UTF-8 text, as TOML must be: save it as UTF-8 first", where=str(overlay)) from None
    table: dict[str, Any] = {"slug": slug, "name": entry.term, "area": area, "aliases": [entry.term],
                             "description": entry.definition.splitlines()[0] if entry.definition else ""}
    tomllib.loads(tomli_w.dumps({"concept": [table]}))  # a term TOML cannot hold fails here, not in the file
    overlay.write_text(before + ("\n" if before and not before.endswith("\n") else "") +
                       "\n" + tomli_w.dumps({"concept": [table]}), encoding="utf-8")
    try:
        load(overlay)
    except LayerwiseError:
        overlay.write_text(before, encoding="utf-8")  # the user's overlay stays as it was
        raise
    link(library, term, slug)
    return slug


def as_dict(t: Term) -> dict[str, Any]:
    return {"term": t.term, "items": t.items, "notes": t.notes, "defined": t.defined, "definition": t.definition,
            "concepts": t.concepts}
