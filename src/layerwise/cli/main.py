"""The `layerwise` command: global options, error handling, and the command groups mounted in one place."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from layerwise import __version__


class Context:
    """Carries the chosen home; opens the library (and its database) only when a command needs it."""

    def __init__(self, home: str | None, database_url: str | None) -> None:
        self.home = home
        self.database_url = database_url
        self._library: Any = None

    @property
    def library(self) -> Any:
        if self._library is None:
            from layerwise.library import Library

            self._library = Library(self.home, database_url=self.database_url)
        return self._library


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="layerwise")
@click.option("--home", envvar="LAYERWISE_HOME", type=click.Path(file_okay=False),
              help="Library folder (default: $LAYERWISE_HOME, else the platform's user data folder).")
@click.option("--database-url", envvar="LAYERWISE_DATABASE_URL", metavar="URL",
              help="Use this database instead of the home's SQLite file, e.g. postgresql://host/db.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, database_url: str | None) -> None:
    """layerwise: learn what matters, when it matters.

    Capture papers, posts, talks and feeds into one local library, turn the flood into a short weekly
    plan, study it in timeboxes, write it down, review it, and see it all in the browser (`serve`).
    """
    ctx.obj = Context(home, database_url)
    ctx.call_on_close(lambda: ctx.obj._library.close() if ctx.obj._library else None)


def _mount() -> None:
    from layerwise.cli import concepts, feeds, io, items, overview, plan, rank, reflect, reinforce, serve, study

    for module in (items, io, feeds, overview, rank, plan, concepts, study, reflect, reinforce, serve):
        for command in module.COMMANDS:
            cli.add_command(command)


_mount()


def main(argv: list[str] | None = None) -> None:
    from layerwise.errors import LayerwiseError

    try:
        cli.main(args=argv, prog_name="layerwise", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except LayerwiseError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted: nothing half-done was kept", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except OSError as exc:  # a full disk, a read-only folder, a file that vanished
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(2)
    except Exception as exc:  # the one place that turns a bug into a single line (set LAYERWISE_DEBUG=1 for the trace)
        if os.environ.get("LAYERWISE_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with LAYERWISE_DEBUG=1 for details)", err=True)
        sys.exit(1)
