"""Study: a timeboxed session that ends in a decision; scheduled deeper dives; the notes vault."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from layerwise.atomic import write_atomically
from layerwise.cli.output import print_json
from layerwise.cli.timer import countdown
from layerwise.errors import LayerwiseError
from layerwise.study import glossary as terms
from layerwise.study import notes as vault
from layerwise.study import sessions
from layerwise.study.dives import dives as scheduled_dives
from layerwise.study.dives import dives_ics
from layerwise.times import parse_day
from layerwise.vocab import AREAS, OUTCOMES, SESSION_LAYERS

if TYPE_CHECKING:
    from layerwise.library import Library
    from layerwise.study.sessions import Outcome, Target

EXTEND_MINUTES = 15


@click.command("study")
@click.argument("target")
@click.option("--layer", type=click.Choice(SESSION_LAYERS), help="How deep (default: the next layer for its concepts).")
@click.option("--minutes", type=click.FloatRange(min=0.05, max=240), help="The timebox (default: config timebox, 45).")
@click.option("--outcome", type=click.Choice(OUTCOMES), help="Decide now, without the live timer (scripts).")
@click.option("--summary", help="Your summary, added to the item's note (implies --outcome summarize).")
@click.option("--when", help="Day of the deeper dive: 2026-12-01, +3d, tomorrow, next-week (implies schedule).")
@click.option("--spent", type=click.FloatRange(min=0), help="With --outcome: minutes actually spent (default: --minutes).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def study(ctx: click.Context, target: str, layer: str | None, minutes: float | None, outcome: str | None,
          summary: str | None, when: str | None, spent: float | None, as_json: bool) -> None:
    """Study TARGET (an item reference or a concept slug) inside a timebox, then decide: summarize,
    bookmark and move on, or schedule a deeper dive. Keys while it runs: p pause, s stop, e extend once."""
    library = ctx.obj.library
    outcome = outcome or ("schedule" if when else "summarize" if summary else None)
    if outcome is None and not sys.stdin.isatty():
        sessions.resolve(library, target)  # an unknown target is the error to show first
        raise LayerwiseError("not a terminal: pass --outcome summarize|bookmark|schedule (with --summary or --when)")
    begun = sessions.begin(library, target, layer, minutes)
    if outcome is not None:  # decided already (scripts): no timer
        spent_minutes = spent if spent is not None else begun.minutes
        result = sessions.finish(library, begun.session_id, begun.target, 60 * spent_minutes, outcome, summary, when)
        _report(library, result, begun.target, begun.layer, as_json)
        return
    click.echo(f"{begun.layer} · {begun.minutes:g} min · {begun.target.title}\nyour note: {begun.note}", err=True)
    try:
        timed = countdown(begun.target.title[:40], 60 * begun.minutes, 60 * min(EXTEND_MINUTES, begun.minutes),
                          lambda seconds, extended: sessions.checkpoint(library, begun.session_id, seconds, extended))
    except KeyboardInterrupt:
        kept = sessions.interrupt(library, begun.session_id)
        click.echo(f"interrupted: {kept:.1f} minutes recorded; nothing you wrote was touched", err=True)
        sys.exit(130)
    outcome, summary, when = _decide(begun.note)
    result = sessions.finish(library, begun.session_id, begun.target, timed.seconds, outcome, summary, when)
    _report(library, result, begun.target, begun.layer, as_json)


def _decide(note: object) -> tuple[str, str | None, str | None]:  # note: the note's path
    """The forced choice at the end of a session."""
    click.echo("time is up. [s]ummarize, [b]ookmark and move on, or s[c]hedule a deeper dive?", err=True)
    choice = click.prompt("choice", type=click.Choice(["s", "b", "c"]), show_choices=True, err=True)
    if choice == "b":
        return "bookmark", None, None
    if choice == "c":
        while True:
            day = click.prompt("which day (2026-12-01, +3d, tomorrow, next-week)", default="next-week", err=True)
            try:
                parse_day(day)
                return "schedule", None, day
            except LayerwiseError as exc:
                click.echo(f"error: {exc}", err=True)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if editor:
        try:
            click.edit(filename=str(note))  # the user writes in their own editor; the file is theirs
            return "summarize", None, None
        except click.ClickException as exc:
            click.echo(f"your editor ({editor}) did not run: {exc.message}", err=True)
    click.echo(("" if editor else "no $EDITOR set: ") + "type your summary here, an empty line ends it", err=True)
    lines = []
    while line := click.prompt("", default="", show_default=False, prompt_suffix="> ", err=True):
        lines.append(line)
    return "summarize", "\n".join(lines) or None, None


def _report(library: Library, result: Outcome, target: Target, layer: str, as_json: bool) -> None:
    data: dict[str, Any] = {"session": result.session_id, "title": target.title, "layer": layer, "minutes": result.minutes,
            "outcome": result.outcome, "track": target.track, "area": target.area,
            "concepts": result.layers, "note": str(result.note), "dive": result.dive,
            "note_error": result.note_error, "unsaved_summary": result.unsaved_summary}
    if as_json:
        print_json(data)
        return
    click.echo(f"session {data['session']}: {data['minutes']:g} min, {layer} on {data['title']} -> {data['outcome']}")
    for slug, reached in data["concepts"].items():
        click.echo(f"  {slug}: {reached}")
    click.echo(f"  note: {data['note']}")
    if result.note_error:
        click.echo(f"  warning: the note was left as it is: {result.note_error}", err=True)
    if result.unsaved_summary:
        click.echo(f"  your summary (not saved into the broken note, copy it):\n{result.unsaved_summary}")
    if data["dive"]:
        click.echo(f"  deeper dive ({data['dive']['layer']}) on {data['dive']['day']}; "
                   "`layerwise dives --ics dives.ics` puts it in your calendar")


@click.command("dives")
@click.option("--ics", "ics", type=click.Path(dir_okay=False), help="Write the dives as an iCalendar file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def dives(ctx: click.Context, ics: str | None, as_json: bool) -> None:
    """Deeper dives you scheduled, from today on; they join their week's plan."""
    rows = scheduled_dives(ctx.obj.library)
    if ics:
        write_atomically(ics, dives_ics(rows))
        click.echo(f"{len(rows)} dive{'s' if len(rows) != 1 else ''} written to {ics}", err=True)
        return
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no deeper dives scheduled (end a `layerwise study` session with schedule)")
    for row in rows:
        click.echo(f"{row['day']}  {row['layer']:<8} {row['minutes']:g} min  {row['title']}")


