"""Reinforce: review due cards, the weekly digest, katas."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from layerwise.atomic import write_atomically
from layerwise.capture import files
from layerwise.cli.output import print_json
from layerwise.cli.params import count
from layerwise.errors import LayerwiseError
from layerwise.reinforce import cards, katas
from layerwise.reinforce import digest as weekly
from layerwise.reinforce import review as scheduler
from layerwise.reinforce import team as team_week
from layerwise.times import parse_week

if TYPE_CHECKING:
    from layerwise.library import Library

KEYS = {"1": "again", "2": "hard", "3": "good", "4": "easy", "a": "again", "h": "hard", "g": "good", "e": "easy"}


@click.command("review")
@click.option("--limit", "-n", default=50, show_default=True, type=count(1), help="At most this many cards.")
@click.option("--list", "list_only", is_flag=True, help="Only list the due cards.")
@click.option("--grade", "grades", multiple=True, metavar="CARD=GRADE",
              help="Grade without the interactive session (again, hard, good, easy), e.g. --grade 12=good.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def review(ctx: click.Context, limit: int, list_only: bool, grades: tuple[str, ...], as_json: bool) -> None:
    """Review the cards that are due, scheduled by FSRS. Cards come from `Question :: Answer` lines and {{cloze}}
    in your notes, your glossary definitions, and imported Anki decks; they are refreshed from your notes first."""
    library = ctx.obj.library
    changed = cards.sync(library)
    if any(changed.values()) and not as_json:
        click.echo(f"cards from your notes: {changed['added']} new, {changed['updated']} updated, "
                   f"{changed['retired']} retired", err=True)
    if grades:
        results = []
        for pair in grades:
            card_id, _, rating = pair.partition("=")
            if not card_id.isdigit() or not rating:
                raise LayerwiseError(f"--grade takes CARD=GRADE such as 12=good, not {pair!r}")
            results.append(scheduler.grade(library, int(card_id), rating))
        _summary(scheduler.summary(results, library), results, as_json)
        return
    due = scheduler.due(library, limit)
    if list_only or as_json and not grades:
        if as_json:
            print_json(due)
        else:
            for c in due:
                click.echo(f"[{c.id}] {c.deck}: {c.question[:90]}")
            click.echo(f"{len(due)} due", err=True)
        return
    if not due:
        click.echo("nothing due; write `Question :: Answer` lines in your notes to make cards")
        return
    if not sys.stdin.isatty():
        raise LayerwiseError("not a terminal: use --list, or --grade CARD=GRADE")
    results = []
    for n, card in enumerate(due, 1):
        click.echo(f"\n[{n}/{len(due)}] {card.deck}\n{card.question}")
        click.prompt("(Enter shows the answer)", default="", show_default=False, prompt_suffix=" ")
        click.echo(f"-> {card.answer}")
        key = click.prompt("grade: 1 again, 2 hard, 3 good, 4 easy, q stops", type=click.Choice([*KEYS, "q"]),
                           show_choices=False)
        if key == "q":
            break
        results.append(scheduler.grade(library, card.id, KEYS[key]))
    _summary(scheduler.summary(results, library), results, as_json)


def _summary(data: dict, results: list[dict], as_json: bool) -> None:
    if as_json:
        print_json({**data, "results": results})
        return
    click.echo(f"reviewed {data['reviewed']}: {data['again']} again, {data['hard']} hard, {data['good']} good, "
               f"{data['easy']} easy; {data['still_due']} still due; next card due {data['next_due'] or '-'}")


@click.command("digest")
@click.option("--week", help="The ISO week, e.g. 2026-W48 (default: this week).")
@click.option("--format", "fmt", type=click.Choice(("md", "html", "atom")), default="md", show_default=True)
@click.option("--by", type=click.Choice(("track", "concept")), default="track", show_default=True, help="How links are grouped.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of printing.")
@click.option("--team", "for_team", is_flag=True,
              help="The team's digest: the five most valuable items the team studied, with members' shared summaries; "
                   "a Markdown draft for the curator to edit until published.")
@click.option("--publish", "draft", type=click.Path(exists=True, dir_okay=False),
              help="With --team: publish the curator's edited draft (curators only).")
@click.pass_context
def digest(ctx: click.Context, week: str | None, fmt: str, by: str, output: str | None, for_team: bool,
           draft: str | None) -> None:
    """The week's best five links with your own summaries and why each matters: Markdown, HTML for an email,
    or an Atom feed that keeps every week you made a digest for."""
    week = parse_week(week)
    library = ctx.obj.library
    if for_team or draft:
        data, count = _team_digest(library, week, fmt, draft)
    else:
        chosen = weekly.links(library, week)
        weekly.save(library, week, chosen)
        count = len(chosen)
        if fmt == "atom":
            data = weekly.atom(library)
        else:
            data = (weekly.markdown(week, chosen, by) if fmt == "md" else weekly.to_html(week, chosen, by)).encode()
    if output:
        write_atomically(output, data)
        click.echo(f"{count} links for {week} written to {output}", err=True)
    else:
        click.echo(data.decode(), nl=False)


def _team_digest(library: Library, week: str, fmt: str, draft: str | None) -> tuple[bytes, int]:
    """A published week as md/html (or the team's feed); before it is published, the draft to edit."""
    if draft is not None:
        links = team_week.publish(library, week, files.read_text(Path(draft)))  # any encoding an editor saves
        click.echo(f"published the team's digest for {week}: {len(links)} links", err=True)
    done = team_week.published(library, week)
    if fmt == "atom":
        return team_week.atom(library), len(done[0]["links"]) if done else 0
    if not done:
        if fmt == "html":
            raise LayerwiseError(f"the team's digest for {week} is not published yet: `layerwise digest --team -o "
                                 "draft.md`, edit it, then `--publish draft.md`")
        return team_week.draft(library, week).encode(), len(team_week.propose(library, week))
    links = done[0]["links"]
    return (team_week.markdown(week, links) if fmt == "md" else team_week.to_html(week, links)).encode(), len(links)


@click.group("kata")
def kata() -> None:
    """Build to learn: from-scratch exercises with checkers; passing one moves its concept to built."""


@kata.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def kata_list(ctx: click.Context, as_json: bool) -> None:
    """The katas, their concepts, and where you stand."""
    rows = katas.statuses(ctx.obj.library)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = "built" if row["built"] else "started" if row["started"] else ""
        click.echo(f"{row['name']:<22} {row['concept']:<20} {state:<8} {row['title']}")


@kata.command("start")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Where to write it (default: katas/ in the home).")
@click.pass_context
def kata_start(ctx: click.Context, name: str, directory: str | None) -> None:
    """Write the kata's starter file (an existing file is kept) and print the statement."""
    from pathlib import Path

    path = katas.start(ctx.obj.library, name, Path(directory) if directory else None)
    click.echo(f"{katas.get(name).title}: {katas.get(name).statement}\n{path}\nthen: layerwise kata check {name}")


@kata.command("check")
@click.argument("name")
@click.option("--file", "file", type=click.Path(dir_okay=False), help="Your solution (default: the started file).")
@click.option("--timeout", default=30, show_default=True, type=click.FloatRange(1, 600), help="Seconds before it is stopped.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def kata_check(ctx: click.Context, name: str, file: str | None, timeout: float, as_json: bool) -> None:
    """Check your solution against a reference on generated inputs; the first failing case is shown."""
    from pathlib import Path

    result = katas.check(ctx.obj.library, name, Path(file) if file else None, timeout)
    if as_json:
        print_json(result)
    else:
        click.echo(("passed: " if result["ok"] else "not yet: ") + result["message"])
        if result.get("built"):
            click.echo(f"{result['built']}: built")
        if result.get("output"):
            click.echo(f"your code printed:\n{result['output'][:500]}", err=True)
    if not result["ok"]:
        sys.exit(1)  # like a failing test run


COMMANDS = [review, digest, kata]
