"""A library shared by a team: its people, their personal access tokens, and signing in to the web app.

Items, feeds, the reference graph, the concept map and the representations are everyone's; focuses, ratings,
plans, layers, sessions, dives, cards and weekly reviews are each person's (the store keeps them apart by the
person a connection acts for). A library nobody shares has one unnamed person; the first `add` names it, so
whoever turns a one-person library into a team's keeps everything they had.

Tokens are shown once and kept as SHA-256 digests (they are 256 random bits, so a fast hash is enough and a
lookup is one indexed read). The CLI trusts whoever can reach the database (they could read its tables
anyway): `--user` says who acts, and only curators manage people. The web app is the boundary: every request
is signed in with a token, then a session cookie that expires.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from layerwise.errors import LayerwiseError, NotFound
from layerwise.store import people as people_rows
from layerwise.store.people import Person, Token
from layerwise.times import utc_now, utc_stamp

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from layerwise.library import Library

ROLES = ("curator", "member")
TOKEN_PREFIX = "lw_"
SESSION_DAYS = 7  # a browser signs in again after a week
NAME = re.compile(r"[a-z][a-z0-9._-]{0,31}")


class NotAllowed(LayerwiseError):
    """Something this person's role does not let them do."""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def shared(library: Library) -> bool:
    """Whether the library is a team's (it has named people)."""
    with library.store.begin() as conn:
        return people_rows.shared(conn)


def everyone(library: Library) -> list[Person]:
    with library.store.begin() as conn:
        return people_rows.everyone(conn)


def add(library: Library, name: str, role: str | None = None, label: str = "first token") -> tuple[Person, str, bool]:
    """A new person and their first token (shown once): (person, token, took over the library's own profile).
    The first person named takes over the library as it was and is its curator; after that only a curator
    adds people."""
    name = name.strip().lower()
    if not NAME.fullmatch(name):
        raise LayerwiseError(f"a name is a lowercase letter, then up to 31 letters, digits, '.', '_' or '-', not {name!r}")
    if role is not None and role not in ROLES:
        raise LayerwiseError(f"role is curator or member, not {role!r}")
    with library.store.begin() as conn:
        first = not people_rows.shared(conn)
        if not first:
            _curator_only(library, conn, "add people")
        if people_rows.by_name(conn, name) is not None:
            raise LayerwiseError(f"{name!r} already shares this library (`layerwise user token {name}` makes a new token)")
        person = people_rows.add(conn, name, "curator" if first else role or "member", utc_stamp())
        token = _new_token(conn, person.id, label)
    if first and library.user is None:  # this home belongs to the person who took it over: their files stay put
        library.home.set_config("user", name)
    return person, token, first


def issue(library: Library, name: str, label: str = "token") -> str:
    """Another token for a person (yourself, or anyone for a curator)."""
    with library.store.begin() as conn:
        person = _named(conn, name)
        if person.id != library.store.person:
            _curator_only(library, conn, "make tokens for other people")
        if person.removed_at:
            raise LayerwiseError(f"{name!r} was removed from this library")
        return _new_token(conn, person.id, label)


def tokens(library: Library) -> list[Token]:
    """Every token for a curator; your own for a member."""
    with library.store.begin() as conn:
        me = people_rows.by_id(conn, library.store.person)
        return people_rows.tokens(conn, None if me and me.curator else library.store.person)


def revoke(library: Library, token_id: int) -> None:
    """End a token and every browser session it opened (yours, or anyone's for a curator)."""
    with library.store.begin() as conn:
        owner = people_rows.token_person(conn, token_id)
        if owner is None:
            raise NotFound(f"no token {token_id} (`layerwise user tokens` lists them)")
        if owner != library.store.person:
            _curator_only(library, conn, "revoke other people's tokens")
        people_rows.revoke(conn, token_id, utc_stamp())


def remove(library: Library, name: str) -> None:
    """Take a person's access away (tokens and sessions end); what they did stays in the library."""
    with library.store.begin() as conn:
        _curator_only(library, conn, "remove people")
        person = _named(conn, name)
        if person.curator and sum(p.curator and not p.removed_at for p in people_rows.everyone(conn)) == 1:
            raise LayerwiseError(f"{name!r} is the library's only curator: make someone else curator first")
        people_rows.set_removed(conn, person.id, utc_stamp())


def set_role(library: Library, name: str, role: str) -> None:
    if role not in ROLES:
        raise LayerwiseError(f"role is curator or member, not {role!r}")
    with library.store.begin() as conn:
        _curator_only(library, conn, "change roles")
        person = _named(conn, name)
        if role == "member" and person.curator and sum(p.curator and not p.removed_at
                                                       for p in people_rows.everyone(conn)) == 1:
            raise LayerwiseError(f"{name!r} is the library's only curator")
        people_rows.set_role(conn, person.id, role)


# -- the web app's sign-in -------------------------------------------------------------------------------
def sign_in(library: Library, token: str) -> tuple[str, Person] | None:
    """A new browser session for a live token: (the cookie's secret, its person); None for a wrong token."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = utc_now()
    cookie = secrets.token_urlsafe(32)
    with library.store.begin() as conn:
        found = people_rows.token_owner(conn, digest(token))
        if found is None:
            return None
        token_id, person = found
        people_rows.touch_token(conn, token_id, _stamp(now))
        people_rows.open_session(conn, digest(cookie), token_id, person.id, _stamp(now),
                                 _stamp(now + timedelta(days=SESSION_DAYS)))
    return cookie, person


def signed_in(library: Library, cookie: str) -> Person | None:
    """The person of a live session cookie (expired, signed out, revoked or removed: None)."""
    if not cookie:
        return None
    with library.store.begin() as conn:
        return people_rows.session_person(conn, digest(cookie), utc_stamp())


def sign_out(library: Library, cookie: str) -> None:
    with library.store.begin() as conn:
        people_rows.end_session(conn, digest(cookie))


def _new_token(conn: Connection, person: int, label: str) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    people_rows.add_token(conn, person, digest(token), label, utc_stamp())
    return token


def _named(conn: Connection, name: str) -> Person:
    person = people_rows.by_name(conn, name.strip().lower())
    if person is None:
        raise NotFound(f"no person named {name!r} (`layerwise user list` names them)")
    return person


def _curator_only(library: Library, conn: Connection, what: str) -> None:
    me = people_rows.by_id(conn, library.store.person)
    if me is None or not me.curator or me.removed_at:
        raise NotAllowed(f"only a curator can {what}")
