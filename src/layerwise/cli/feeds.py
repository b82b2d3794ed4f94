"""Feed subscriptions: feed add/list/remove, and sync."""

from __future__ import annotations

import sys

import click

from layerwise.cli.output import console, print_json, progress
from layerwise.enrich import Enriched, EnrichReport, candidates, newest_id
from layerwise.enrich import enrich as run_enrich
from layerwise.errors import LayerwiseError
from layerwise.library import Library
from layerwise.rank.profile import settings
from layerwise.records import Item
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
        table.add_row(f["name"], f["title"] or f["url"], str(f["items"]), f["last_fetched_at"] or "never",
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
    newest = newest_id(ctx.obj.library)
    with progress("syncing feeds", total=total) as advance:
        def on_feed(_result: object) -> None:
            done["n"] += 1
            advance(done["n"])
        results = run_sync(ctx.obj.library, feeds, on_feed=on_feed)
    failed = [r for r in results if r.status == "failed"]
    if settings(ctx.obj.library).enrich_on_sync and not as_json:
        new, _ = candidates(ctx.obj.library, after_id=newest)  # only items with a DOI or an arXiv id
        if new:  # a failed lookup is a line; the sync itself went well
            _enrich(ctx.obj.library, new, [], as_json=False, exit_on_failure=False)
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


@click.command()
@click.argument("refs", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every item with a DOI or an arXiv id not enriched yet.")
@click.option("--since", metavar="DATE", help="Items added on or after YYYY[-MM[-DD]] not enriched yet.")
@click.option("--refresh", is_flag=True, help="Fetch again for items enriched before (with --all or --since).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.pass_context
def enrich(ctx: click.Context, refs: tuple[str, ...], every: bool, since: str | None, refresh: bool,
           as_json: bool) -> None:
    """Fetch citation data from OpenAlex for items with a DOI or an arXiv id (REF..., --all or --since): cited-by
    counts and references, into the reference graph. Exits 3 if some failed, 2 if all did."""
    if not (refs or every or since):
        raise LayerwiseError("name items (REF...), or use --all or --since DATE")
    items, refused = candidates(ctx.obj.library, refs, since=since, refresh=refresh)
    if not items and not refused:
        click.echo("nothing to enrich: every item with a DOI or an arXiv id has its OpenAlex data (--refresh fetches again)")
        return
    _enrich(ctx.obj.library, items, refused, as_json)


def _enrich(library: Library, items: list[Item], refused: list[Enriched], as_json: bool,
            exit_on_failure: bool = True) -> None:
    done = {"n": 0}

    def on_item(result: Enriched) -> None:
        done["n"] += 1
        advance(done["n"])
        if not as_json and not result.ok:
            click.echo(f"not enriched {result.ref}: {result.message}", err=True)
    with progress("OpenAlex", total=len(items) + len(refused), every=1) as advance:
        report = EnrichReport()
        for result in refused:
            report.add(result, on_item)
        run_enrich(library, items, on_item=on_item, report=report)
    if as_json:
        print_json({"enriched": report.enriched, "results": report.results})
    else:
        click.echo(report.summary())
    if report.failed and exit_on_failure:
        sys.exit(3 if report.enriched else 2)


COMMANDS = [feed, sync, enrich]
