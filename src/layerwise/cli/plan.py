"""The weekly plan: week (with accept, skip, swap, done, add) and the inbox."""

from __future__ import annotations

from typing import Any

import click

from layerwise.answers import keep, state
from layerwise.atomic import write_atomically
from layerwise.cli.output import console, print_json
from layerwise.cli.params import NUMBER, count
from layerwise.cli.plan_view import KEPT, plan_answer, print_plan
from layerwise.rank.inbox import inbox as run_inbox
from layerwise.rank.plan import Plan, act, add_to_week, week_plan
from layerwise.study.schedule import week_ics
from layerwise.vocab import KINDS, TRACKS


def show_plan(ctx: click.Context, plan: Plan, as_json: bool) -> dict[str, Any]:
    """Print the plan; returns what was printed, as plain data."""
    answer = plan_answer(plan, ctx.obj.library.items_by_id([p.item_id for p in plan.picks]))
    print_plan(answer, as_json)
    return answer


@click.group(invoke_without_command=True)
@click.option("--refresh", is_flag=True, help="Choose the proposed picks again (accepted and done ones stay).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--ics", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write the week's timeboxes, dives and review as calendar events (at config study_slots).")
@click.pass_context
def week(ctx: click.Context, refresh: bool, as_json: bool, ics: str | None) -> None:
    """This ISO week's plan: a handful of picks in two tracks (need, want), each with its reason.

    The plan stays the same when run again this week unless you change a focus, a setting or a rating."""
    if ctx.invoked_subcommand:
        return
    library = ctx.obj.library
    before = state(library.home, library.database_url, library.user)  # read before the database opens
    if ics:
        week_plan(library, refresh=refresh)
        write_atomically(ics, week_ics(library))
        click.echo(f"the week's timeboxes are in {ics}: import it into your calendar (again after a change; "
                   "the same events are updated)", err=True)
    answer = show_plan(ctx, week_plan(library, refresh=refresh), as_json)
    library.close()  # a closed SQLite library has its files settled (the log checkpointed)
    keep(library.home, KEPT, library.user, before, state(library.home, library.database_url, library.user), answer)


def _act(name: str, help_text: str):  # type: ignore[no-untyped-def]
    @click.argument("position", type=NUMBER)
    @click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
    @click.pass_context
    def command(ctx: click.Context, position: int, as_json: bool) -> None:
        show_plan(ctx, act(ctx.obj.library, position, name), as_json)

    command.__doc__ = help_text
    return week.command(name)(command)


_act("accept", "Accept pick N: it stays in the plan, the item becomes planned, and it counts as liked.")
_act("skip", "Skip pick N (not for me): it counts against similar items and is replaced.")
_act("swap", "Swap pick N (not this one, no judgement): replaced by the next best in its track.")
_act("done", "Mark pick N done: the item is done and counts as liked.")


@week.command("add")
@click.argument("ref")
@click.option("--track", type=click.Choice(TRACKS), help="Which track (default: the one it fits best).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_context
def week_add(ctx: click.Context, ref: str, track: str | None, as_json: bool) -> None:
    """Take an item (e.g. from the inbox) into this week's plan as an accepted pick."""
    show_plan(ctx, add_to_week(ctx.obj.library, ref, track), as_json)


@click.command()
@click.option("--limit", "-n", default=20, show_default=True, type=count(1))
@click.option("--offset", default=0, type=count(0))
@click.option("--kind", type=click.Choice(KINDS), help="Only items of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def inbox(ctx: click.Context, limit: int, offset: int, kind: str | None, as_json: bool) -> None:
    """Everything not picked this week, in ranked order with the reason: it waits, without guilt."""
    from rich.table import Table

    library = ctx.obj.library
    ranked = run_inbox(library, limit=limit, offset=offset, kind=kind)
    items = library.items_by_id([e.item_id for e in ranked])
    if as_json:
        print_json([{"id": e.item_id, "score": round(e.score, 4), "track": e.track, "reason": e.reason,
                     "title": items[e.item_id].title, "kind": items[e.item_id].kind} for e in ranked])
        return
    table = Table()
    for column in ("rank", "id", "track", "title", "why"):
        table.add_column(column, overflow="fold")
    for n, e in enumerate(ranked, offset + 1):
        table.add_row(str(n), str(e.item_id), e.track, items[e.item_id].title, e.because)
    console().print(table)


COMMANDS = [week, inbox]
