"""The library at a glance (`overview`), and the bundled demo (`demo`)."""

from __future__ import annotations

import click

from layerwise.cli.output import console, print_json, progress
from layerwise.cli.plan import show_plan
from layerwise.overview import overview as build
from layerwise.rank import profile
from layerwise.rank.plan import week_plan
from layerwise.sample import load_demo


def _print_overview(data: dict) -> None:
    from rich.columns import Columns
    from rich.table import Table
    from rich.text import Text

    out = console()
    out.print(Text(f"{data['items']:,} items, {data['feeds']} feeds", style="bold"))

    def small(title: str, rows: dict) -> Table:
        table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 1))
        for key, value in rows.items():
            table.add_row(str(key), f"{value:,}")
        return table

    out.print(Columns([small("by kind", data["by_kind"]), small("by status", data["by_status"]),
                       small("by source", data["by_source"]), small("top categories", data["top_categories"])],
                      padding=(0, 4)))
    if data["by_month"]:
        peak = max(data["by_month"].values())
        out.print(Text("published per month", style="italic"))
        for month, n in data["by_month"].items():
            out.print(f"  {month}  {'█' * max(1, round(30 * n / peak)):<30} {n:,}")
    ref = data["graph"]
    if ref["citations"] or ref["endorsements"] or ref["counted"]:
        out.print(Text("reference graph", style="italic"))
        out.print(f"  {ref['citations']:,} citations ({ref['citations_resolved']:,} resolved), {ref['endorsements']:,} "
                  f"recommendations from {ref['lists']:,} lists, {ref['counted']:,} items with an outside citation count, "
                  f"{ref['mentioned']:,} cited works not captured yet (`layerwise list --mentioned --sort cited`)")
    if data["recent"]:
        out.print(Text("latest captured", style="italic"))
        for item in data["recent"]:
            out.print(f"  [{item['id']}] {item['title']}")
    if data["feeds_failing"]:
        out.print(Text(f"{data['feeds_failing']} feeds failed on their last sync: see `layerwise feed list`", style="red"))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def overview(ctx: click.Context, as_json: bool) -> None:
    """What is in the library: counts by kind, status, source and category, and what came in last."""
    data = build(ctx.obj.library)
    if as_json:
        print_json(data)
    else:
        _print_overview(data)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the overview and the plan as JSON.")
@click.pass_context
def demo(ctx: click.Context, as_json: bool) -> None:
    """Load the bundled sample (3,000 real arXiv records) into this home, give it two example focuses if it
    has none, and show the overview and this week's plan.

    Safe to run twice: records already there are recognised and nothing is duplicated."""
    library = ctx.obj.library
    with progress("loading the sample library") as advance:
        report = load_demo(library, on_record=advance)
    data = build(library)
    plan = week_plan(library)
    if as_json:
        print_json({"overview": data, "focuses": profile.focuses(library)})
        return
    click.echo(f"sample library in {library.home.path}: {report.summary()}\n")
    _print_overview(data)
    click.echo("\nfocuses (change them with `layerwise focus ...`):")
    for row in profile.focuses(library):
        click.echo(f"  {row.track}: {row.text}")
    click.echo()
    show_plan(ctx, plan, as_json=False)
    click.echo(f"\nin the browser: LAYERWISE_HOME={library.home.path} layerwise serve")


COMMANDS = [overview, demo]
