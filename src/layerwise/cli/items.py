"""Commands on items: add, show, list, search, status, tag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from layerwise.cli.output import items_table, print_json, show_item
from layerwise.cli.params import count
from layerwise.references import links
from layerwise.vocab import STATUSES


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--kind", help="Only this kind: paper, post, video, podcast, book, course, thread, repo, talk, exercise."),
        click.option("--status", type=click.Choice(STATUSES), help="Only items with this status."),
        click.option("--source", help="Only items from this source (a feed name, an import's --source, arxiv, doi)."),
        click.option("--tag", help="Only items with this tag."),
        click.option("--since", metavar="DATE", help="Published (or added) on or after YYYY[-MM[-DD]]."),
        click.option("--until", metavar="DATE", help="Published (or added) before YYYY[-MM[-DD]]."),
        click.option("--limit", "-n", default=20, show_default=True, type=count(0), help="How many to show (0: all)."),
        click.option("--offset", default=0, type=count(0), help="Skip this many first."),
        click.option("--mentioned", is_flag=True, help="Only works your items cite that you have not captured yet."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _find(ctx: click.Context, query: str | None, as_json: bool, limit: int, **filters: Any) -> None:
    items, total = ctx.obj.library.find(query, limit=limit or None, **filters)
    if as_json:
        print_json({"total": total, "items": [i.to_dict() for i in items]})
    elif not items:
        click.echo("no items match" if (query or any(filters.values())) else "the library is empty: try `layerwise add` or `layerwise import`")
    else:
        items_table(items, total)


@click.command("list")
@filter_options
@click.option("--sort", type=click.Choice(["new", "cited"]), default="new", show_default=True,
              help="new: newest first; cited: most cited and endorsed by your library first, then by outside counts.")
@click.pass_context
def list_items(ctx: click.Context, as_json: bool, limit: int, sort: str, **filters: Any) -> None:
    """List items, newest first (or most cited first)."""
    _find(ctx, None, as_json, limit, sort=sort, **filters)


@click.command()
@click.argument("query")
@filter_options
@click.pass_context
def search(ctx: click.Context, query: str, as_json: bool, limit: int, **filters: Any) -> None:
    """Full-text search over titles, authors, abstracts and page text, best match first.

    All words must match; "quoted phrases", OR, -word and prefix* work.
    """
    _find(ctx, query, as_json, limit, **filters)


@click.command()
@click.argument("target")
@click.option("--tag", "tags", multiple=True, help="Tag the item (repeatable).")
@click.option("--kind", help="Override the guessed kind.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored item as JSON.")
@click.pass_context
def add(ctx: click.Context, target: str, tags: tuple[str, ...], kind: str | None, as_json: bool) -> None:
    """Capture one thing: an arXiv id or URL, a DOI, a web page URL, or a PDF or saved web page on disk."""
    item, is_new = ctx.obj.library.add(target, tags=tags, kind=kind)
    if as_json:
        print_json({"new": is_new, "item": item.to_dict()})
        return
    verb = "added" if is_new else "already in the library (nothing changed)" if not tags else "already in the library"
    click.echo(f"{verb}: [{item.id}] {item.title} ({item.kind})")


@click.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Show one item. REF is an id, SOURCE:ID (arxiv:2503.11731, csfcube:10010426), a DOI or a URL."""
    item = ctx.obj.library.get(ref)
    graph = links(ctx.obj.library.store, item.library_id)
    if as_json:
        print_json({**item.to_dict(), **graph.to_dict()})
    else:
        show_item(item, graph)


@click.command()
@click.argument("refs", nargs=-1, required=True)
@click.argument("status", type=click.Choice(STATUSES))
@click.pass_context
def status(ctx: click.Context, refs: tuple[str, ...], status: str) -> None:
    """Set the status of items: REF... STATUS (inbox, planned, reading, done, archived, dropped)."""
    changed = ctx.obj.library.set_status(refs, status)
    click.echo(f"{len(changed)} item{'s' if len(changed) != 1 else ''} now {status}")


@click.command()
@click.argument("ref")
@click.argument("tags", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove these tags instead of adding them.")
@click.pass_context
def tag(ctx: click.Context, ref: str, tags: tuple[str, ...], remove: bool) -> None:
    """Add (or --remove) tags on an item: REF TAG..."""
    ctx.obj.library.tag([ref], tags, remove=remove)
    item = ctx.obj.library.get(ref)
    click.echo(f"[{item.id}] tags: {', '.join(item.tags) or '(none)'}")


COMMANDS = [add, show, list_items, search, status, tag]
