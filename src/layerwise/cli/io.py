"""Commands that move records in and out: import, export."""

from __future__ import annotations

import sys

import click

from layerwise.capture.formats import FORMATS
from layerwise.cli.output import print_json, progress
from layerwise.errors import LayerwiseError
from layerwise.interchange import FORMATS_OUT, export_file, import_file
from layerwise.reinforce.anki import ImportReport

PARTLY = 3  # the exit code of an import that kept its good records and skipped some


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="The file's format (default: detected from its content).")
@click.option("--source", help="Name for this source; its records are then addressable as NAME:ID.")
@click.option("--id-field", help="JSONL: the field holding each record's own id.")
@click.option("--title-field", help="JSONL: the field holding the title.")
@click.option("--text-field", help="JSONL: the field holding the abstract or text.")
@click.option("--authors-field", help="JSONL: the field holding the authors.")
@click.option("--url-field", help="JSONL: the field holding the URL.")
@click.option("--date-field", help="JSONL: the field holding the publication date.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def import_(ctx: click.Context, file: str, fmt: str | None, source: str | None, as_json: bool, **fields: str | None) -> None:
    """Import a file: BibTeX, CSL-JSON, RIS, OPML (feed subscriptions), a Markdown link list, JSONL, a
    feed file, a PDF, or an Anki deck (.apkg: its cards join your reviews). The format is detected from the content. Records already in the library are
    merged, not duplicated. The import is one transaction: Ctrl-C leaves the library as it was."""
    mapping = {name.removesuffix("_field"): value for name, value in fields.items() if value}
    try:
        with progress(f"importing {click.format_filename(file)}") as advance:
            report = import_file(ctx.obj.library, file, format=fmt, source=source, mapping=mapping, on_record=advance)
    except KeyboardInterrupt:
        click.echo(f"interrupted: nothing from {file} was imported; the library is unchanged", err=True)
        sys.exit(130)
    if isinstance(report, ImportReport):  # an Anki deck: cards, not library items
        if as_json:
            print_json(report)
        else:
            click.echo(f"{click.format_filename(file)}: {report.summary()}")
        return
    if as_json:
        print_json({"added": report.added, "merged": report.merged, "unchanged": report.unchanged,
                    "feeds_added": report.feeds_added,
                    "skipped": [{"where": s.where, "reason": s.reason} for s in report.skipped]})
    else:
        for skip in report.skipped:  # every one, by where it is: the user fixes them in the file
            click.echo(f"skipped {skip.where}: {skip.reason}", err=True)
        click.echo(f"{click.format_filename(file)}: {report.summary()}")
    if report.skipped:  # scripts tell "some records skipped, the rest kept" (3) from "nothing kept" (2)
        sys.exit(PARTLY if report.added + report.merged + report.unchanged else 2)


@click.command()
@click.argument("what", required=False, type=click.Choice(FORMATS_OUT))
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS_OUT),
              help="bibtex, csljson or jsonl for items; opml for feed subscriptions; anki for your cards (.apkg).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to this file (default: stdout).")
@click.option("--by", type=click.Choice(["area", "concept"]), default="area", show_default=True,
              help="anki: one deck per area or per concept.")
@click.option("--status", help="Only items with this status.")
@click.option("--tag", help="Only items with this tag.")
@click.option("--kind", help="Only items of this kind.")
@click.option("--source", help="Only items from this source.")
@click.pass_context
def export(ctx: click.Context, what: str | None, file: str | None, fmt: str | None, output: str | None, by: str,
           **filters: str | None) -> None:
    """Export items (or feeds, as OPML, or your cards, as an Anki deck) in a format other tools read:
    `layerwise export bibtex library.bib`, `layerwise export anki cards.apkg`, or --format and -o."""
    fmt, output = fmt or what, output or file
    if fmt is None:
        raise LayerwiseError("say what to export: bibtex, csljson, jsonl, opml or anki (e.g. `layerwise export anki cards.apkg`)")
    done = export_file(ctx.obj.library, fmt, output, sys.stdout, by, **{k: v for k, v in filters.items() if v})
    if done is not None:
        click.echo(done.summary, err=True)


COMMANDS = [import_, export]
