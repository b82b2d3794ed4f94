"""The notes vault: one Markdown file per item (and per concept the user writes about) in `notes/` in the home,
readable in any editor or Obsidian: YAML front matter, `[[concept-slug]]` links, and four sections.

What the user writes is never overwritten. layerwise creates a note once; later it only updates the front
matter keys it owns (layer, updated) of a note that parses, and appends a summary the user typed inline. A
note whose front matter does not parse is left exactly as it is and reported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerwise.atomic import write_atomically
from layerwise.errors import NoteConflict, NotFound

if TYPE_CHECKING:
    from layerwise.library import Library
    from layerwise.records import Item

SECTIONS = ("What I know", "What I don't know", "Terms that didn't make sense", "Summary")
OWNED_KEYS = ("layer", "updated")  # front matter keys layerwise may change after creating a note
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}


@dataclass
class Note:
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    error: str | None = None  # why the front matter could not be read; the file is left as it is

    def section(self, name: str) -> str:
        return sections(self.body).get(name.lower(), "")

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.path.stem)


def vault(library: Library) -> Path:
    path = library.desk.path / "notes"
    path.mkdir(parents=True, exist_ok=True)  # recreated if the user deleted the folder
    return path


def safe_name(text: str, limit: int = 60) -> str:
    """A file name that works on every OS: ASCII words joined by dashes, no reserved names."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    name = "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))[:limit].rstrip("-") or "note"
    return f"{name}-note" if name in _RESERVED else name


def read(path: Path) -> Note:
    import frontmatter
    import yaml

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # saved in another encoding: read for search, never written back
        return Note(path, {}, raw.decode("utf-8", errors="replace"), error=f"not UTF-8 text (byte {exc.start})")
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        return Note(path, {}, text, error=f"front matter is not valid YAML ({str(exc).splitlines()[0]})")
    if not isinstance(post.metadata, dict):
        return Note(path, {}, text, error="front matter is not a mapping")
    return Note(path, dict(post.metadata), post.content)


def sections(body: str) -> dict[str, str]:
    """Text under each `## Heading`, keyed by the lower-cased heading."""
    out: dict[str, str] = {}
    current = None
    for line in body.splitlines():
        heading = re.match(r"^##\s+(.+?)\s*$", line)
        if heading:
            current = heading.group(1).strip().lower().replace("’", "'")
            out.setdefault(current, "")
        elif current is not None:
            out[current] += line + "\n"
    return {k: v.strip() for k, v in out.items()}


def all_notes(library: Library) -> list[Note]:
    return [read(p) for p in sorted(vault(library).rglob("*.md"))]


def find_item_note(library: Library, item_id: int) -> Path | None:
    root = vault(library)
    for path in root.glob(f"*-{item_id}.md"):
        return path
    for note in all_notes(library):  # renamed by the user: found by its front matter
        if str(note.meta.get("ref", "")) == str(item_id):
            return note.path
    return None


def item_note(library: Library, item: Item, concepts: list[str], layer: str) -> Path:
    """The item's note, created from the template if it does not exist yet."""
    existing = find_item_note(library, item.library_id)
    if existing is not None:
        update_meta(existing, layer=layer)
        return existing
    meta = {"ref": item.id, "title": item.title, "url": item.url or "", "kind": item.kind, "concepts": concepts,
            "layer": layer, "created": date.today().isoformat(), "updated": date.today().isoformat()}
    return _create(vault(library) / f"{safe_name(item.title)}-{item.id}.md", meta, item.title, concepts)


def concept_note_path(library: Library, slug: str) -> Path:
    """Where a concept's note lives (whether or not it was written yet)."""
    return vault(library) / "concepts" / f"{safe_name(slug)}.md"


def relative(library: Library, path: Path) -> str:
    """A note's path as the vault sees it (what `note_path` takes back), with forward slashes."""
    return path.relative_to(vault(library)).as_posix()


def concept_note(library: Library, slug: str, name: str, layer: str) -> Path:
    """The concept's note, created from the template if it does not exist yet."""
    path = concept_note_path(library, slug)
    if path.exists():
        update_meta(path, layer=layer)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"concept": slug, "title": name, "layer": layer, "created": date.today().isoformat(),
            "updated": date.today().isoformat()}
    return _create(path, meta, name, [slug])


