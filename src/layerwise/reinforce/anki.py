"""Anki interop. Export: the user's cards as an .apkg (genanki), one deck per area or per concept, basic cards
as Basic notes and cloze cards as Cloze notes, with stable GUIDs so a re-export updates rather than
duplicates. Import: the decks users already have (.apkg with collection.anki2 or .anki21), every note's
fields kept as they are, media files extracted into the home, one card per note (one per deletion for cloze
notes); re-importing a deck updates its cards and keeps their review history."""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from layerwise.atomic import write_atomically
from layerwise.capture.html_text import image_sources, to_text
from layerwise.errors import LayerwiseError
from layerwise.reinforce.cards import new_state
from layerwise.store import cards as card_rows

if TYPE_CHECKING:
    from layerwise.library import Library

MAX_UNPACKED = 512 * 1024 * 1024  # an .apkg that unpacks beyond this is refused (zip bombs)
FIELD_SEPARATOR = "\x1f"
ANKI_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::[^}]*)?\}\}", re.DOTALL)


@dataclass
class ImportReport:
    deck_names: list[str] = field(default_factory=list)
    notes: int = 0
    added: int = 0
    updated: int = 0
    media: int = 0
    note_types: dict[str, int] = field(default_factory=dict)  # note type name -> notes

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {name}" for name, n in self.note_types.items())
        return (f"{self.notes} notes ({kinds}) from {', '.join(self.deck_names) or 'no deck'}: {self.added} cards added, "
                f"{self.updated} updated, {self.media} media files kept")


def is_apkg(path: str) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return bool(names & {"collection.anki2", "collection.anki21", "collection.anki21b"})


def _text(html: str) -> str:
    return (to_text(html, image="[image]") or "").strip()


def media_dir(library: Library) -> Path:
    path = library.desk.path / "media"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_deck(library: Library, path: str) -> ImportReport:
    """Cards from an Anki package; the library's cards from other sources are untouched."""
    report = ImportReport()
    origin = f"anki:{Path(path).name}"
    try:
        with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory() as tmp:
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED:
                raise LayerwiseError("unpacks to more than 512 MB; refusing it", where=path)
            budget = _Budget(MAX_UNPACKED, path)  # the sizes above are the archive's word; this counts what comes out
            names = set(z.namelist())
            collection = next((n for n in ("collection.anki21", "collection.anki2") if n in names), None)
            if collection is None:
                if "collection.anki21b" in names:
                    raise LayerwiseError("this deck uses Anki's newest format only; export it again from Anki with "
                                         "'Support older Anki versions' ticked", where=path)
                raise LayerwiseError("not an Anki package (no collection inside)", where=path)
            _unpack(z, collection, Path(tmp) / "collection", budget)
            notes, decks = _read_collection(Path(tmp) / "collection", path)
            media_map = _media_list(z, names, Path(tmp) / "media", budget, path)
            target = media_dir(library) / re.sub(r"[^\w.-]+", "_", Path(path).stem)
            for number, filename in media_map.items():
                safe = PurePosixPath(str(filename)).name  # never a path out of the media folder
                if str(number) in names and safe and safe not in (".", ".."):
                    target.mkdir(parents=True, exist_ok=True)
                    _unpack(z, str(number), target / safe, budget)
                    report.media += 1
    except zipfile.BadZipFile:
        raise LayerwiseError("not a valid .apkg (a zip archive) or it is damaged", where=path) from None
    except (sqlite3.DatabaseError, json.JSONDecodeError, KeyError, UnicodeDecodeError) as exc:
        raise LayerwiseError(f"the deck's collection cannot be read ({exc})", where=path) from None
    report.deck_names = sorted(decks)
    drafted = []
    for note in notes:
        report.notes += 1
        report.note_types[note["model"]] = report.note_types.get(note["model"], 0) + 1
        for ordinal, question, answer in _cards_of(note):
            drafted.append((note["id"] * 100 + ordinal, question, answer, note))
    _store(library, origin, drafted, report)
    return report


class _Budget:
    """How many bytes may still come out of the archive, counted as they are inflated."""

    def __init__(self, limit: int, where: str) -> None:
        self.left, self.where = limit, where

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise LayerwiseError(f"unpacks to more than {MAX_UNPACKED // 2**20} MB; refusing it", where=self.where)


