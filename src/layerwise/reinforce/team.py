"""The team's week: what people accepted, finished and summed up, the summaries they shared, and who knows which
concept; and the curator's weekly digest of the five most valuable of those items, proposed, edited by the
curator as a Markdown file, and published (each published week kept, for the team's Atom feed).

What the team sees of a person: picks they accepted or finished, items they summed up in a session, their
layer per concept, and the summaries they chose to share. Never their ratings, proposed or skipped picks,
session times, cards or unshared notes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from layerwise.concepts.overlay import concept_map
from layerwise.errors import LayerwiseError, NotFound
from layerwise.people import NotAllowed
from layerwise.reinforce import digest
from layerwise.store import team as team_rows
from layerwise.study import notes
from layerwise.times import local_stamp, utc_stamp, week_days
from layerwise.vocab import CONCEPT_LAYERS

if TYPE_CHECKING:
    from layerwise.library import Library

MARKER = re.compile(r"<!--\s*item\s+(\d+)\s*-->")


@dataclass
class TeamItem:
    item_id: int
    title: str
    url: str
    kind: str
    accepted: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    summed_up: list[str] = field(default_factory=list)
    shared: list[dict[str, Any]] = field(default_factory=list)  # author, summary, shared_at

    @property
    def value(self) -> int:
        """What the team made of it: finishing and summing up count most, a shared summary as much."""
        return 3 * len(set(self.finished) | set(self.summed_up)) + 2 * len(self.shared) + len(self.accepted)


def week(library: Library, iso_week: str) -> list[TeamItem]:
    """The items people accepted, finished or summed up in a week, most valuable first."""
    monday, sunday = week_days(iso_week)
    with library.store.begin() as conn:
        picks = team_rows.week_picks(conn, iso_week)
        summed = team_rows.summed_up(conn, monday.isoformat(), (sunday + timedelta(days=1)).isoformat())
        ids = sorted({i for _, i, _ in picks} | {i for _, i in summed})
        shared = team_rows.shared(conn, ids)
        items = {i.library_id: i for i in library.store.items(conn, ids)}
    out = {i: TeamItem(i, items[i].title, items[i].url or "", items[i].kind, shared=shared.get(i, [])) for i in ids
           if i in items}
    for person, item_id, state in picks:
        if item_id in out:
            (out[item_id].finished if state == "done" else out[item_id].accepted).append(person)
    for person, item_id in summed:
        if item_id in out and person not in out[item_id].summed_up:
            out[item_id].summed_up.append(person)
    return sorted(out.values(), key=lambda t: (-t.value, t.title.casefold()))


def who_knows(library: Library, query: str | None = None) -> list[dict[str, Any]]:
    """Concepts someone has explored or gone further in (or those matching a query, by slug, name or alias),
    each with its people, deepest first."""
    cmap = concept_map(library)
    with library.store.begin() as conn:
        known = team_rows.layers(conn)
    wanted = query.strip().casefold() if query else ""
    words = re.compile(rf"\b{re.escape(wanted)}\b")
    exact = wanted in cmap.concepts
    out = []
    for slug, concept in cmap.concepts.items():
        if wanted and (slug != wanted if exact else not any(words.search(n.casefold()) for n in (concept.name, *concept.aliases))):
            continue
        people = sorted(((name, layer) for name, layer in known.get(slug, {}).items() if layer != "none"),
                        key=lambda p: (-CONCEPT_LAYERS.index(p[1]), p[0]))
        if not wanted:
            people = [p for p in people if CONCEPT_LAYERS.index(p[1]) >= CONCEPT_LAYERS.index("explored")]
        if people or wanted:
            out.append({"slug": slug, "name": concept.name, "people": [{"name": n, "layer": la} for n, la in people]})
    return sorted(out, key=lambda c: (-len(c["people"]), c["name"].casefold()))


# -- sharing a summary ---------------------------------------------------------------------------------------
def share(library: Library, ref: str) -> str:
    """Share the Summary section of your note on an item with the team (again: the note as it is now)."""
    item_id = library.resolve(ref)
    path = notes.find_item_note(library, item_id)
    note = notes.read(path) if path else None
    summary = note.section("Summary").strip() if note and not note.error else ""
    if not summary:
        raise LayerwiseError("your note on this item has no Summary yet: write one (`layerwise study REF` ends with "
                             "one), then share it", where=ref)
    with library.store.begin() as conn:
        team_rows.share(conn, item_id, summary, utc_stamp())
    return summary


def unshare(library: Library, ref: str) -> None:
    item_id = library.resolve(ref)
    with library.store.begin() as conn:
        if not team_rows.unshare(conn, item_id):
            raise NotFound("you have shared no summary of this item", where=ref)


def shared_on(library: Library, item_id: int) -> list[dict[str, Any]]:
    with library.store.begin() as conn:
        return team_rows.shared(conn, [item_id]).get(item_id, [])


# -- the curator's digest ------------------------------------------------------------------------------------
def propose(library: Library, iso_week: str) -> list[dict[str, Any]]:
    """The five most valuable items of the team's week, each with a blurb made of what members shared."""
    chosen = week(library, iso_week)[: digest.SIZE]
    return [{"item_id": t.item_id, "title": t.title, "url": t.url, "kind": t.kind,
             "blurb": "\n\n".join(f"{s['summary']}\n\n(summary by {s['author']})" for s in t.shared)} for t in chosen]


