"""The weekly digest: the week's best five links (finished picks first, then what was studied and summarized,
then accepted picks), each with the user's own summary from their note and a line on why it matters, grouped
by track or concept; as Markdown, as HTML for an email client (inline styles, no scripts), and as an Atom feed
that accumulates the weeks (`digests/` in the home keeps each week)."""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2
import markupsafe

from layerwise import __version__
from layerwise.atomic import write_atomically
from layerwise.concepts.overlay import concept_map
from layerwise.rank.scoring import because
from layerwise.store import concepts as concept_rows
from layerwise.store import profile as plan_rows
from layerwise.study import notes
from layerwise.study.sessions import history
from layerwise.times import week_days

if TYPE_CHECKING:
    from pathlib import Path

    from layerwise.library import Library

SIZE = 5
RANK = {"done": 0, "summarized": 1, "studied": 2, "accepted": 3}


@dataclass
class Link:
    item_id: int
    title: str
    url: str
    kind: str
    track: str
    concept: str
    why: str
    summary: str  # the user's own words from the note's Summary section, or ""
    state: str  # done, summarized, studied or accepted


def links(library: Library, week: str) -> list[Link]:
    monday, sunday = week_days(week)
    with library.store.begin() as conn:
        picks = {p.item_id: p for p in plan_rows.picks(conn, week) if p.state in ("accepted", "done")}
    studied: dict[int, dict[str, Any]] = {}
    for s in history(library, monday.isoformat(), (sunday + timedelta(days=1)).isoformat()):
        if s["item_id"]:
            studied[s["item_id"]] = s
    candidates = set(picks) | set(studied)
    if not candidates:
        return []
    cmap = concept_map(library)
    with library.store.begin() as conn:
        items = {i.id: i for i in library.store.items(conn, sorted(candidates))}
        top = {}
        for link in concept_rows.links_of_items(conn, sorted(candidates)):
            if link.item_id not in top and link.slug in cmap.concepts:
                top[link.item_id] = cmap.concepts[link.slug].name
    out = []
    for item_id in candidates:
        item = items.get(item_id)
        if item is None:
            continue
        pick, session = picks.get(item_id), studied.get(item_id)
        path = notes.find_item_note(library, item_id)
        note = notes.read(path) if path else None
        summary = note.section("Summary") if note and not note.error else ""
        if pick and pick.state == "done" or item.status == "done":
            state = "done"
        elif session and summary:
            state = "summarized"
        elif session:
            state = "studied"
        else:
            state = "accepted"
        track = (pick.track if pick else None) or (session or {}).get("track") or ""
        why = (because(pick.reason) if pick else f"studied this week ({session['layer']})" if session else "")
        out.append(Link(item_id, item.title, item.url or "", item.kind, track, top.get(item_id, ""), why, summary, state))
    out.sort(key=lambda link: (RANK[link.state], not link.summary, link.title.casefold()))
    return out[:SIZE]


# Characters that make Markdown out of text; captured titles and reasons are shown as written, never as markup.
_MARKDOWN = re.compile(r"([\\`*_\[\]])")


def _md(text: str) -> str:
    """Captured text for Markdown: its syntax characters escaped, and <, > and & as entities, so neither a
    Markdown renderer nor one that passes HTML through makes markup of it."""
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


def _md_url(url: str) -> str | None:
    """A link destination: only http(s), with what could end or break the link percent-encoded."""
    if not url.startswith(("http://", "https://")):
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%~-._[]")


def markdown(week: str, chosen: list[Link], by: str = "track", heading: str = "layerwise digest") -> str:
    lines = [f"# {heading}, {week}", ""]
    if not chosen:
        return "\n".join(lines + ["Nothing finished or studied this week yet.", ""])
    for group, members in _groups(chosen, by):
        lines += [f"## {_md(group)}", ""]
        for link in members:
            url = _md_url(link.url)
            title = f"[{_md(link.title)}]({url})" if url else _md(link.title)
            lines.append(f"- **{title}** ({_md(link.kind)})." + (f" Why it matters: {_md(link.why)}." if link.why else ""))
            if link.summary:
                lines += ["  " + line if line else "" for line in ("\n" + link.summary).splitlines()[1:]]
        lines.append("")
    return "\n".join(lines)


