"""The weekly plan: week (with accept, skip, swap, done, add) and the inbox."""

from __future__ import annotations

import click

from layerwise.atomic import write_atomically
from layerwise.cli.output import console, print_json
from layerwise.rank.inbox import inbox as run_inbox
from layerwise.rank.plan import act, add_to_week, week_plan
from layerwise.study.schedule import week_ics
from layerwise.vocab import KINDS, TRACKS


def show_plan(ctx: click.Context, plan, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table
    from rich.text import Text

    library = ctx.obj.library
    items = library.items_by_id([p.item_id for p in plan.picks])
    if as_json:
        print_json({"week": plan.week, "notes": plan.notes,
                    "picks": [{"position": p.position, "track": p.track, "bucket": p.bucket, "state": p.state, "reason": p.reason,
                               "id": p.item_id, "title": items[p.item_id].title, "kind": items[p.item_id].kind,
                               "url": items[p.item_id].url} for p in plan.picks]})
        return
    out = console()
    for note in plan.notes:
        out.print(Text(note, style="yellow"))
    table = Table(title=f"layerwise week {plan.week}: {len(plan.picks)} picks", title_justify="left", show_lines=True)
    for column in ("#", "track", "pick", "why"):
        table.add_column(column, overflow="fold")
    for p in plan.picks:
        item = items[p.item_id]
        mark = {"accepted": " ✓ accepted", "done": " ✓ done"}.get(p.state, "")
        table.add_row(str(p.position), f"{p.track}\n{p.bucket}", Text(f"{item.title} ({item.kind}, [{item.id}])") + Text(mark, style="green"),
                      Text(p.because))
    out.print(table)
    out.print(Text("accept, skip (not for me), swap (not this one) or done: `layerwise week accept 1`; "
                   "study one: `layerwise study pick:1` (a bare number is an item id); "
                   "the rest waits in `layerwise inbox`", style="dim"))


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
    if ics:
        week_plan(ctx.obj.library, refresh=refresh)
        write_atomically(ics, week_ics(ctx.obj.library))
        click.echo(f"the week's timeboxes are in {ics}: import it into your calendar (again after a change; "
                   "the same events are updated)", err=True)

    show_plan(ctx, week_plan(ctx.obj.library, refresh=refresh), as_json)


def _act(name: str, help_text: str):  # type: ignore[no-untyped-def]
    @click.argument("position", type=int)
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
@click.option("--limit", "-n", default=20, show_default=True, type=click.IntRange(1))
@click.option("--offset", default=0, type=click.IntRange(0))
@click.option("--kind", type=click.Choice(KINDS), help="Only items of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def inbox(ctx: click.Context, limit: int, offset: int, kind: str | None, as_json: bool) -> None:
    """Everything not picked this week, in ranked order with the reason: it waits, without guilt."""
    from rich.table import Table
    from rich.text import Text

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
        table.add_row(str(n), str(e.item_id), e.track, Text(items[e.item_id].title), Text(e.because))
    console().print(table)


COMMANDS = [week, inbox]
