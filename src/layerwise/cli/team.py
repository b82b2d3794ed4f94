"""The team's week (what people accepted, finished and summed up), who knows which concept, and sharing a
summary from your note."""

from __future__ import annotations

import click

from layerwise.cli.output import print_json
from layerwise.reinforce import team as team_week
from layerwise.times import parse_week


@click.group("team", invoke_without_command=True)
@click.option("--week", help="The ISO week, e.g. 2026-W48 (default: this week).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def team(ctx: click.Context, week: str | None, as_json: bool) -> None:
    """The team's week: what people accepted, finished and summed up, with the summaries they shared; `team who`
    says who knows which concept."""
    if ctx.invoked_subcommand is not None:
        return
    week = parse_week(week)
    items = team_week.week(ctx.obj.library, week)
    if as_json:
        print_json({"week": week, "items": items})
        return
    if not items:
        click.echo(f"{week}: nobody on the team accepted, finished or summed up anything yet")
    else:
        click.echo(f"{week}: {len(items)} items the team worked on, most valuable first")
    for item in items:
        click.echo(f"\n{item.title} ({item.kind}, {item.item_id})")
        for label, names in (("finished", item.finished), ("summed up", item.summed_up), ("accepted", item.accepted)):
            if names:
                click.echo(f"  {label}: {', '.join(names)}")
        for note in item.shared:
            click.echo(f"  {note['author']} shared: {note['summary'].splitlines()[0][:100]}")


@team.command("who")
@click.argument("concept", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def team_who(ctx: click.Context, concept: str | None, as_json: bool) -> None:
    """Who knows a CONCEPT (slug, name or alias, e.g. "two-tower"), deepest first; without one, every concept
    someone has explored or gone further in."""
    found = team_week.who_knows(ctx.obj.library, concept)
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo(f"no concept matches {concept!r}" if concept else "nobody has explored a concept yet")
    for entry in found:
        people = ", ".join(f"{p['name']} ({p['layer']})" for p in entry["people"]) or "nobody yet"
        click.echo(f"{entry['name']} [{entry['slug']}]: {people}")


@team.command("share")
@click.argument("ref")
@click.pass_context
def team_share(ctx: click.Context, ref: str) -> None:
    """Share the Summary of your note on REF with the team (run again after editing it); it shows on the item's
    page with your name, and in the curator's digest."""
    summary = team_week.share(ctx.obj.library, ref)
    click.echo(f"shared your summary ({len(summary.split())} words)")


@team.command("unshare")
@click.argument("ref")
@click.pass_context
def team_unshare(ctx: click.Context, ref: str) -> None:
    """Take back the summary you shared on REF (your note is untouched)."""
    team_week.unshare(ctx.obj.library, ref)
    click.echo("summary no longer shared")


COMMANDS = [team]
