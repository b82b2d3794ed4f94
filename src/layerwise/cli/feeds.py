"""Feed subscriptions: feed add/list/remove, and sync."""

from __future__ import annotations

import sys

import click

from layerwise.cli.output import console, print_json, progress
from layerwise.subscriptions import list_feeds, subscribe, unsubscribe
from layerwise.subscriptions import sync as run_sync


@click.group()
def feed() -> None:
    """Subscribe to RSS, Atom and JSON feeds: blogs, arXiv categories, podcasts, YouTube channels."""


@feed.command("add")
@click.argument("url")
@click.option("--name", help="Short name for the feed (default: from its title); items are NAME:ENTRY-ID.")
@click.pass_context
def feed_add(ctx: click.Context, url: str, name: str | None) -> None:
    """Subscribe to a feed URL (or a page that advertises one) and store its current entries."""
    row, report = subscribe(ctx.obj.library, url, name)
    click.echo(f"subscribed to {row['title'] or row['url']} as '{row['name']}': {report.summary()}")


@feed.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def feed_list(ctx: click.Context, as_json: bool) -> None:
    """List subscriptions with item counts, last fetch and last error."""
    from rich.table import Table
    from rich.text import Text

    feeds = list_feeds(ctx.obj.library)
    if as_json:
        print_json(feeds)
        return
    if not feeds:
        click.echo("no feeds yet: `layerwise feed add URL` or `layerwise import subscriptions.opml`")
        return
    table = Table()
    for column in ("name", "title", "items", "last fetched", "problem"):
        table.add_column(column, overflow="fold")
    for f in feeds:
        table.add_row(f["name"], Text(f["title"] or f["url"]), str(f["items"]), f["last_fetched_at"] or "never",
                      Text(f["last_error"] or "", style="red"))
    console().print(table)


@feed.command("remove")
@click.argument("feed_ref")
@click.pass_context
def feed_remove(ctx: click.Context, feed_ref: str) -> None:
    """Unsubscribe (by name, URL or id). Items already captured stay in the library."""
    row = unsubscribe(ctx.obj.library, feed_ref)
    click.echo(f"unsubscribed from '{row['name']}' ({row['url']}); its {row['items']} items stay in the library")


@click.command()
@click.argument("feeds", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.pass_context
def sync(ctx: click.Context, feeds: tuple[str, ...], as_json: bool) -> None:
    """Fetch new entries from every feed (or the ones named), politely: conditional GET, one failure
    does not stop the others. Exits 2 if any feed failed."""
    total = len(feeds) or len(list_feeds(ctx.obj.library))
    if total == 0:
        click.echo("no feeds to sync: `layerwise feed add URL` first")
        return
    done = {"n": 0}
    with progress("syncing feeds", total=total) as advance:
        def on_feed(_result: object) -> None:
            done["n"] += 1
            advance(done["n"])
        results = run_sync(ctx.obj.library, feeds, on_feed=on_feed)
    failed = [r for r in results if r.status == "failed"]
    if as_json:
        print_json(results)
    else:
        for r in failed:
            click.echo(f"failed {r.name}: {r.error}", err=True)
        added = sum(r.added for r in results)
        unchanged = sum(1 for r in results if r.status == "not modified")
        click.echo(f"{len(results)} feeds synced: {added} new items, {unchanged} not modified, {len(failed)} failed")
    if failed:
        sys.exit(2)


COMMANDS = [feed, sync]
