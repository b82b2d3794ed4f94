"""The nudge in the terminal: after a command, one quiet line on stderr if the weekly review is due or today's
timebox has not happened (reinforce/due.py), at most once an hour, on a terminal only, never with --json;
`config set nudge off` silences it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from layerwise.rank.profile import settings
from layerwise.reinforce.due import nudges

if TYPE_CHECKING:
    from layerwise.library import Library

QUIET = ("review-week", "study", "serve")  # the ritual itself, or commands that never end at a prompt
EVERY = 3600  # seconds: a nudge shown is not shown again for an hour


def maybe_nudge(library: Library, command: str | None) -> None:
    """Called on a terminal, without --json (cli/main.py checks that before it imports this module)."""
    if command in QUIET:
        return
    shown = library.desk.path / ".nudged"  # its time is when the nudge was last shown; one from the future
    # (the clock was set back since) does not silence it until the clock catches up
    if not settings(library).nudge or (shown.exists() and 0 <= time.time() - shown.stat().st_mtime < EVERY):
        return
    lines = nudges(library)
    if lines:
        click.secho("; ".join(lines), err=True, dim=True)
        shown.touch()
