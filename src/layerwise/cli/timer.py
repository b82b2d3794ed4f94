"""The live countdown of a study session in the terminal: a progress bar, pause/resume (p), stop early (s),
extend once (e). Time is measured on the monotonic clock, so a wall clock that jumps changes nothing; the
elapsed time is handed to `checkpoint` every few seconds so an interrupted session keeps its minutes."""

from __future__ import annotations

import contextlib
import os
import select
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from layerwise.cli.output import console

CHECKPOINT_EVERY = 10.0  # seconds
TICK = 0.2


@dataclass
class TimerResult:
    seconds: float
    stopped_early: bool = False
    extended: bool = False


@contextlib.contextmanager
def _keys() -> Iterator[Callable[[], str | None]]:
    """Single key presses without Enter when stdin is a terminal; otherwise no keys."""
    if not sys.stdin.isatty():
        yield lambda: None
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)

    def read() -> str | None:
        ready, _, _ = select.select([fd], [], [], 0)
        return os.read(fd, 1).decode(errors="ignore").lower() if ready else None

    try:
        yield read
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


Keys = Callable[[], contextlib.AbstractContextManager[Callable[[], str | None]]]


def countdown(title: str, seconds: float, extend_by: float, checkpoint: Callable[[float, bool], None], *,
              clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
              keys: Keys = _keys) -> TimerResult:
    """Count down a timebox. The clock, the wait between ticks and the key source can be replaced (tests run
    an hour-long session in milliseconds that way)."""
    from rich.progress import BarColumn, Progress, TextColumn

    total, elapsed, extended, paused = seconds, 0.0, False, False
    last, last_checkpoint = clock(), 0.0
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[left]}"),
               TextColumn("[dim]{task.fields[help]}"))
    help_text = "p pause · s stop · e extend once · Ctrl-C quits"
    try:
        with keys() as key, Progress(*columns, console=console(), transient=False) as bar:
            task = bar.add_task(title, total=total, left=_clock(total), help=help_text)
            while elapsed < total:
                sleep(TICK)
                moment = clock()
                if not paused:
                    elapsed += moment - last
                last = moment
                pressed = key()
                if pressed == "p":
                    paused = not paused
                elif pressed == "s":
                    checkpoint(elapsed, extended)
                    return TimerResult(elapsed, stopped_early=True, extended=extended)
                elif pressed == "e" and not extended:
                    extended, total = True, total + extend_by
                status = "paused · p resumes" if paused else ("extended · " if extended else "") + help_text
                bar.update(task, total=total, completed=min(elapsed, total), left=_clock(max(total - elapsed, 0)), help=status)
                if elapsed - last_checkpoint >= CHECKPOINT_EVERY:
                    checkpoint(elapsed, extended)
                    last_checkpoint = elapsed
    except KeyboardInterrupt:
        checkpoint(elapsed, extended)  # the minutes spent are kept; the caller records the interruption
        raise
    checkpoint(elapsed, extended)
    return TimerResult(elapsed, extended=extended)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes:02d}:{secs:02d} left"
