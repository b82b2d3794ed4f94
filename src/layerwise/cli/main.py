"""The `layerwise` command: global options, error handling, and every command mounted in one place."""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

import click

from layerwise import __version__
from layerwise.errors import LayerwiseError

if TYPE_CHECKING:
    from layerwise.library import Library


class Context:
    """Carries the chosen home; opens the library (and its database) only when a command needs it."""

    def __init__(self, home: str | None, database_url: str | None, args: list[str] | None = None,
                 user: str | None = None) -> None:
        self.home = home
        self.database_url = database_url
        self.user = user
        self.args = args or []  # the command line, to keep the nudge out of --json output
        self._library: Library | None = None

    @property
    def library(self) -> Library:
        if self._library is None:
            # the one own-module import inside a function (tests/test_architecture.py names it): the library
            # pulls in every reader and the store, which `--help` and `--version` must not wait for
            from layerwise.library import Library

            self._library = Library(self.home, database_url=self.database_url, user=self.user)
        return self._library


# Every command: its module in layerwise.cli, the function, and the line `layerwise --help` shows for it. A
# command's module is imported only when that command runs (or shows its own help), because the core it calls
# loads NumPy, SQLAlchemy or FastAPI, which `layerwise --help` must not wait for. A test keeps the lines equal
# to each command's own help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "add": ("items", "add",
            'Capture one thing: an arXiv id or URL, a DOI, a web page URL, or a PDF or saved web page on disk.'),
    "show": ("items", "show",
             'Show one item.'),
    "list": ("items", "list_items",
             'List items, newest first (or most cited first).'),
    "search": ("items", "search",
               'Full-text search over titles, authors, abstracts and page text, best match first.'),
    "status": ("items", "status",
               'Set the status of items: REF...'),
    "tag": ("items", "tag",
            'Add (or --remove) tags on an item: REF TAG...'),
    "import": ("io", "import_",
               'Import files: BibTeX, CSL-JSON, RIS, CSV, OPML (feed subscriptions), browser bookmarks, a Markdown link list, JSONL, a feed file, a PDF, or an Anki deck (.apkg: its cards join your reviews).'),
    "export": ("io", "export",
               'Export items (or feeds, as OPML, or your cards, as an Anki deck) in a format other tools read: `layerwise export bibtex library.bib`, `layerwise export anki cards.apkg`, or --format and -o.'),
    "feed": ("feeds", "feed",
             'Subscribe to RSS, Atom and JSON feeds: blogs, arXiv categories, podcasts, YouTube channels.'),
    "sync": ("feeds", "sync",
             'Fetch new entries from every feed (or the ones named), politely: conditional GET, one failure does not stop the others.'),
    "enrich": ("feeds", "enrich",
               'Fetch citation data from OpenAlex for items with a DOI or an arXiv id (REF..., --all or --since): cited-by counts and references, into the reference graph.'),
    "overview": ("overview", "overview",
                 'What is in the library: counts by kind, status, source and category, and what came in last.'),
    "demo": ("overview", "demo",
             "Load the bundled sample (3,000 real arXiv records) into this home, give it two example focuses if it has none, and show the overview and this week's plan."),
    "similar": ("rank", "similar",
                'Items most like REF: by words (tf-idf) and meaning (a static embedding model), combined.'),
    "focus": ("profile", "focus",
              'What you need to learn (current project or role) and want to learn (curiosity).'),
    "config": ("profile", "config",
               'Settings of the weekly plan (kept in config.toml in the home).'),
    "rate": ("profile", "rate",
             'Tell the plan what you think of an item: REF + (more like this) or REF - (less).'),
    "week": ("plan", "week",
             "This ISO week's plan: a handful of picks in two tracks (need, want), each with its reason."),
    "inbox": ("plan", "inbox",
              'Everything not picked this week, in ranked order with the reason: it waits, without guilt.'),
    "map": ("concepts", "map_",
            'The concept map of ML-engineering fundamentals: per area, how many concepts at each layer.'),
    "study": ("study", "study",
              'Study TARGET (an item reference or a concept slug) inside a timebox, then decide: summarize, bookmark and move on, or schedule a deeper dive.'),
    "dives": ("study", "dives",
              "Deeper dives you scheduled, from today on; they join their week's plan."),
    "notes": ("study", "notes",
              "Your notes (Markdown files in the home's notes/ folder), newest first; with QUERY, full-text search."),
    "glossary": ("study", "glossary",
                 'Terms from your notes\' "Terms that didn\'t make sense": how many items you read mention each, whether you defined it; recurring undefined ones first.'),
    "today": ("reflect", "today",
              'Your end-of-day update: what you studied and why, and what is next, as Markdown ready to paste into a team channel.'),
    "journal": ("reflect", "journal_",
                "Past days' updates, newest first."),
    "stats": ("reflect", "stats",
              'Where your study time went: by track, area, layer and 70/20/10 bucket against your targets; items read against captured; concepts per layer over time.'),
    "review-week": ("weekly", "review_week",
                    "The weekly review: what last week's picks became, time against your targets, concepts that moved, terms still unclear, cards due; then carry, let go or schedule each untouched pick, write your reflection, and see next week's plan."),
    "review": ("reinforce", "review",
               'Review the cards that are due, scheduled by FSRS.'),
    "digest": ("reinforce", "digest",
               "The week's best five links with your own summaries and why each matters: Markdown, HTML for an email, or an Atom feed that keeps every week you made a digest for."),
    "kata": ("reinforce", "kata",
             'Build to learn: from-scratch exercises with checkers; passing one moves its concept to built.'),
    "check": ("maintenance", "check",
              "Check the library: the database's pages and indexes, references between tables, the full-text index and the representations in the home."),
    "repair": ("maintenance", "repair",
               'Repair the library: rebuild the full-text index and the representations; if the file lost pages, copy every readable row into a new library file and keep the damaged one beside it.'),
    "backup": ("maintenance", "backup",
               'Copy the library file into backups/ in the home (consistent even while layerwise runs).'),
    "team": ("team", "team",
             "The team's week: what people accepted, finished and summed up, with the summaries they shared; `team who` says who knows which concept."),
    "user": ("people", "user",
             'The people sharing this library (team mode): add them with a token for the web app, list, revoke, remove.'),
    "serve": ("serve", "serve",
              "The web app: inbox triage with the keyboard, this week's plan, a study timer with the note editor, the concept map, review, digest and stats."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (Click's documented pattern for large CLIs)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(f"layerwise.cli.{module}"), attr)
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] == "week" and set(args[1:]) <= {"--json"}:
            # the third lazy boundary (tests/test_architecture.py names it): this week's plan, asked again while
            # the library is untouched, is printed from the answer kept last time (layerwise/answers.py)
            from layerwise.cli.plan_view import kept_week

            kept = kept_week(ctx.params.get("home"), ctx.params.get("database_url"), ctx.params.get("user"))
            if kept is not None:
                return "week", kept, args[1:]
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        width = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _first_words(COMMANDS[name][2], width)) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _first_words(text: str, width: int) -> str:
    """As much of a command's line as fits, cut at a word, as Click shortens help."""
    if len(text) <= width:
        return text
    return text[: max(width - 3, 1)].rsplit(" ", 1)[0].rstrip(",;:") + "..."


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="layerwise")
@click.option("--home", envvar="LAYERWISE_HOME", type=click.Path(file_okay=False),
              help="Library folder (default: $LAYERWISE_HOME, else the platform's user data folder).")
