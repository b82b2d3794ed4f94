"""The people of a shared library, their personal access tokens (kept as SHA-256 digests) and the web
sessions those tokens opened. Person 1 is the library's first person: unnamed while nobody shares it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from layerwise.store.sql import OWNER, rows, run, scalar, text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Person:
    id: int
    name: str | None  # None: the one person of a library nobody shares
    role: str  # curator or member
    added_at: str = ""
    removed_at: str | None = None

    @property
    def curator(self) -> bool:
        return self.role == "curator"


@dataclass(frozen=True)
class Token:
    id: int
    person: str
    label: str
    added_at: str
    last_used_at: str | None
    revoked_at: str | None


_PERSON = "SELECT id, name, role, added_at, removed_at FROM people"


def shared(conn: Connection) -> bool:
    """Whether the library has named people (team mode)."""
    return scalar(conn, "SELECT 1 FROM people WHERE name IS NOT NULL LIMIT 1") is not None


def everyone(conn: Connection) -> list[Person]:
    return [Person(**r) for r in rows(conn, f"{_PERSON} WHERE name IS NOT NULL ORDER BY id")]


def by_name(conn: Connection, name: str) -> Person | None:
    found = rows(conn, f"{_PERSON} WHERE name = :n", {"n": name})
    return Person(**found[0]) if found else None


def by_id(conn: Connection, person: int) -> Person | None:
    found = rows(conn, f"{_PERSON} WHERE id = :i", {"i": person})
    return Person(**found[0]) if found else None


def add(conn: Connection, name: str, role: str, now: str) -> Person:
    """A new person; the first name given to a library takes over person 1 and everything it holds."""
    claimed = conn.execute(text("UPDATE people SET name = :n, role = :r, added_at = :t WHERE id = :o AND name IS NULL"),
                           {"n": name, "r": role, "t": now, "o": OWNER}).rowcount
    if not claimed:
        run(conn, "INSERT INTO people (name, role, added_at) VALUES (:n, :r, :t)", {"n": name, "r": role, "t": now})
    person = by_name(conn, name)
    assert person is not None
    return person


def set_removed(conn: Connection, person: int, at: str | None) -> None:
    """Remove a person (their tokens and sessions end; what they did stays) or, with None, bring them back."""
    run(conn, "UPDATE people SET removed_at = :t WHERE id = :i", {"t": at, "i": person})
    if at is not None:
        run(conn, "UPDATE tokens SET revoked_at = :t WHERE person = :i AND revoked_at IS NULL", {"t": at, "i": person})
        run(conn, "DELETE FROM web_sessions WHERE person = :i", {"i": person})


def set_role(conn: Connection, person: int, role: str) -> None:
    run(conn, "UPDATE people SET role = :r WHERE id = :i", {"r": role, "i": person})


# -- tokens ------------------------------------------------------------------------------------------------
def add_token(conn: Connection, person: int, digest: str, label: str, now: str) -> int:
    run(conn, "INSERT INTO tokens (person, digest, label, added_at) VALUES (:p, :d, :l, :t)",
        {"p": person, "d": digest, "l": label, "t": now})
    return int(scalar(conn, "SELECT id FROM tokens WHERE digest = :d", {"d": digest}))


def token_owner(conn: Connection, digest: str) -> tuple[int, Person] | None:
    """The live token with this digest and its person (a revoked token or a removed person has none)."""
    found = rows(conn, "SELECT t.id AS token_id, p.id, p.name, p.role, p.added_at, p.removed_at FROM tokens t "
                       "JOIN people p ON p.id = t.person WHERE t.digest = :d AND t.revoked_at IS NULL "
                       "AND p.removed_at IS NULL", {"d": digest})
    if not found:
        return None
    row = found[0]
    return int(row.pop("token_id")), Person(**row)


def touch_token(conn: Connection, token_id: int, now: str) -> None:
    run(conn, "UPDATE tokens SET last_used_at = :t WHERE id = :i", {"t": now, "i": token_id})


def tokens(conn: Connection, person: int | None = None) -> list[Token]:
    """Tokens (revoked ones too) of one person or of everyone, oldest first."""
    where = "" if person is None else "WHERE t.person = :p"
    found = rows(conn, "SELECT t.id, p.name AS person, t.label, t.added_at, t.last_used_at, t.revoked_at FROM tokens t "
                       f"JOIN people p ON p.id = t.person {where} ORDER BY t.id", {"p": person})
    return [Token(**r) for r in found]


def token_person(conn: Connection, token_id: int) -> int | None:
    value = scalar(conn, "SELECT person FROM tokens WHERE id = :i", {"i": token_id})
    return None if value is None else int(value)


def revoke(conn: Connection, token_id: int, now: str) -> None:
    run(conn, "UPDATE tokens SET revoked_at = :t WHERE id = :i AND revoked_at IS NULL", {"t": now, "i": token_id})
    run(conn, "DELETE FROM web_sessions WHERE token_id = :i", {"i": token_id})


# -- web sessions --------------------------------------------------------------------------------------------
def open_session(conn: Connection, digest: str, token_id: int, person: int, now: str, expires: str) -> None:
    run(conn, "DELETE FROM web_sessions WHERE expires_at <= :t", {"t": now})  # keep the table to live sessions
    run(conn, "INSERT INTO web_sessions (digest, token_id, person, created_at, expires_at) VALUES (:d, :k, :p, :t, :e)",
        {"d": digest, "k": token_id, "p": person, "t": now, "e": expires})


def session_person(conn: Connection, digest: str, now: str) -> Person | None:
    """The person of a live session (expired, ended, or of a removed person: none)."""
    found = rows(conn, f"{_PERSON} p WHERE p.removed_at IS NULL AND p.id = (SELECT s.person FROM web_sessions s "
                       "WHERE s.digest = :d AND s.expires_at > :t)", {"d": digest, "t": now})
    return Person(**found[0]) if found else None


def end_session(conn: Connection, digest: str) -> None:
    run(conn, "DELETE FROM web_sessions WHERE digest = :d", {"d": digest})
