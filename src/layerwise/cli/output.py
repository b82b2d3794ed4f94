"""Printing for the CLI: JSON for scripts, Rich tables for people, progress bars on stderr."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from layerwise.records import Item
    from layerwise.references import Links


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    # What we print holds titles, paths and references from outside: printed as written, never read as Rich
    # markup (`a[/b]` would raise) or emoji codes (whose table, ~2 ms, is then never loaded). Styles are Text's.
    return Console(stderr=stderr, highlight=False, soft_wrap=False, markup=False, emoji=False)


def print_json(data: Any) -> None:
    """`--json` output for every command: dataclasses, models and lists of them as they are, other values
    (dates, paths) as text."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_plain))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):  # pydantic
        return value.model_dump()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def items_table(items: Sequence[Item], total: int | None = None, title: str | None = None) -> None:
    from rich.table import Table

    table = Table(title=title, show_lines=False, expand=False, title_justify="left")
    table.add_column("id", justify="right", style="cyan", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("year", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for item in items:
        table.add_row(str(item.id), item.kind, item.title, str(item.year or ""), item.status)
    out = console()
    out.print(table)
    if total is not None and total > len(items):
        out.print(f"{len(items)} of {total} shown; use --limit/--offset for more")


def show_item(item: Item, links: Links | None = None) -> None:
    from rich.text import Text

    out = console()
    out.print(Text(item.title, style="bold"))
    rows = [("id", str(item.id)), ("kind", item.kind), ("status", item.status),
            ("authors", ", ".join(item.authors[:12]) + (" et al." if len(item.authors) > 12 else "")),
            ("published", item.published or (str(item.year) if item.year else "")), ("venue", item.venue or ""),
            ("url", item.url or ""), ("arXiv", item.arxiv_id or ""), ("DOI", item.doi or ""),
            ("categories", ", ".join(item.categories)), ("tags", ", ".join(item.tags)),
            ("refs", "  ".join(f"{s}:{r}" for s, r in item.refs)), ("added", item.added_at or "")]
    if item.extra.get("context"):
        rows.append(("context", str(item.extra["context"])))
    for label, value in rows:
        if value:
            out.print(Text(f"{label:>10}  ", style="dim") + Text(value))
    if item.mentioned:
        out.print(Text("  mentioned: cited by your items, not captured yet (`layerwise add` captures it here)",
                       style="yellow"))
    if item.abstract:
        out.print()
        out.print(item.abstract)
    if links is not None:
        _show_links(out, links)


def _show_links(out: Console, links: Links, shown: int = 8) -> None:
    from rich.text import Text

    sections = [
        (f"cited by {len(links.cited_by)} item{'s' if len(links.cited_by) != 1 else ''} in your library",
         [f"[{i.id}] {i.title}" for i, _ in links.cited_by]),
        (f"endorsed by {len(links.endorsed_by)} list{'s' if len(links.endorsed_by) != 1 else ''}",
         [f"{name}" + (f" ({context})" if context else "") for name, context in links.endorsed_by]),
        (f"cites {len(links.cites)}", [(f"[{i.id}] {i.title}" + (" (mentioned)" if i.mentioned else "")) if i else target
                                       for i, target, _ in links.cites]),
    ]
    for heading, lines in sections:
        if not lines:
            continue
        out.print()
        out.print(Text(heading, style="bold"))
        for line in lines[:shown]:
            out.print(f"  {line}")
        if len(lines) > shown:
            out.print(Text(f"  … and {len(lines) - shown} more (--json lists all)", style="dim"))


@contextmanager
def progress(label: str, total: int | None = None, every: int = 250) -> Iterator[Any]:
    """A progress bar on stderr; yields a function to call with the count done so far (redrawn every `every`),
    whose `stage(label, total)` starts the next step of the same command on the same bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # markup=False: a label names a file, and a path such as `a[/b]/refs.bib` is not Rich markup
    columns = [SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn()]
    bar = Progress(*columns, console=console(stderr=True), transient=True,
                   disable=not sys.stderr.isatty())
    with bar:
        yield _Bar(bar, bar.add_task(label, total=total, rate=""), total, every)


class _Bar:
    def __init__(self, bar: Any, task: Any, total: int | None, every: int) -> None:
        self.bar, self.task, self.total, self.every, self.last, self.began = bar, task, total, every, 0, 0.0

    def __call__(self, done: int) -> None:
        if done - self.last >= self.every or (self.total is not None and done >= self.total):
            elapsed = (self.bar.tasks[0].elapsed or 0) - self.began
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0.2 else ""
            self.bar.update(self.task, completed=done, rate=rate)
            self.last = done

    def stage(self, label: str, total: int | None) -> None:
        self.total, self.last, self.began = total, 0, self.bar.tasks[0].elapsed or 0
        self.bar.update(self.task, description=label, total=total, completed=0, rate="")

