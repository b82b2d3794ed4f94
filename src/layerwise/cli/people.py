"""The people of a shared library: add them (each gets a personal access token, shown once), list them, give and
revoke tokens, change roles, remove them."""

from __future__ import annotations

import click

from layerwise import people
from layerwise.cli.output import print_json
from layerwise.cli.params import NUMBER


@click.group("user")
def user() -> None:
    """The people sharing this library (team mode): add them with a token for the web app, list, revoke, remove."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(people.ROLES), help="curator (manages people, publishes the team digest) or "
                                                               "member (the default after the first person).")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str | None) -> None:
    """Add a person: prints their personal access token once. The first person added takes over this library's
    own focuses, plan, ratings, sessions and cards, and is its curator."""
    person, token, took_over = people.add(ctx.obj.library, name, role)
    if took_over:
        click.echo(f"{person.name} now owns this library's profile (focuses, plan, ratings, sessions, cards) and is its "
                   f"curator{' (the first person always is)' if role == 'member' else ''}")
    else:
        click.echo(f"{person.name} added as {person.role}; they act with `--user {person.name}` (or "
                   f"LAYERWISE_USER={person.name}) and their own files go to people/{person.name}/ in a shared home")
    click.echo(f"token for {person.name} (shown only now; sign in to the web app with it):\n{token}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """The people of this library, with their roles."""
    found = people.everyone(ctx.obj.library)
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("nobody shares this library yet: `layerwise user add NAME` makes it a team's")
    for person in found:
        click.echo(f"{person.name:<20} {person.role:<8} since {person.added_at[:10]}"
                   + (f"  removed {person.removed_at[:10]}" if person.removed_at else ""))


@user.command("token")
@click.argument("name")
@click.option("--label", default="token", show_default=True, help="What the token is for, e.g. laptop.")
@click.pass_context
def user_token(ctx: click.Context, name: str, label: str) -> None:
    """Make another token for NAME (yourself, or anyone if you are a curator); shown once."""
    token = people.issue(ctx.obj.library, name, label)
    click.echo(f"token for {name.lower()} (shown only now):\n{token}")


@user.command("tokens")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def user_tokens(ctx: click.Context, as_json: bool) -> None:
    """Tokens with their ids, labels and last use (a curator sees everyone's, a member their own)."""
    found = people.tokens(ctx.obj.library)
    if as_json:
        print_json(found)
        return
    for token in found:
        state = f"revoked {token.revoked_at[:10]}" if token.revoked_at else \
            f"last used {token.last_used_at[:16]}" if token.last_used_at else "never used"
        click.echo(f"[{token.id}] {token.person:<20} {token.label:<16} made {token.added_at[:10]}  {state}")


@user.command("revoke")
@click.argument("token_id", type=NUMBER)
@click.pass_context
def user_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token by its id (see `user tokens`): browsers signed in with it are signed out."""
    people.revoke(ctx.obj.library, token_id)
    click.echo(f"token {token_id} revoked")


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(people.ROLES))
@click.pass_context
def user_role(ctx: click.Context, name: str, role: str) -> None:
    """Make NAME a curator or a member (curators only)."""
    people.set_role(ctx.obj.library, name, role)
    click.echo(f"{name.lower()} is now a {role}")


@user.command("remove")
@click.argument("name")
@click.pass_context
def user_remove(ctx: click.Context, name: str) -> None:
    """Take NAME's access away: their tokens and sessions end; what they did stays (curators only)."""
    people.remove(ctx.obj.library, name)
    click.echo(f"{name.lower()} removed: their tokens and sessions have ended")


COMMANDS = [user]
