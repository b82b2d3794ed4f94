"""Cards from the user's own writing: `Question :: Answer` lines and `{{cloze}}` deletions in the notes vault,
and the glossary's defined terms. `sync` keeps the cards table in step with the files: a card whose question
is unchanged keeps its identity; an edited card is recognised by its place in the note, so its review history
survives the edit; a card deleted from the note is retired (its history kept, never shown again)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerwise.concepts.overlay import concept_map
from layerwise.store import cards as card_rows
from layerwise.study import glossary, notes
from layerwise.times import utc_now

if TYPE_CHECKING:
    from layerwise.library import Library

QA = re.compile(r"^\s*(?:[-*+]\s+)?(?P<q>.+?)\s+::\s+(?P<a>.+?)\s*$")
CLOZE = re.compile(r"\{\{(?:c\d+::)?(?P<text>.+?)(?:::[^}]*)?\}\}")


@dataclass
class Drafted:
    """A card as the files say it should be."""

    origin: str  # where it comes from: note:<path in the vault>, glossary, or anki:<deck file>
    position: int  # its order within the origin, to recognise an edited card
    kind: str  # basic, cloze or term
    question: str
    answer: str
    deck: str  # the area or concept it belongs to, for export


def from_text(body: str, origin: str, deck: str) -> list[Drafted]:
    out: list[Drafted] = []
    in_code = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        qa = QA.match(line)
        if qa:
            out.append(Drafted(origin, len(out), "basic", qa.group("q").strip(), qa.group("a").strip(), deck))
            continue
        deletions = list(CLOZE.finditer(line))
        for n, deletion in enumerate(deletions):  # one card per deletion, the others shown filled in
            question = line
            for i, d in reversed(list(enumerate(deletions))):
                question = question[:d.start()] + ("[...]" if i == n else d.group("text")) + question[d.end():]
            out.append(Drafted(origin, len(out), "cloze", question.strip(" -*+"), deletion.group("text").strip(), deck))
    return out


def drafted(library: Library) -> list[Drafted]:
    """Every card the notes vault and the glossary describe now."""
    cmap = concept_map(library)
    root = notes.vault(library)
    out: list[Drafted] = []
    for note in notes.all_notes(library):
        if note.error or note.path.name == glossary.FILE:
            continue
        concepts = [note.meta["concept"]] if note.meta.get("concept") else list(note.meta.get("concepts") or [])
        first = next((c for c in concepts if c in cmap.concepts), None)
        deck = f"{cmap.concepts[first].area}::{first}" if first else "unmapped"
        out += from_text(note.body, f"note:{note.path.relative_to(root).as_posix()}", deck)
    for n, term in enumerate(t for t in glossary.terms(library) if t.defined):
        slug = next((c for c in term.concepts if c in cmap.concepts), None)
        deck = f"{cmap.concepts[slug].area}::{slug}" if slug else "glossary"
        out.append(Drafted("glossary", n, "term", f"What is {term.term}?", term.definition, deck))
    return out


def new_state() -> tuple[str, str]:
    from fsrs import Card

    card = Card()
    return json.dumps(card.to_dict()), card.due.isoformat()


def sync(library: Library) -> dict[str, int]:
    """Bring the cards table in line with the notes and glossary; returns counts of what changed."""
    wanted = drafted(library)
    by_origin: dict[str, list[Drafted]] = {}
    for d in wanted:
        by_origin.setdefault(d.origin, []).append(d)
    counts = {"added": 0, "updated": 0, "retired": 0}
    stamp = utc_now().isoformat()
    with library.store.begin() as conn:
        existing = card_rows.from_notes(conn)
        old_by_origin: dict[str, list[dict[str, Any]]] = {}
        for row in existing:
            old_by_origin.setdefault(row["origin"], []).append(row)
        for origin in set(by_origin) | set(old_by_origin):
            new, old = by_origin.get(origin, []), [r for r in old_by_origin.get(origin, []) if not r["retired"]]
            matched: dict[int, dict[str, Any]] = {}
            free = list(old)
            for d in new:  # the same question: the same card
                same = next((r for r in free if r["question"] == d.question and r["kind"] == d.kind), None)
                if same:
                    matched[id(d)] = same
                    free.remove(same)
            for d in new:  # an edited card keeps its place in the note
                if id(d) not in matched:
                    placed = next((r for r in free if r["position"] == d.position and r["kind"] == d.kind), None)
                    if placed:
                        matched[id(d)] = placed
                        free.remove(placed)
            for d in new:
                found = matched.get(id(d))
                if found is None:
                    state, due = new_state()
                    card_rows.add(conn, origin=origin, position=d.position, kind=d.kind, question=d.question,
                                  answer=d.answer, deck=d.deck, state=state, due_at=due, at=stamp)
                    counts["added"] += 1
                elif (found["question"], found["answer"], found["position"], found["deck"]) != (d.question, d.answer, d.position, d.deck):
                    card_rows.update_text(conn, found["id"], question=d.question, answer=d.answer, position=d.position,
                                          deck=d.deck, at=stamp)
                    counts["updated"] += 1
            for row in free:
                card_rows.retire(conn, row["id"], stamp)
                counts["retired"] += 1
    return counts