def _create(path: Path, meta: dict[str, Any], title: str, concepts: list[str]) -> Path:
    import frontmatter

    links = " ".join(f"[[{c}]]" for c in concepts)
    body = f"# {title}\n\n" + (f"Concepts: {links}\n\n" if links else "") + \
        "".join(f"## {name}\n\n\n" for name in SECTIONS)
    _write_new(path, frontmatter.dumps(frontmatter.Post(body, **meta), sort_keys=False) + "\n")
    return path


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet (never replace one a user may have created meanwhile)."""
    with open(path, "x", encoding="utf-8", newline="\n") as f:
        f.write(text)


def update_meta(path: Path, **values: Any) -> bool:
    """Set front matter keys layerwise owns, keeping the body byte for byte; False if the note cannot be read."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return False
    head = re.match(r"^---\r?\n(.*?)\r?\n---(\r?\n|$)", text, re.DOTALL)
    if not head:
        return False
    try:
        meta = yaml.safe_load(head.group(1)) or {}
    except yaml.YAMLError:
        return False
    if not isinstance(meta, dict):
        return False
    changes = {k: v for k, v in {**values, "updated": date.today().isoformat()}.items() if k in OWNED_KEYS}
    if all(str(meta.get(k)) == str(v) for k, v in changes.items()):
        return True
    meta.update(changes)
    dumped = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    _replace(path, "---\n" + dumped + "---" + head.group(2) + text[head.end():])
    return True


def append_to_section(path: Path, name: str, text: str) -> None:
    """Append text at the end of a section (creating the section if missing); nothing else changes."""
    content = path.read_text(encoding="utf-8")
    lines = content.splitlines(keepends=True)
    pattern = re.compile(rf"^##\s+{re.escape(name)}\s*$", re.IGNORECASE)
    start = next((i for i, line in enumerate(lines) if pattern.match(line)), None)
    if start is None:
        _replace(path, content.rstrip("\n") + f"\n\n## {name}\n\n{text.strip()}\n")
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    last = end
    while last > start + 1 and not lines[last - 1].strip():
        last -= 1
    if not lines[last - 1].endswith("\n"):
        lines[last - 1] += "\n"
    _replace(path, "".join(lines[:last]) + "\n" + text.strip() + "\n" + ("\n" if end < len(lines) else "")
             + "".join(lines[end:]))


def version(path: Path) -> str:
    """A short fingerprint of a note's bytes: an editor sends it back so a save never overwrites a newer file."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else ""


def note_path(library: Library, relative: str) -> Path:
    """A note's path from its path relative to the vault; NotFound for anything outside it or missing."""
    if "\x00" in relative:  # no file has one: the OS would refuse the name with ValueError
        raise NotFound(f"no note {relative!r} in the vault")
    root = vault(library).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path.suffix != ".md" or not path.is_file():
        raise NotFound(f"no note {relative!r} in the vault")
    return path


def save_edit(path: Path, text: str, base: str) -> str:
    """Replace a note with the text the user edited (from `base`, the version they started from); returns the new
    version. If the file changed since (edited in another editor), nothing is written: NoteConflict."""
    if version(path) != base:
        raise NoteConflict(f"{path.name} changed on disk since you opened it; your text was not saved over it")
    _replace(path, text.replace("\r\n", "\n"))
    return version(path)


def _replace(path: Path, text: str) -> None:
    write_atomically(str(path), text.encode("utf-8"))


def search(library: Library, query: str | None = None) -> list[dict[str, Any]]:
    """Notes, most recently updated first; with a query, only notes containing every word, best match first."""
    words = [w.casefold() for w in re.findall(r"\w+", query or "")]
    out = []
    root = vault(library)
    for note in all_notes(library):
        text = (note.title + "\n" + note.body).casefold()
        hits = [text.count(w) for w in words]
        if words and not all(hits):
            continue
        out.append({"path": str(note.path.relative_to(root)), "title": note.title, "ref": note.meta.get("ref"),
                    "concept": note.meta.get("concept"), "concepts": note.meta.get("concepts", []),
                    "layer": note.meta.get("layer"), "updated": str(note.meta.get("updated", "")),
                    "score": sum(hits), "error": note.error,
                    "written": sum(1 for s in SECTIONS if note.section(s))})
    out.sort(key=lambda n: (-n["score"], n["updated"]) if words else (n["updated"], n["title"]), reverse=not words)
    return out