def _groups(chosen: list[Link], by: str) -> list[tuple[str, list[Link]]]:
    if by == "order":  # one list, in the order given (a curator's)
        return [("This week", chosen)] if chosen else []
    key = (lambda link: link.concept or "other") if by == "concept" else \
        (lambda link: {"need": "Need to learn", "want": "Want to learn"}.get(link.track, "Also studied"))
    groups: dict[str, list[Link]] = {}
    for link in chosen:
        groups.setdefault(key(link), []).append(link)
    return list(groups.items())


def to_html(week: str, chosen: list[Link], by: str = "track", heading: str = "layerwise digest",
            groups: list[tuple[str, list[Link]]] | None = None) -> str:
    """A complete HTML document for an email client (templates/digest_email.html): inline styles, no scripts,
    every captured string escaped by the template, the user's Markdown rendered with raw HTML disabled."""
    return _email_template().render(week=week, heading=heading,
                                    groups=_groups(chosen, by) if groups is None else groups) + "\n"


@functools.cache
def _email_template() -> jinja2.Template:
    from markdown_it import MarkdownIt

    env = jinja2.Environment(loader=jinja2.PackageLoader("layerwise.reinforce", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    render = MarkdownIt("commonmark", {"html": False}).render
    env.filters["markdown"] = lambda text: markupsafe.Markup(render(text))
    env.tests["web_link"] = lambda url: str(url).startswith(("http://", "https://"))  # never javascript: and co
    return env.get_template("digest_email.html")


def digests_dir(library: Library) -> Path:
    path = library.desk.path / "digests"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(library: Library, week: str, chosen: list[Link]) -> None:
    """Keep this week's digest so the Atom feed accumulates weeks."""
    data = {"week": week, "saved_at": datetime.now(UTC).isoformat(), "links": [asdict(x) for x in chosen]}
    write_atomically(str(digests_dir(library) / f"{week}.json"), json.dumps(data, indent=2).encode())


def atom(library: Library, title: str = "layerwise digest", feed_url: str = "urn:layerwise:digest") -> bytes:
    """An Atom feed (written by feedgen) with one entry per saved week, newest first."""
    weeks = []
    for path in sorted(digests_dir(library).glob("*-W*.json"), reverse=True):
        try:
            weeks.append(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, OSError):
            continue  # a damaged week is left out, the others stay
    return feed(weeks, title, feed_url)


def feed(weeks: list[dict[str, Any]], title: str, feed_url: str, by: str = "track") -> bytes:
    """Atom for weeks of links ({week, saved_at, links}), newest first."""
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(title)
    feed.author({"name": "layerwise"})
    feed.generator("layerwise", __version__)
    feed.updated(weeks[0]["saved_at"] if weeks else _stamp(date.today()))
    for data in weeks:
        chosen = [Link(**x) for x in data["links"]]
        entry = feed.add_entry(order="append")
        entry.id(f"{feed_url}:{data['week']}")
        entry.title(f"{title}, {data['week']}")
        entry.updated(data["saved_at"])
        entry.published(_stamp(week_days(data["week"])[0]))
        entry.summary("; ".join(x.title for x in chosen) or "nothing this week")
        entry.content(to_html(data["week"], chosen, by, heading=title), type="html")
        for link in chosen:
            if link.url.startswith(("http://", "https://")):
                entry.link(href=link.url, rel="related", title=link.title)
    return bytes(feed.atom_str(pretty=True))


def _stamp(day: date) -> str:
    return datetime.combine(day, time(0), tzinfo=UTC).isoformat()
