"""The weekly ritual in the terminal: `review-week` looks back at a week and plans the next."""

from __future__ import annotations

import dataclasses
import os
import sys
from datetime import date
from typing import TYPE_CHECKING

import click

from layerwise.cli.output import console, print_json
from layerwise.cli.params import NUMBER
from layerwise.cli.plan import show_plan
from layerwise.errors import LayerwiseError
from layerwise.rank import profile
from layerwise.rank.plan import week_plan
from layerwise.reinforce import weekly
from layerwise.times import parse_week, week_days

if TYPE_CHECKING:
    from layerwise.library import Library
    from layerwise.reinforce.weekly import WeekReview

ASK = {"c": "carry", "l": "let-go", "s": "schedule"}


@click.command("review-week")
@click.option("--week", help="The ISO week to review, e.g. 2026-W48 (default: the one due, else the last one).")
@click.option("--carry", multiple=True, type=NUMBER, metavar="N", help="Carry pick N into the next week's plan.")
@click.option("--let-go", "let_go", multiple=True, type=NUMBER, metavar="N",
              help="Let pick N go back to the inbox (no judgement on it).")
@click.option("--schedule", multiple=True, metavar="N:DAY", help="Schedule a deeper dive on pick N, e.g. 3:+2d or 3:2026-12-09.")
@click.option("--learned", default="", help="Your reflection: what you learned this week.")
@click.option("--change", default="", help="Your reflection: what you will change.")
@click.option("--no-input", is_flag=True, help="Ask nothing (the default when not in a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the review as JSON.")
@click.pass_context
def review_week(ctx: click.Context, week: str | None, carry: tuple[int, ...], let_go: tuple[int, ...],
                schedule: tuple[str, ...], learned: str, change: str, no_input: bool, as_json: bool) -> None:
    """The weekly review: what last week's picks became, time against your targets, concepts that moved, terms
    still unclear, cards due; then carry, let go or schedule each untouched pick, write your reflection, and
    see next week's plan."""
    library = ctx.obj.library
    week = parse_week(week) if week else weekly.default_week(library)
    today = date.today()
    chosen: list[tuple[int, str, str | None]] = [(n, "carry", None) for n in carry]
    chosen += [(n, "let-go", None) for n in let_go]
    for value in schedule:
        number, _, when = value.partition(":")
        if not number.isdigit() or not when:
            raise LayerwiseError(f"--schedule takes N:DAY such as 3:+2d or 3:2026-12-09, not {value!r}")
        chosen.append((int(number), "schedule", when))
    for position, choice, day in chosen:
        weekly.decide(library, week, position, choice, day, today)
    found = weekly.review(library, week, today)
    if learned or change:
        weekly.save_reflection(library, found, learned, change)
        found = weekly.review(library, week, today)
    if as_json:
        if chosen or learned or change:
            _finish(library, found)
        print_json({**dataclasses.asdict(found), "undecided": [p.position for p in found.undecided],
                    "studied": found.studied})
        return
    interactive = sys.stdin.isatty() and not no_input
    _show(found)
    if interactive:
        for pick in found.undecided:
            _ask(library, week, pick, today)
        _focuses(library)
        if not found.reflection:
            _reflect(library, found)  # its one line of facts does not change with the decisions
    elif found.undecided:
        click.echo(f"\nstill to decide: {', '.join(f'pick {p.position}' for p in found.undecided)}: "
                   f"`layerwise review-week --week {week} --carry N --let-go N --schedule N:DAY`")
    if found.digest:
        click.echo(f"\nthe digest's draft ({len(found.digest)} links; `layerwise digest --week {week}` makes it):")
        click.echo("\n".join(f"  - {title}" for title in found.digest))
    if interactive or chosen or learned or change:
        _finish(library, weekly.review(library, week, today))
        ahead = weekly.next_week(week, today)
        click.echo("")
        show_plan(ctx, week_plan(library, ahead), False)


def _finish(library: Library, found: WeekReview) -> None:
    if not found.undecided:
        weekly.finish(library, found.week)


