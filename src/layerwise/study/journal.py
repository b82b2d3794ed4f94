"""The end-of-day update: a draft of 3-4 bullet points of what was studied and why, and what is next, built from
the day's sessions and notes. The user edits it before it is saved to `journal/YYYY-MM-DD.md`; a saved day
is never rewritten."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from layerwise.atomic import write_atomically
from layerwise.concepts.linking import concepts_of
from layerwise.concepts.overlay import concept_map
from layerwise.concepts.progress import frontier
from layerwise.errors import LayerwiseError
from layerwise.store import profile as plan_rows
from layerwise.study import notes
from layerwise.study.dives import dives
from layerwise.study.sessions import history
from layerwise.times import iso_week, week_days
from layerwise.vocab import SESSION_LAYERS

if TYPE_CHECKING:
    from pathlib import Path

    from layerwise.library import Library

MAX_BULLETS = 4
VERBS = {"skim": "Skimmed", "explore": "Explored", "deepen": "Went deeper into", "build": "Built"}
OUTCOME_WORDS = {"summarize": "summarized in my notes", "bookmark": "bookmarked, moving on",
                 "interrupted": "interrupted", "running": "still open"}


def journal_dir(library: Library) -> Path:
    path = library.desk.path / "journal"
    path.mkdir(parents=True, exist_ok=True)
    return path


def day_path(library: Library, day: date) -> Path:
    return journal_dir(library) / f"{day.isoformat()}.md"


def draft(library: Library, day: date | None = None) -> str:
    day = day or date.today()
    done = history(library, day.isoformat(), (day + timedelta(days=1)).isoformat())
    by_target: dict[Any, dict[str, Any]] = {}
    for s in done:
        target = s["item_id"] or s["slug"]
        entry = by_target.setdefault(target, {"title": s["title"] or _concept_name(library, s["slug"]), "minutes": 0.0,
                                              "layer": s["layer"], "outcome": s["outcome"], "track": s["track"],
                                              "item_id": s["item_id"], "area": s["area"]})
        entry["minutes"] += s["seconds"] / 60
        entry["layer"] = max(entry["layer"], s["layer"], key=SESSION_LAYERS.index)
        entry["outcome"] = s["outcome"]
    bullets = []
    for entry in list(by_target.values())[: MAX_BULLETS - 1 if len(by_target) > MAX_BULLETS else MAX_BULLETS]:
        why = _why(library, entry)
        outcome = OUTCOME_WORDS.get(entry["outcome"], "")
        if entry["outcome"] == "schedule":
            outcome = "a deeper dive is scheduled"
        bullets.append(f"- {VERBS[entry['layer']]} *{entry['title']}* ({entry['minutes']:.0f} min): {why}"
                       + (f"; {outcome}." if outcome else "."))
    if len(by_target) > MAX_BULLETS:
        rest = list(by_target.values())[MAX_BULLETS - 1:]
        bullets.append(f"- Also: {', '.join(e['title'] for e in rest)} ({sum(e['minutes'] for e in rest):.0f} min).")
    written = [n for n in notes.all_notes(library) if _changed_on(n.path, day) and not n.error
               and n.meta.get("ref") not in by_target and n.meta.get("concept") not in by_target
               and any(n.section(s) for s in notes.SECTIONS)]
    if written and len(bullets) < MAX_BULLETS:
        bullets.append(f"- Wrote notes on {', '.join(n.title for n in written[:3])}.")
    if not bullets:
        bullets.append("- No study sessions today.")
    total = sum(e["minutes"] for e in by_target.values())
    head = f"## {day.strftime('%A')} {day.isoformat()}" + (f" · {total:.0f} min studied" if total else "")
    return head + "\n\n" + "\n".join(bullets) + f"\n\n**Next:** {_next(library, day, by_target)}\n"


def _concept_name(library: Library, slug: str | None) -> str:
    concepts = concept_map(library).concepts
    return concepts[slug].name if slug in concepts else str(slug)


def _why(library: Library, entry: dict[str, Any]) -> str:
    """Why it mattered, in the user's own terms: the first line of their summary, else the concept it is
    about, else the track or area it served (never the ranker's reason)."""
    if entry["item_id"]:
        note = notes.find_item_note(library, entry["item_id"])
        summary = notes.read(note).section("Summary") if note else ""
        first = next((line.strip(" -*") for line in summary.splitlines() if line.strip(" -*")), "")
        if first:
            return f"in my words, \u201c{first[:140]}\u201d"
        about = concepts_of(library, [entry["item_id"]], per_item=1).get(entry["item_id"])
        if about:
            return f"on {_concept_name(library, about[0])}" + (f", for my {entry['track']} track" if entry["track"] else "")
    if entry["track"]:
        return f"on my {entry['track']} track"
    if entry["area"]:
        return f"{entry['area']} fundamentals on my concept map"
    return "picked by hand"


def _changed_on(path: Path, day: date) -> bool:
    return datetime.fromtimestamp(path.stat().st_mtime).date() == day


def _next(library: Library, day: date, studied: dict[Any, Any]) -> str:
    upcoming = [d for d in dives(library, day + timedelta(days=1))]
    if upcoming:
        d = upcoming[0]
        return f"a deeper dive ({d['layer']}) on *{d['title']}* on {d['day']}."
    with library.store.begin() as conn:
        picks = [p for p in plan_rows.picks(conn, iso_week(day)) if p.state in ("accepted", "proposed")
                 and p.item_id not in studied]
        items = {i.id: i for i in library.store.items(conn, [p.item_id for p in picks])}
    for p in sorted(picks, key=lambda p: (p.state != "accepted", p.position)):
        item = items.get(p.item_id)
        if item is not None and item.status != "done":
            return f"*{item.title}* from this week's plan ({p.track})."

    edge = frontier(library, limit=1)
    if edge:
        return f"{edge[0].name}, next on my concept map."
    return "plan the week with `layerwise week`."


def save(library: Library, text: str, day: date | None = None) -> Path:
    day = day or date.today()
    path = day_path(library, day)
    if path.exists():
        raise LayerwiseError(f"{path.name} is saved already; edit the file itself to change it", where=str(path))
    text = text if text.endswith("\n") else text + "\n"
    with open(path, "x", encoding="utf-8", newline="\n") as f:
        f.write(text)
    if text == draft(library, day):  # saved as layerwise wrote it: later sessions may be added to it
        _remember(library, day, text)
    return path


@dataclass
class CatchUp:
    text: str  # the day's update as it is on disk now
    added: bool = False  # sessions finished since it was saved were added (nobody had edited it)
    offered: list[str] = field(default_factory=list)  # points about them, offered because the user edited it


def catch_up(library: Library, day: date | None = None) -> CatchUp:
    """A saved day's update kept true: sessions finished after it was saved are added to it while it is still
    as layerwise wrote it; once the user edited it, the new points are only offered, never written."""
    day = day or date.today()
    path = day_path(library, day)
    text = path.read_text(encoding="utf-8", errors="replace")  # saved in another encoding: edited, never rewritten
    fresh = draft(library, day)
    if fresh == text:
        return CatchUp(text)
    if _remembered(library, day) == _digest(text):
        write_atomically(str(path), fresh.encode())
        _remember(library, day, fresh)
        return CatchUp(fresh, added=True)
    new = [line for line in fresh.splitlines() if line.startswith("- ") and line not in text.splitlines()
           and line != "- No study sessions today."]
    return CatchUp(text, offered=new)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _written_file(library: Library) -> Path:
    return journal_dir(library) / ".written-by-layerwise.json"  # a dotfile: vaults and the journal skip it


def _remembered(library: Library, day: date) -> str | None:
    try:
        return json.loads(_written_file(library).read_text()).get(day.isoformat())
    except (OSError, ValueError):
        return None


def _remember(library: Library, day: date, text: str) -> None:
    try:
        known = json.loads(_written_file(library).read_text())
    except (OSError, ValueError):
        known = {}
    known[day.isoformat()] = _digest(text)
    write_atomically(str(_written_file(library)), json.dumps(known, indent=1).encode())


def entries(library: Library, days: int = 7, today: date | None = None) -> list[tuple[date, str]]:
    """Saved days and weekly reviews (dated by their week's Sunday), newest first, within the last `days` days."""
    today = today or date.today()
    out = []
    for path in journal_dir(library).glob("*.md"):
        try:
            day = week_days(path.stem)[1] if "-W" in path.stem else date.fromisoformat(path.stem)
        except ValueError:
            continue  # a file the user put there; neither a day nor a week
        if (today - day).days < days:
            out.append((day, path.read_text(encoding="utf-8", errors="replace")))
    return sorted(out, key=lambda entry: entry[0], reverse=True)