def _unpack(z: zipfile.ZipFile, name: str, dest: Path, budget: _Budget) -> None:
    """One member to a file, a megabyte at a time: a member whose header understates its size (a zip bomb)
    is stopped by the budget or by its checksum, never inflated whole into memory."""
    with z.open(name) as member, open(dest, "wb") as out:
        while chunk := member.read(1 << 20):
            budget.take(len(chunk))
            out.write(chunk)


def _media_list(z: zipfile.ZipFile, names: set[str], scratch: Path, budget: _Budget, where: str) -> dict[str, str]:
    """The deck's `media` file: a JSON object of member number -> file name (anything else is refused)."""
    if "media" not in names:
        return {}
    _unpack(z, "media", scratch, budget)
    listed = json.loads(scratch.read_text(encoding="utf-8") or "{}")
    if not isinstance(listed, dict):
        raise LayerwiseError("the deck's media list is not a list of files by number; its cards can be imported from a "
                             "copy exported again from Anki", where=where)
    return {str(k): str(v) for k, v in listed.items()}


def _read_collection(db: Path, where: str) -> tuple[list[dict[str, Any]], set[str]]:
    """The notes of a deck's collection. Its JSON is the file's word: a note type or deck of another shape is
    read as unknown rather than trusted (a damaged deck is one clear error, never a crash)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        models, decks = (_settings(conn, column, where) for column in ("models", "decks"))
        deck_of = {nid: did for nid, did in conn.execute("SELECT nid, min(did) FROM cards GROUP BY nid")}
        notes: list[dict[str, Any]] = []
        for nid, mid, flds, tags in conn.execute("SELECT id, mid, flds, tags FROM notes ORDER BY id"):
            model = _mapping(models.get(str(mid))) or {"name": "unknown note type"}
            names = [str(f["name"]) if "name" in f else f"Field {n + 1}"
                     for n, f in enumerate(map(_mapping, _sequence(model.get("flds"))))]
            values = str(flds or "").split(FIELD_SEPARATOR)
            names += [f"Field {n + 1}" for n in range(len(names), len(values))]
            deck = str(_mapping(decks.get(str(deck_of.get(nid)))).get("name", "Default"))
            # the fields each card template asks with ({{Front}}; not {{type:Back}}, the typing box)
            asks = [[f.strip() for f in re.findall(r"\{\{([^}#/^:]+)\}\}", str(t.get("qfmt") or ""))
                     if f.strip() in names] for t in map(_mapping, _sequence(model.get("tmpls")))]
            notes.append({"id": int(nid), "model": str(model.get("name", "unknown note type")),
                          "cloze": model.get("type") == 1, "fields": dict(zip(names, values)),
                          "tags": str(tags or "").split(), "deck": deck, "asks": [a for a in asks if a]})
    finally:
        conn.close()
    return notes, {n["deck"] for n in notes}


def _settings(conn: sqlite3.Connection, column: str, where: str) -> dict[str, Any]:
    """The collection's note types or decks: a JSON object by id."""
    row = conn.execute(f"SELECT {column} FROM col").fetchone()  # column: one of two names, never input
    value = json.loads(row[0]) if row and row[0] else None
    if not isinstance(value, dict):
        raise LayerwiseError(f"the deck's collection cannot be read (its {column} are not a JSON object)", where=where)
    return value


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _cards_of(note: dict[str, Any]) -> list[tuple[int, str, str]]:
    """(ordinal, question, answer) for a note: one per cloze number, else the first field against the rest."""
    values = list(note["fields"].values())
    if note["cloze"] or (values and ANKI_CLOZE.search(values[0])):
        source = values[0] if values else ""
        numbers = sorted({int(m.group(1)) for m in ANKI_CLOZE.finditer(source)})
        out = []
        for number in numbers:
            question = ANKI_CLOZE.sub(lambda m: "[...]" if int(m.group(1)) == number else m.group(2), source)  # noqa: B023 (used at once)
            answer = " / ".join(m.group(2) for m in ANKI_CLOZE.finditer(source) if int(m.group(1)) == number)
            out.append((number, _text(question), _text(answer)))
        return out
    fields = note["fields"]
    out = []
    for ordinal, asks in enumerate(note.get("asks") or [list(fields)[:1]]):  # one card per template, as in Anki
        question = "\n\n".join(t for t in (_text(fields[f]) for f in asks) if t)
        answer = "\n\n".join(t for t in (_text(v) for k, v in fields.items() if k not in asks) if t)
        if question:
            out.append((ordinal, question, answer))
    return out


