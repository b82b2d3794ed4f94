"""Click types shared by the commands: numbers the database can take, refused by Click in one clear line
(an exit code of 2) rather than overflowing a query."""

from __future__ import annotations

import click

LARGEST_ID = 2**63 - 1  # SQLite's INTEGER, PostgreSQL's BIGINT
LARGEST_COUNT = 2**31 - 1  # a limit plus an offset still fits in LARGEST_ID


def count(smallest: int = 0) -> click.IntRange:
    """A number of things (a limit, an offset, days)."""
    return click.IntRange(smallest, LARGEST_COUNT)


NUMBER = click.IntRange(1, LARGEST_ID)  # an id or a position, which start at 1
