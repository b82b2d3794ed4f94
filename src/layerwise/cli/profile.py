"""The profile: what you need and want to learn (focus), the plan's settings (config), and ratings (rate).
Kept apart from the plan's commands so that they start without loading the ranking."""

from __future__ import annotations

import click

from layerwise.cli.output import print_json
from layerwise.cli.params import NUMBER
from layerwise.rank.profile import add_focus, focuses, remove_focus, set_setting, settings
from layerwise.rank.profile import rate as run_rate


@click.group()
def focus() -> None:
    """What you need to learn (current project or role) and want to learn (curiosity)."""


def _add_focus(track: str):  # type: ignore[no-untyped-def]
    @click.argument("text")
    @click.pass_context
    def command(ctx: click.Context, text: str) -> None:
        add_focus(ctx.obj.library, track, text)
        click.echo(f"{track} focus added; `layerwise week` plans with it")

    command.__doc__ = (f"Add a {track} focus, e.g. \"deploying a two-tower recommender on Kubernetes\"."
                       if track == "need" else f"Add a {track} focus, e.g. \"diffusion models for audio\".")
    return focus.command(track)(command)


_add_focus("need")
_add_focus("want")


@focus.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def focus_list(ctx: click.Context, as_json: bool) -> None:
    """List focuses with their ids."""
    rows = focuses(ctx.obj.library)
    if as_json:
        print_json(rows)
    elif not rows:
        click.echo('no focus yet: `layerwise focus need "..."` and `layerwise focus want "..."`')
    for row in rows if not as_json else []:
        click.echo(f"[{row.id}] {row.track}: {row.text}")


@focus.command("remove")
@click.argument("focus_id", type=NUMBER)
@click.pass_context
def focus_remove(ctx: click.Context, focus_id: int) -> None:
    """Remove a focus by its id (see `focus list`)."""
    remove_focus(ctx.obj.library, focus_id)
    click.echo(f"focus {focus_id} removed")


@click.group("config")
def config() -> None:
    """Settings of the weekly plan (kept in config.toml in the home)."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def config_show(ctx: click.Context, as_json: bool) -> None:
    """Show budget (picks a week), need_share (0.8 = 80/20 need/want), targets (core/adjacent/moonshot), lean and
    recency."""
    current = settings(ctx.obj.library).as_dict()
    if as_json:
        print_json(current)
    else:
        for key, value in current.items():
            click.echo(f"{key} = {value}")
        click.echo(f"(in {ctx.obj.library.desk.config_path})")


@config.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_context
def config_set(ctx: click.Context, key: str, value: str) -> None:
    """Set budget (1-50), need_share (0.8 or 80/20), targets (core/adjacent/moonshot, e.g. 70/20/10), lean
    (letter, envelope, both) or recency (value, some, new: how much being new counts against what matters)."""
    updated = set_setting(ctx.obj.library, key, value)
    click.echo(f"{key} = {getattr(updated, key)}")


@click.command()
@click.argument("ref")
@click.argument("signal", type=click.Choice(["+", "-"]))
@click.pass_context
def rate(ctx: click.Context, ref: str, signal: str) -> None:
    """Tell the plan what you think of an item: REF + (more like this) or REF - (less)."""
    item_id = run_rate(ctx.obj.library, ref, 1 if signal == "+" else -1)
    click.echo(f"[{item_id}] rated {signal}")


COMMANDS = [focus, config, rate]
