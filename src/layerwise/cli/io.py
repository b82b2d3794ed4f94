"""Commands that move records in and out: import, export."""

from __future__ import annotations

import sys

import click

from layerwise.capture.formats import FORMATS
from layerwise.cli.output import print_json, progress
from layerwise.errors import LayerwiseError
from layerwise.ingest import IngestReport
from layerwise.interchange import FORMATS_OUT, export_file, import_file
from layerwise.rank.prepare import ahead, prepare
from layerwise.reinforce.anki import ImportReport

PARTLY = 3  # the exit code of an import that kept its good records and skipped some


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="The files' format (default: detected from each file's content).")
@click.option("--source", help="Name for this source; its records are then addressable as NAME:ID.")
@click.option("--id-field", help="JSONL or CSV: the field holding each record's own id (a CSV column by its header).")
@click.option("--title-field", help="JSONL or CSV: the field holding the title.")
@click.option("--text-field", help="JSONL or CSV: the field holding the abstract or text.")
@click.option("--authors-field", help="JSONL or CSV: the field holding the authors.")
@click.option("--url-field", help="JSONL or CSV: the field holding the URL.")
@click.option("--date-field", help="JSONL or CSV: the field holding the publication date.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (a list when several files).")
@click.option("--no-prepare", is_flag=True, help="Leave embedding and linking the new items to their first use.")
@click.pass_context
def import_(ctx: click.Context, files: tuple[str, ...], fmt: str | None, source: str | None, as_json: bool,
            no_prepare: bool, **fields: str | None) -> None:
    """Import files: BibTeX, CSL-JSON, RIS, CSV, OPML (feed subscriptions), browser bookmarks, a Markdown link list, JSONL, a feed file, a PDF, or an Anki deck (.apkg: its cards join your reviews).

    The format is detected from the content (a CSV by a header naming a title column: Zotero's CSV export, a
    spreadsheet). Records already in the library are merged, not duplicated; then the new items are embedded
    and linked to the concept map, so the next plan is ready at once. Each file is one transaction: Ctrl-C
    leaves the library without the file being read (files before it stay). Exit code 3 when some records were skipped and the rest kept, 2 when a file kept nothing."""
    mapping = {name.removesuffix("_field"): value for name, value in fields.items() if value}
    library, reports, failed, unprepared, preparing = ctx.obj.library, [], False, "", False
    current, early = files[0], None if no_prepare else ahead(library)  # embeds the items as they are stored
    try:
        with progress(f"importing {click.format_filename(current)}") as bar:
            for current in files:
                bar.stage(f"importing {click.format_filename(current)}", None)
                try:
                    reports.append((current, import_file(library, current, format=fmt, source=source, mapping=mapping,
                                                         on_record=bar, on_stored=early)))
                except LayerwiseError as exc:
                    if len(files) == 1:
                        raise
                    click.echo(f"error: {exc}", err=True)  # the other files still come in
                    failed = True
            preparing = not no_prepare and any(not isinstance(r, ImportReport) and (r.added or r.merged)
                                               for _, r in reports)
            if preparing:
                try:
                    prepare(library, bar, early)
                except (LayerwiseError, OSError) as exc:  # the import is kept; the next command that ranks says it again
                    unprepared = str(exc)
    except KeyboardInterrupt:
        done = ", ".join(f for f, _ in reports)
        if preparing:
            click.echo(f"interrupted: {done} imported; embedding and linking the items finish on first use", err=True)
        else:
            click.echo(f"interrupted: nothing from {current} was imported"
                       + (f"; {done} imported before it" if done else "; the library is unchanged"), err=True)
        sys.exit(130)
    finally:
        if early is not None:
            early.stop()
    _report(reports, as_json, len(files) > 1)
    if unprepared:
        click.echo(f"warning: the items were imported, but embedding and linking them failed: {unprepared}", err=True)
    skipped = [r for _, r in reports if not isinstance(r, ImportReport) and r.skipped]
    if failed or any(not (r.added + r.merged + r.unchanged) for r in skipped):
        sys.exit(2)
    if skipped:  # scripts tell "some records skipped, the rest kept" (3) from "nothing kept" (2)
        sys.exit(PARTLY)


def _report(reports: list[tuple[str, IngestReport | ImportReport]], as_json: bool, several: bool) -> None:
    shown = []
    for file, report in reports:
        if isinstance(report, ImportReport):  # an Anki deck: cards, not library items
            shown.append({"file": file, **report.__dict__} if as_json else None)
            if not as_json:
                click.echo(f"{click.format_filename(file)}: {report.summary()}")
            continue
        if as_json:
            shown.append({"file": file, "added": report.added, "merged": report.merged, "unchanged": report.unchanged,
                          "feeds_added": report.feeds_added,
                          "skipped": [{"where": s.where, "reason": s.reason} for s in report.skipped]})
            continue
        for skip in report.skipped:  # every one, by where it is: the user fixes them in the file
            click.echo(f"skipped {skip.where}: {skip.reason}", err=True)
        click.echo(f"{click.format_filename(file)}: {report.summary()}")
    if as_json:
        print_json(shown if several else {k: v for k, v in (shown[0] or {}).items() if k != "file"})


@click.command()
@click.argument("what", required=False, type=click.Choice(FORMATS_OUT))
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS_OUT),
              help="bibtex, csljson, jsonl or csv for items; opml for feed subscriptions; anki for your cards (.apkg).")
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
        raise LayerwiseError("say what to export: bibtex, csljson, jsonl, csv, opml or anki (e.g. "
                             "`layerwise export anki cards.apkg`)")
    done = export_file(ctx.obj.library, fmt, output, sys.stdout, by, **{k: v for k, v in filters.items() if v})
    if done is not None:
        click.echo(done.summary, err=True)


COMMANDS = [import_, export]
