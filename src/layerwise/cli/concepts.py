"""The concept map: coverage, a concept with its links, layers, and the frontier."""

from __future__ import annotations

import click

from layerwise.atomic import write_atomically
from layerwise.cli.output import console, print_json
from layerwise.cli.params import count
from layerwise.concepts import render
from layerwise.concepts.describe import describe
from layerwise.concepts.linking import link_all, set_link
from layerwise.concepts.overlay import concept_map
from layerwise.concepts.progress import coverage, frontier, layers, mark
from layerwise.concepts.resources import ensure
from layerwise.vocab import AREAS, CONCEPT_LAYERS


@click.group("map", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def map_(ctx: click.Context, as_json: bool) -> None:
    """The concept map of ML-engineering fundamentals: per area, how many concepts at each layer."""
    cmap = concept_map(ctx.obj.library)
    if cmap.warning:
        click.echo(f"warning: {cmap.warning}", err=True)
    ensure(ctx.obj.library, cmap)  # the map's starting resources become items the first time the map is used
    if ctx.invoked_subcommand:
        return
    from rich.table import Table

    data = coverage(ctx.obj.library)
    if as_json:
        print_json(data)
        return
    table = Table(title="concepts per area and layer", title_justify="left")
    table.add_column("area")
    for layer in CONCEPT_LAYERS:
        table.add_column(layer, justify="right")
    for area, counts in data.items():
        table.add_row(area, *(str(counts[layer]) for layer in CONCEPT_LAYERS))
    console().print(table)
    click.echo("next: `layerwise map frontier`; mark progress with `layerwise map mark SLUG explored`")


@map_.command("show")
@click.argument("slug")
@click.option("--items", default=10, show_default=True, type=count(0), help="How many linked items to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def map_show(ctx: click.Context, slug: str, items: int, as_json: bool) -> None:
    """A concept: description, links both ways, your layer with its history, and its items by kind."""
    data = describe(ctx.obj.library, slug, items)
    by_kind = data["items"]
    if as_json:
        print_json(data)
        return
    click.echo(f"{data['name']} [{slug}] ({data['area']}) - your layer: {data['layer']}")
    click.echo(data["description"])
    for link in data["links_out"]:
        click.echo(f"  {link['type']} -> {link['to']}")
    for link in data["links_in"]:
        click.echo(f"  {link['from']} -> {link['type']} -> this")
    for kind, rows in by_kind.items():
        click.echo(f"{kind}s:")
        for row in rows:
            if "starting_resource" in row:
                click.echo(f"  [{row['id']}] {row['title']} (starting resource: {row['starting_resource']})")
                continue
            mark = " (confirmed)" if row["state"] == "confirmed" else f" ({row['confidence']:.1f})"
            click.echo(f"  [{row['id']}] {row['title']}{mark}")


@map_.command("mark")
@click.argument("slug")
@click.argument("layer", type=click.Choice(CONCEPT_LAYERS))
@click.pass_context
def map_mark(ctx: click.Context, slug: str, layer: str) -> None:
    """Set your layer on a concept by hand (studying sets it too); the history is kept."""
    mark(ctx.obj.library, slug, layer)
    click.echo(f"{slug}: {layer}")


@map_.command("frontier")
@click.option("--limit", "-n", default=10, show_default=True, type=count(1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def map_frontier(ctx: click.Context, limit: int, as_json: bool) -> None:
    """What to learn next, wide before deep: concepts whose prerequisites you have explored, broad
    foundations first, each with the reason."""
    entries = frontier(ctx.obj.library, limit)
    if as_json:
        print_json(entries)
        return
    for n, e in enumerate(entries, 1):
        click.echo(f"{n:>2}. {e.name} [{e.slug}] ({e.area}): {e.reason}")


@map_.command("link")
@click.pass_context
def map_link(ctx: click.Context) -> None:
    """Link items to concepts again (after imports): names and aliases found in titles and abstracts.
    Links you confirmed or removed are kept as you set them."""
    counts = link_all(ctx.obj.library)
    linked = sum(1 for n in counts.values() if n)
    click.echo(f"{sum(counts.values()):,} links over {linked} concepts")


@map_.command("render")
@click.argument("slug", required=False)
@click.option("--depth", default=1, show_default=True, type=click.IntRange(0, 6), help="Links to follow from SLUG.")
@click.option("--area", type=click.Choice(AREAS), help="Only concepts of this area.")
@click.option("--format", "fmt", default="dot", show_default=True, type=click.Choice(("dot", "mermaid", "svg", "png")))
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here (svg and png default to map-SLUG.FORMAT).")
@click.pass_context
def map_render(ctx: click.Context, slug: str | None, depth: int, area: str | None, fmt: str, output: str | None) -> None:
    """A picture of the map around SLUG (or of an area, or all of it), coloured by your layer, the frontier
    outlined. dot and mermaid print text to paste anywhere; svg and png need Graphviz."""
    library = ctx.obj.library
    cmap = concept_map(library)
    slugs = render.neighbourhood(cmap, slug, depth, area)
    current = layers(library)
    edge = {e.slug for e in frontier(library, limit=None)}
    dot = render.to_dot(cmap, slugs, current, edge, slug)
    if fmt in ("dot", "mermaid"):
        data = (dot if fmt == "dot" else render.to_mermaid(cmap, slugs, current, edge)).encode()
    else:
        data = render.render_image(dot, fmt)
        output = output or f"map-{slug or area or 'all'}.{fmt}"
    if output is None:
        click.echo(data.decode(), nl=False)
        return
    write_atomically(output, data)
    click.echo(f"{len(slugs)} concepts drawn to {output}", err=True)


def _set_link(name: str, state: str, help_text: str) -> None:
    @click.argument("ref")
    @click.argument("slug")
    @click.pass_context
    def command(ctx: click.Context, ref: str, slug: str) -> None:
        item_id = set_link(ctx.obj.library, ref, slug, state)
        click.echo(f"[{item_id}] -> {slug}: {state}")

    command.__doc__ = help_text
    map_.command(name)(command)


_set_link("confirm", "confirmed", "Confirm that item REF is about concept SLUG (creates the link if needed).")
_set_link("unlink", "removed", "Remove the link between item REF and concept SLUG; relinking will not bring it back.")


COMMANDS = [map_]