def _store(library: Library, origin: str, drafted: list[tuple[int, str, str, dict[str, Any]]], report: ImportReport) -> None:
    stamp = datetime.now(UTC).isoformat()
    with library.store.begin() as conn:
        existing = card_rows.positions(conn, origin)
        for position, question, answer, note in drafted:
            deck = f"anki::{note['deck']}"
            fields = json.dumps({"fields": note["fields"], "tags": note["tags"], "note_type": note["model"]})
            if position in existing:
                card_rows.update_text(conn, existing[position], question=question, answer=answer, deck=deck, at=stamp,
                                      fields=fields)
                report.updated += 1
            else:
                state, due = new_state()
                card_rows.add(conn, origin=origin, position=position, kind="cloze" if note["cloze"] else "basic",
                              question=question, answer=answer, deck=deck, fields=fields, state=state, due_at=due, at=stamp)
                report.added += 1


def export_deck(library: Library, path: str, by: str = "area") -> dict[str, int]:
    """Every active card as an Anki package: decks per area (or per concept), notes with stable GUIDs."""
    import hashlib
    import html
    import os

    import genanki

    with library.store.begin() as conn:
        rows = card_rows.active(conn)
    if not rows:
        raise LayerwiseError("no cards yet: write `Question :: Answer` lines or {{cloze}} in your notes, define glossary "
                             "terms, or import an Anki deck")
    basic = genanki.Model(1607392319, "layerwise basic", fields=[{"name": "Front"}, {"name": "Back"}],
                          templates=[{"name": "Card 1", "qfmt": "{{Front}}",
                                      "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}])
    decks: dict[str, Any] = {}
    media: set[str] = set()
    exported_notes: set[tuple[str, int]] = set()
    for row in rows:
        if row["fields"]:  # an imported note gives several cards (templates, cloze numbers): export it once
            note_key = (row["origin"], row["position"] // 100)
            if note_key in exported_notes:
                continue
            exported_notes.add(note_key)
        name = _deck_name(row["deck"], by)
        if name not in decks:
            decks[name] = genanki.Deck(int(hashlib.sha1(name.encode()).hexdigest()[:7], 16) | (1 << 30), name)
        fields = json.loads(row["fields"]) if row["fields"] else None
        if fields:  # an imported Anki note: its own fields, media and all
            values = list(fields["fields"].values())
            front, back = values[0] if values else "", "<br>".join(values[1:])
            media |= image_sources(front + back)
        else:
            front, back = (html.escape(row["question"]).replace("\n", "<br>"),
                           html.escape(row["answer"]).replace("\n", "<br>"))
        guid = genanki.guid_for(row["origin"], row["position"] // 100 if fields else row["position"])
        if row["kind"] == "cloze" and not fields and "[...]" in row["question"]:
            cloze = html.escape(row["question"]).replace("[...]", "{{c1::" + html.escape(row["answer"]) + "}}", 1)
            decks[name].add_note(genanki.Note(model=genanki.CLOZE_MODEL, fields=[cloze, ""], guid=guid))
        else:
            decks[name].add_note(genanki.Note(model=basic, fields=[front, back], guid=guid))
    files = [str(p) for p in media_dir(library).rglob("*") if p.name in media]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "deck.apkg")
        genanki.Package(list(decks.values()), media_files=files).write_to_file(out)
        write_atomically(path, Path(out).read_bytes())
    return {"notes": sum(len(d.notes) for d in decks.values()), "decks": len(decks), "media": len(files)}


def _deck_name(deck: str, by: str) -> str:
    parts = deck.split("::")
    if parts[0] == "anki":
        return "::".join(parts[1:]) or "Default"
    if by == "concept" or len(parts) == 1:
        return "layerwise::" + "::".join(parts)
    return f"layerwise::{parts[0]}"
