"""Keeping the library sound: check, repair, backup."""

from __future__ import annotations

import sys

import click

from layerwise.cli.output import print_json
from layerwise.maintenance import backup as run_backup
from layerwise.maintenance import check as run_check
from layerwise.maintenance import repair as run_repair


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> None:
    """Check the library: the database's pages and indexes, references between tables, the full-text index
    and the representations in the home. Exits 2 when something is wrong (then `layerwise repair`)."""
    findings = run_check(ctx.obj.library)
    if as_json:
        print_json(findings)
    else:
        for finding in findings:
            click.echo(f"{'ok ' if finding.ok else 'BAD'}  {finding.what}" + (f": {finding.detail}" if finding.detail else ""))
        if not all(f.ok for f in findings):
            click.echo("`layerwise repair` rebuilds what can be rebuilt and saves every row that can be read", err=True)
    if not all(f.ok for f in findings):
        sys.exit(2)


@click.command()
@click.pass_context
def repair(ctx: click.Context) -> None:
    """Repair the library: rebuild the full-text index and the representations; if the file lost pages,
    copy every readable row into a new library file and keep the damaged one beside it."""
    done = run_repair(ctx.obj.library)
    for what in done.rebuilt:
        click.echo(f"rebuilt {what}")
    if done.salvage is not None:
        copied = ", ".join(f"{n:,} {table}" for table, n in done.salvage.copied.items() if n)
        click.echo(f"saved {copied}")
        for table, ranges in done.salvage.unreadable.items():
            spans = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges[:8])
            click.echo(f"lost: {table} rows with ids {spans}{' ...' if len(ranges) > 8 else ''} (unreadable)", err=True)
        for table, n in done.salvage.dropped.items():
            click.echo(f"left out: {n} {table} rows that referred to lost rows", err=True)
        click.echo(f"the damaged file is kept as {done.kept}")


@click.command()
@click.pass_context
def backup(ctx: click.Context) -> None:
    """Copy the library file into backups/ in the home (consistent even while layerwise runs). A copy is also
    taken before every upgrade of the database."""
    click.echo(f"backed up to {run_backup(ctx.obj.library)}")


COMMANDS = [check, repair, backup]