@click.option("--database-url", envvar="LAYERWISE_DATABASE_URL", metavar="URL",
              help="Use this database instead of the home's SQLite file, e.g. postgresql://host/db.")
@click.option("--user", envvar="LAYERWISE_USER", metavar="NAME",
              help="Who acts, in a library shared by a team (default: the `user` in the home's config.toml).")
@click.pass_context
def cli(ctx: click.Context, home: str | None, database_url: str | None, user: str | None) -> None:
    """layerwise: learn what matters, when it matters.

    Capture papers, posts, talks and feeds into one local library, turn the flood into a short weekly
    plan, study it in timeboxes, write it down, review it, and see it all in the browser (`serve`).
    """
    ctx.obj = Context(home, database_url, ctx.obj if isinstance(ctx.obj, list) else None, user)
    ctx.call_on_close(lambda: ctx.obj._library.close() if ctx.obj._library else None)


@cli.result_callback()
def after(result: object, **_: object) -> None:
    """After a command that opened the library succeeded: perhaps one quiet line of what is due (cli/nudge.py)."""
    ctx = click.get_current_context()
    if ctx.obj._library is not None and sys.stderr.isatty() and "--json" not in ctx.obj.args:
        # the second lazy boundary (tests/test_architecture.py names it): only commands that opened the library
        # pay for working out what is due
        from layerwise.cli.nudge import maybe_nudge

        maybe_nudge(ctx.obj._library, ctx.invoked_subcommand)


def run() -> None:
    """The `layerwise` program (its script and `python -m layerwise`): `main`, then every object the command left
    (NumPy's, the index's) frozen, so the interpreter's last garbage collections at exit skip them: ~20 ms of a
    0.2 s `similar`. Objects are still released, files closed and exit handlers run."""
    import gc

    try:
        main()
    finally:
        gc.freeze()


def main(argv: list[str] | None = None) -> None:
    try:
        args = sys.argv[1:] if argv is None else list(argv)
        cli.main(args=args, prog_name="layerwise", standalone_mode=False, obj=args)
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
