"""Click types shared by the commands: numbers the database can take, refused by Click in one clear line
(exit code 2) rather than overflowing a query."""

from __future__ import annotations

import click

from layerwise.vocab import LARGEST_COUNT, LARGEST_ID


def count(smallest: int = 0) -> click.IntRange:
    """A number of things (a limit, an offset, days)."""
    return click.IntRange(smallest, LARGEST_COUNT)


NUMBER = click.IntRange(1, LARGEST_ID)  # an id or a position, which start at 1
