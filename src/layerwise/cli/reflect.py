"""Writing to reinforce and seeing the balance: the end-of-day update, the journal, and study stats."""

from __future__ import annotations

import os
import sys
from datetime import date

import click

from layerwise.cli.output import console, print_json
from layerwise.cli.params import count
from layerwise.study import journal
from layerwise.study import stats as measure


@click.command("today")
@click.option("--no-edit", is_flag=True, help="Save the draft without opening $EDITOR.")
@click.option("--no-save", is_flag=True, help="Only print the draft.")
@click.pass_context
def today(ctx: click.Context, no_edit: bool, no_save: bool) -> None:
    """Your end-of-day update: what you studied and why, and what is next, as Markdown ready to paste into a
    team channel. Edit it in $EDITOR, then it is saved to the journal."""
    library = ctx.obj.library
    saved = journal.day_path(library, date.today())
    if saved.exists():
        kept = journal.catch_up(library)
        click.echo(kept.text, nl=False)
        if kept.added:
            click.echo(f"(saved already: {saved}; sessions finished since were added to it)", err=True)
        elif kept.offered:
            click.echo("\nsince you saved it (not added: you edited the file; copy what you want):")
            click.echo("\n".join(kept.offered))
            click.echo(f"(saved already: {saved})", err=True)
        else:
            click.echo(f"(saved already: {saved})", err=True)
        return
    text = journal.draft(library)
    if no_save:
        click.echo(text, nl=False)
        return
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not no_edit and editor and sys.stdin.isatty():
        try:
            text = click.edit(text, extension=".md") or text
        except click.ClickException as exc:
            click.echo(f"your editor ({editor}) did not run ({exc.message}); saving the draft as it is", err=True)
    path = journal.save(library, text)
    click.echo(text, nl=False)
    click.echo(f"(saved to {path})", err=True)


@click.command("journal")
@click.option("--days", default=7, show_default=True, type=count(1), help="How far back.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def journal_(ctx: click.Context, days: int, as_json: bool) -> None:
    """Past days' updates, newest first."""
    found = journal.entries(ctx.obj.library, days)
    if as_json:
        print_json([{"day": d.isoformat(), "text": t} for d, t in found])
        return
    if not found:
        click.echo(f"no journal entries in the last {days} days: `layerwise today` writes one")
    for _, text in found:
        click.echo(text.rstrip() + "\n")


@click.command("stats")
@click.option("--week", "period", flag_value="week", default=True, help="This week (default).")
@click.option("--month", "period", flag_value="month", help="This month.")
@click.option("--png", type=click.Path(dir_okay=False), help="Also draw the charts into this PNG file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats(ctx: click.Context, period: str, png: str | None, as_json: bool) -> None:
    """Where your study time went: by track, area, layer and 70/20/10 bucket against your targets; items read
    against captured; concepts per layer over time."""
    data = measure.stats(ctx.obj.library, period)
    if png:
        measure.chart(data, png)
        click.echo(f"charts written to {png}", err=True)
    if as_json:
        print_json(data)
        return
    _show(data)


def _show(data: dict) -> None:
    from rich.table import Table

    out = console()
    out.print(f"{data['from']} to {data['to']}: {data['minutes']:.0f} min in {data['sessions']} sessions")
    for title, values, targets in (("track", data["by_track"], data["track_targets"]),
                                   ("bucket", data["by_bucket"], data["bucket_targets"]),
                                   ("area", data["by_area"], None), ("layer", data["by_layer"], None)):
        table = Table(title=f"time by {title}", title_justify="left")
        table.add_column(title)
        table.add_column("min", justify="right")
        table.add_column("share", justify="right")
        if targets:
            table.add_column("target", justify="right")
        table.add_column("")
        total = sum(values.values()) or 1
        for name, minutes in values.items():
            share = minutes / total
            row = [name, f"{minutes:.0f}", f"{100 * share:.0f}%"]
            if targets:
                row.append(f"{100 * targets[name]:.0f}%" if name in targets else "")
            table.add_row(*row, "█" * round(20 * share))
        out.print(table)
    ratio = data["read_ratio"] or "-"
    out.print(f"read {data['read']} of {data['captured']} items captured in this period ({ratio})")
    latest = data["map_over_time"][-1] if data["map_over_time"] else {}
    out.print("concepts: " + ", ".join(f"{latest.get(k, 0)} {k}" for k in ("skimmed", "explored", "deepened", "built")))


COMMANDS = [today, journal_, stats]
