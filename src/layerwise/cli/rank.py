"""Ranking commands: similar (and, with the weekly plan, week and inbox)."""

from __future__ import annotations

from typing import TextIO

import click

from layerwise.cli.output import console, print_json
from layerwise.cli.params import count
from layerwise.rank.similar import similar as run_similar


@click.command()
@click.argument("ref")
@click.option("--among", "among_file", type=click.File("r", encoding="utf-8"),
              help="Rank exactly the items listed in this file (one reference per line, as `show` takes).")
@click.option("--limit", "-n", default=20, show_default=True, type=count(0), help="How many (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {ref, score}, best first.")
@click.pass_context
def similar(ctx: click.Context, ref: str, among_file: TextIO | None, limit: int, as_json: bool) -> None:
    """Items most like REF: by words (tf-idf) and meaning (a static embedding model), combined.

    Runs offline. The first call after the library changes rebuilds the index in the home."""
    among = None
    if among_file is not None:
        among = [line.strip() for line in among_file if line.strip() and not line.lstrip().startswith("#")]
    result = run_similar(ctx.obj.library, ref, among=among, limit=limit or None)
    if result.unknown:
        shown = ", ".join(result.unknown[:5]) + (f" and {len(result.unknown) - 5} more" if len(result.unknown) > 5 else "")
        click.echo(f"warning: {len(result.unknown)} references in --among match no item, left out: {shown}", err=True)
    if result.duplicates:
        click.echo(f"warning: {len(result.duplicates)} references in --among repeat an item (or are REF itself), "
                   "ranked once", err=True)
    if as_json:
        print_json([{"ref": r.ref, "score": r.score} for r in result.results])
        return
    if not result.results:
        click.echo("nothing else in the library to compare with")
        return
    from rich.table import Table

    items = {}
    library = ctx.obj.library
    with library.store.reading() as conn:
        for item in library.store.items(conn, [r.item_id for r in result.results]):
            items[item.id] = item
    table = Table()
    for column in ("ref", "score", "title"):
        table.add_column(column, overflow="fold")
    for r in result.results:
        table.add_row(r.ref, f"{r.score:.2f}", items[r.item_id].title)
    console().print(table)


COMMANDS = [similar]