def published(library: Library, iso_week: str | None = None) -> list[dict[str, Any]]:
    with library.store.begin() as conn:
        found = team_rows.digests(conn, iso_week)
    return [{**row, "links": json.loads(row["links"])} for row in found]


def draft(library: Library, iso_week: str) -> str:
    """The week's digest as a Markdown file for the curator to edit: the published one, else the proposal."""
    done = published(library, iso_week)
    links = done[0]["links"] if done else propose(library, iso_week)
    lines = [f"# Team digest, {iso_week}", "",
             "<!-- Reorder, delete or edit the sections below; each keeps its item line. The text under a heading is",
             "     its blurb as it will go out. Then: layerwise digest --team --publish THIS-FILE -->", ""]
    for link in links:
        lines += [f"## {link['title']}", f"<!-- item {link['item_id']} -->", "", link["blurb"].strip() or
                  "(a line on why this matters to the team)", ""]
    if not links:
        lines.append("Nobody on the team accepted, finished or summed up anything this week yet.")
    return "\n".join(lines) + "\n"


def publish(library: Library, iso_week: str, text: str) -> list[dict[str, Any]]:
    """Publish the curator's edited draft: its sections in their order, each blurb as written."""
    if not library.person.curator:
        raise NotAllowed("only a curator publishes the team's digest")
    chosen: list[tuple[int, str]] = []
    for section in re.split(r"(?m)^## ", text)[1:]:
        marker = MARKER.search(section)
        if marker is None:
            continue
        blurb = MARKER.sub("", section.split("\n", 1)[1] if "\n" in section else "").strip()
        blurb = "" if blurb == "(a line on why this matters to the team)" else blurb
        chosen.append((int(marker.group(1)), blurb))
    if not chosen:
        raise LayerwiseError("the draft has no section with an item line (`<!-- item N -->`): nothing to publish")
    items = library.items_by_id([i for i, _ in chosen])
    missing = [str(i) for i, _ in chosen if i not in items]
    if missing:
        raise NotFound(f"the draft names items the library does not hold: {', '.join(missing)}")
    links = [{"item_id": i, "title": items[i].title, "url": items[i].url or "", "kind": items[i].kind, "blurb": b}
             for i, b in chosen]
    with library.store.begin() as conn:
        team_rows.publish(conn, iso_week, json.dumps(links, ensure_ascii=False), local_stamp())
    return links


def _as_digest(links: list[dict[str, Any]]) -> list[digest.Link]:
    return [digest.Link(x["item_id"], x["title"], x["url"], x["kind"], "", "", "", x["blurb"], "done") for x in links]


def markdown(iso_week: str, links: list[dict[str, Any]]) -> str:
    return digest.markdown(iso_week, _as_digest(links), by="order", heading="Team digest")


def to_html(iso_week: str, links: list[dict[str, Any]]) -> str:
    return digest.to_html(iso_week, _as_digest(links), by="order", heading="Team digest")


def atom(library: Library, feed_url: str = "urn:layerwise:team-digest") -> bytes:
    weeks = [{"week": w["week"], "saved_at": w["published_at"], "links": [vars(x) for x in _as_digest(w["links"])]}
             for w in published(library)]
    return digest.feed(weeks, "Team digest", feed_url, by="order")
