"""What a team sees of each other: the picks people accepted or finished, the items they summed up in a session,
their layer per concept, the summaries they shared, and the curator's published digests. The only queries
that read across people; everything else personal is read for the acting person alone (`sql.me`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from layerwise.store.sql import me, rows, run, text, tuples

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_NAMED = "JOIN people p ON p.id = {alias}.person AND p.name IS NOT NULL AND p.removed_at IS NULL"


def week_picks(conn: Connection, week: str) -> list[tuple[str, int, str]]:
    """(person, item, state) of every pick accepted or done in a week."""
    return [(str(n), int(i), str(s)) for n, i, s in tuples(
        conn, f"SELECT p.name, k.item_id, k.state FROM picks k {_NAMED.format(alias='k')} "
              "WHERE k.week = :w AND k.state IN ('accepted', 'done') ORDER BY p.name, k.position", {"w": week})]


def summed_up(conn: Connection, since: str, until: str) -> list[tuple[str, int]]:
    """(person, item) of every study session ended with a summary between two stamps."""
    return [(str(n), int(i)) for n, i in tuples(
        conn, f"SELECT DISTINCT p.name, s.item_id FROM sessions s {_NAMED.format(alias='s')} "
              "WHERE s.outcome = 'summarize' AND s.item_id IS NOT NULL AND s.started_at >= :a AND s.started_at < :b",
        {"a": since, "b": until})]


def layers(conn: Connection) -> dict[str, dict[str, str]]:
    """Each named person's latest layer per concept: {slug: {person: layer}}."""
    out: dict[str, dict[str, str]] = {}
    for name, slug, layer in tuples(conn, f"SELECT p.name, c.slug, c.layer FROM concept_layers c "
                                          f"{_NAMED.format(alias='c')} ORDER BY c.id"):
        out.setdefault(str(slug), {})[str(name)] = str(layer)
    return out


# -- shared summaries ----------------------------------------------------------------------------------------
def share(conn: Connection, item_id: int, summary: str, now: str) -> None:
    run(conn, "DELETE FROM shared_notes WHERE item_id = :i AND person = :me", {"i": item_id, "me": me(conn)})
    run(conn, "INSERT INTO shared_notes (item_id, person, summary, shared_at) VALUES (:i, :me, :s, :t)",
        {"i": item_id, "me": me(conn), "s": summary, "t": now})


def unshare(conn: Connection, item_id: int) -> int:
    return int(conn.execute(text("DELETE FROM shared_notes WHERE item_id = :i AND person = :me"),
                            {"i": item_id, "me": me(conn)}).rowcount)


def shared(conn: Connection, item_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The summaries shared on these items, oldest first, with their authors."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not item_ids:
        return out
    for row in rows(conn, f"SELECT n.item_id, p.name AS author, n.summary, n.shared_at FROM shared_notes n "
                          f"{_NAMED.format(alias='n')} WHERE n.item_id IN :ids ORDER BY n.shared_at",
                    {"ids": list(item_ids)}, "ids"):
        out.setdefault(int(row.pop("item_id")), []).append(row)
    return out


# -- the curator's digests -----------------------------------------------------------------------------------
def publish(conn: Connection, week: str, links: str, now: str) -> None:
    run(conn, "DELETE FROM team_digests WHERE week = :w", {"w": week})
    run(conn, "INSERT INTO team_digests (week, links, published_by, published_at) VALUES (:w, :l, :me, :t)",
        {"w": week, "l": links, "me": me(conn), "t": now})


def digests(conn: Connection, week: str | None = None) -> list[dict[str, Any]]:
    """Published weeks (one, or every one), newest first, with who published them."""
    where = "WHERE d.week = :w" if week else ""
    return rows(conn, "SELECT d.week, d.links, p.name AS published_by, d.published_at FROM team_digests d "
                      f"JOIN people p ON p.id = d.published_by {where} ORDER BY d.week DESC", {"w": week})