@click.command("notes")
@click.argument("query", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def notes(ctx: click.Context, query: str | None, as_json: bool) -> None:
    """Your notes (Markdown files in the home's notes/ folder), newest first; with QUERY, full-text search."""
    found = vault.search(ctx.obj.library, query)
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no notes" + (f" with {query!r}" if query else " yet: `layerwise study REF` starts one"))
    for note in found:
        flag = f"  (unreadable front matter, kept as it is: {note['error']})" if note["error"] else ""
        click.echo(f"{note['updated'] or '-':<10}  {note['written']}/4 written  {note['path']}{flag}")
    click.echo(f"folder: {vault.vault(ctx.obj.library)}", err=True)


@click.group("glossary", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def glossary(ctx: click.Context, as_json: bool) -> None:
    """Terms from your notes' "Terms that didn't make sense": how many items you read mention each, whether
    you defined it; recurring undefined ones first. Definitions are yours (notes/glossary.md)."""
    if ctx.invoked_subcommand:
        return

    found = terms.terms(ctx.obj.library)
    if as_json:
        print_json([terms.as_dict(t) for t in found])
        return
    for line in terms.surfaced(found):
        click.echo(line)
    if not found:
        click.echo("no terms yet: list them under \"Terms that didn't make sense\" in your notes")
    for t in found:
        state = "defined" if t.defined else "undefined"
        links = f"  -> {', '.join(t.concepts)}" if t.concepts else ""
        click.echo(f"{t.items:>3} items  {state:<9}  {t.term}{links}")


@glossary.command("define")
@click.argument("term")
@click.argument("definition")
@click.pass_context
def glossary_define(ctx: click.Context, term: str, definition: str) -> None:
    """Write your definition of TERM into notes/glossary.md (added to what is there)."""
    terms.define(ctx.obj.library, term, definition)
    click.echo(f"{term}: defined in {terms.glossary_path(ctx.obj.library)}")


@glossary.command("link")
@click.argument("term")
@click.argument("slug")
@click.pass_context
def glossary_link(ctx: click.Context, term: str, slug: str) -> None:
    """Link TERM to the concept SLUG (a [[slug]] line in its glossary entry)."""
    terms.link(ctx.obj.library, term, slug)
    click.echo(f"{term} -> {slug}")


@glossary.command("promote")
@click.argument("term")
@click.option("--area", type=click.Choice(AREAS), default="letter", show_default=True)
@click.option("--slug", help="The new concept's slug (default: from the term).")
@click.pass_context
def glossary_promote(ctx: click.Context, term: str, area: str, slug: str | None) -> None:
    """Make TERM a concept of your map (added to concepts.toml in the home), linked from the glossary."""
    made = terms.promote(ctx.obj.library, term, area, slug)
    click.echo(f"{term}: new concept {made}; add links in concepts.toml ([[link]] from/type/to)")


COMMANDS = [study, dives, notes, glossary]