def _show(found: WeekReview) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    monday, sunday = week_days(found.week)
    done = f"reviewed {found.reviewed_at[:10]}" if found.reviewed_at else "not reviewed yet"
    out.print(Text(f"Week {found.week} ({monday:%a %d %b} to {sunday:%a %d %b}), {done}: {found.studied} of "
                   f"{len(found.picks)} picks studied, {found.time['minutes']:.0f} min in {found.time['sessions']} "
                   "sessions", style="bold"))
    if not found.picks:
        out.print("this week had no plan: `layerwise week` makes one")
    table = Table(show_lines=False, title_justify="left")
    for column in ("#", "track", "pick", "became", "min"):
        table.add_column(column, overflow="fold")
    for p in found.picks:
        became = p.outcome + (f" ({p.layer})" if p.layer else "")
        if p.choice:
            became += f" → {p.choice}" + (f" {p.day}" if p.day else "")
        style = "yellow" if p.open and not p.choice else "green" if not p.open else ""
        table.add_row(str(p.position), f"{p.track}/{p.bucket}", Text(p.title), Text(became, style=style), f"{p.minutes:.0f}")
    if found.picks:
        out.print(table)
    if found.let_go_during:
        out.print(f"let go during the week: {found.let_go_during} (skipped or swapped)")
    time = found.time
    for name, spent, targets in (("track", time["by_track"], time["track_targets"]),
                                 ("bucket", time["by_bucket"], time["bucket_targets"])):
        total = sum(spent.get(k, 0) for k in targets) or 0
        if total:
            parts = [f"{k} {100 * spent.get(k, 0) / total:.0f}% (target {100 * v:.0f}%)" for k, v in targets.items()]
            out.print(f"time by {name}: " + ", ".join(parts))
    layers = [f"{k} {v:.0f} min" for k, v in time["by_layer"].items() if v]
    if layers:
        out.print("time by layer: " + ", ".join(layers))
    if found.moved:
        out.print("concepts that moved: " + "; ".join(f"{m.name} {m.before} → {m.after}" for m in found.moved))
    for term in found.terms[:5]:
        out.print(f"term: {term} (`layerwise glossary define`)")
    if found.cards_due:
        out.print(f"cards due: {found.cards_due} (`layerwise review`)")
    if found.reflection:
        out.print(f"your reflection: {found.reflection}")
    if found.earlier:
        out.print(Text(f"earlier weeks never reviewed: {', '.join(found.earlier)} (no need to: they are history)",
                       style="dim"))


def _ask(library: Library, week: str, pick: weekly.PickReview, today: date) -> None:
    default = "c" if pick.committed else "l"
    answer = click.prompt(f"pick {pick.position}, {pick.title[:60]} ({pick.outcome}): [c]arry over, [l]et go, "
                          "[s]chedule a deeper dive", type=click.Choice(list(ASK)), default=default, show_choices=False)
    day = None
    if ASK[answer] == "schedule":
        while True:
            day = click.prompt("  on which day (2026-12-09, +3d, tomorrow, next-week)", default="next-week")
            try:
                weekly.decide(library, week, pick.position, "schedule", day, today)
                return
            except LayerwiseError as exc:
                click.echo(f"  {exc}")
    weekly.decide(library, week, pick.position, ASK[answer], day, today)


def _focuses(library: Library) -> None:
    current = profile.focuses(library)
    click.echo("\nyour focuses: " + ("; ".join(f"{f.track}: {f.text}" for f in current) or "none"))
    if not click.confirm("change them for next week?", default=False):
        return
    for track in ("need", "want"):
        text = click.prompt(f"  {track} (Enter keeps it as it is)", default="", show_default=False).strip()
        if text:
            for focus in current:
                if focus.track == track:
                    profile.remove_focus(library, focus.id)
            profile.add_focus(library, track, text)


def _reflect(library: Library, found: WeekReview) -> None:
    """The user's reflection, in their editor if they have one, else two lines at the prompt; empty saves nothing."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if editor:
        click.echo(f"\nyour reflection: write it in {editor} (leave it as it is to skip)")
        try:
            written = click.edit(weekly.reflection_template(found), extension=".md")
        except click.ClickException as exc:
            click.echo(f"your editor did not run ({exc.message}); write it here instead")
        else:
            path = weekly.save_written(library, found, written or "")
            click.echo(f"saved to {path}" if path else "no reflection written")
            return
    click.echo("\nyour reflection, in a line each (Enter skips):")
    learned = click.prompt(f"  {weekly.LEARNED}", default="", show_default=False)
    change = click.prompt(f"  {weekly.CHANGE}", default="", show_default=False)
    path = weekly.save_reflection(library, found, learned, change)
    click.echo(f"saved to {path}" if path else "no reflection written")


COMMANDS = [review_week]
