"""How the week's plan is printed, from a plain answer (what `week --json` prints, with each pick's reason as
a listing shows it), so a plan kept by layerwise/answers.py prints the same without opening the library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from layerwise.answers import recall, state
from layerwise.cli.output import console, print_json
from layerwise.home import open_home
from layerwise.times import iso_week

if TYPE_CHECKING:
    from layerwise.rank.plan import Plan
    from layerwise.records import Item

KEPT = "week"  # the answer's name in the home's .answers folder


def plan_answer(plan: Plan, items: dict[int, Item]) -> dict[str, Any]:
    return {"week": plan.week, "notes": plan.notes,
            "picks": [{"position": p.position, "track": p.track, "bucket": p.bucket, "state": p.state,
                       "reason": p.reason, "because": p.because, "id": p.item_id, "title": items[p.item_id].title,
                       "kind": items[p.item_id].kind, "url": items[p.item_id].url} for p in plan.picks]}


def print_plan(answer: dict[str, Any], as_json: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    if as_json:
        print_json({**answer, "picks": [{k: v for k, v in p.items() if k != "because"} for p in answer["picks"]]})
        return
    out = console()
    for note in answer["notes"]:
        out.print(Text(note, style="yellow"))
    table = Table(title=f"layerwise week {answer['week']}: {len(answer['picks'])} picks", title_justify="left",
                  show_lines=True)
    for column in ("#", "track", "pick", "why"):
        table.add_column(column, overflow="fold")
    for p in answer["picks"]:
        mark = {"accepted": " ✓ accepted", "done": " ✓ done"}.get(p["state"], "")
        table.add_row(str(p["position"]), f"{p['track']}\n{p['bucket']}",
                      Text(f"{p['title']} ({p['kind']}, [{p['id']}])") + Text(mark, style="green"), Text(p["because"]))
    out.print(table)
    out.print(Text("accept, skip (not for me), swap (not this one) or done: `layerwise week accept 1`; "
                   "study one: `layerwise study pick:1` (a bare number is an item id); "
                   "the rest waits in `layerwise inbox`", style="dim"))


def kept_week(home: str | None, database_url: str | None, user: str | None) -> click.Command | None:
    """`layerwise week` answered from the plan kept this week, when the library is untouched since (None: the
    command runs in full)."""
    found = open_home(home)
    who = found.acting_user(user)
    answer = recall(found, KEPT, who, state(found, database_url, who))
    if not answer or answer.get("week") != iso_week():
        return None

    @click.command()
    @click.option("--json", "as_json", is_flag=True)
    def week(as_json: bool) -> None:
        print_plan(answer, as_json)

    return week
