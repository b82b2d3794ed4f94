"""What matters, apart from what is close to a focus: a score per item from the reference graph and outside
citation counts, the foundations a week's candidates build on, and the evidence for each as reasons.

importance = endorsed + cited + counted, each about 1 for a clearly important item:
  endorsed  log(1 + endorsements) / log(1 + 3): each curated list counts fully up to 200 entries and by
            sqrt(200 / entries) beyond, so a 35,000-entry dump says little about any one entry;
  cited     log(1 + citations) / log(1 + 5), citations from items in the library, each counting 2 when the
            user valued the citing item (liked, accepted, finished) and 0.5 when they rated it down;
  counted   log(1 + cites per year) / log(1 + 300), an outside count (OpenAlex, Google Scholar in a paper dump)
            divided by the years since publication, so a two-year-old paper cited 2,000 times (1.2) outranks a
            week-old one cited 3 times (0.24).
Foundations (`foundations`): within a pool of candidates, the ones the others cite, unless the user knows them.
Alongside (`alongside`): co-citation (Small 1973) through the library's hubs, a curated list's section or a page's
references: the works listed or cited together with a focus's best candidates, which text alone misses (the
paper that introduced attention never says "attention" in its title).
Builds-on: an item citing work the user finished continues it. Recency counts only when the user says so.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from layerwise.rank.reasons import Reason, count, quoted
from layerwise.store import graph

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from layerwise.library import Library
    from layerwise.represent.indexed import Index

LIST_FULL = 200
ENDORSED_FULL = 3
CITED_FULL = 5
RATE_FULL = 300
FOUNDATION_FULL = 3
BUILDS_ON_WEIGHT = 0.3
RECENCY_WEIGHTS = {"value": 0.0, "some": 0.5, "new": 1.5}
RECENCY_DAYS = 365  # an item a year old is worth e^-1 of a new one on recency
HUB_MIN, HUB_MAX = 2, 400  # a hub of one says nothing; a section of 400 works is not a topic
ALONGSIDE_TOP = 50  # the focus's best candidates whose hubs are followed
ALONGSIDE_FULL = 2.0


@dataclass
class Importance:
    score: np.ndarray  # per index row
    ids: np.ndarray  # index row -> item id
    endorsed: dict[int, list[str]] = field(default_factory=dict)  # row -> the lists recommending it
    cited_by: dict[int, list[int]] = field(default_factory=dict)  # row -> items citing it
    cites: dict[int, list[int]] = field(default_factory=dict)  # row -> items it cites
    counted: dict[int, tuple[int, int | None]] = field(default_factory=dict)  # row -> (outside count, year)
    hubs: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (what groups them, member rows)
    hubs_of: dict[int, list[int]] = field(default_factory=dict)  # row -> the hubs it belongs to
    known: set[int] = field(default_factory=set)  # items the user finished or is reading
    valued: set[int] = field(default_factory=set)  # items the user liked, accepted or finished
    age_days: np.ndarray | None = None

    def foundations(self, pool: list[int]) -> dict[int, list[int]]:
        """For rows of a pool of candidates, the other candidates citing each (the work they build on), leaving
        out what the user knows."""
        items = {int(self.ids[r]) for r in pool}
        out: dict[int, list[int]] = {}
        for row in pool:
            if int(self.ids[row]) in self.known:
                continue
            citing = [i for i in self.cited_by.get(row, []) if i in items]
            if citing:
                out[row] = citing
        return out

    def alongside(self, top: np.ndarray) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
        """A bonus per row for sharing hubs with these best candidates of a focus (each hub counting its share
        of them over the square root of its size), and per row the strongest (hub, candidate) as evidence."""
        weight: dict[int, float] = defaultdict(float)
        witness: dict[int, int] = {}
        for row in top:
            for hub in self.hubs_of.get(int(row), []):
                weight[hub] += 1.0 / math.sqrt(len(self.hubs[hub][1]))
                witness.setdefault(hub, int(row))
        bonus = np.zeros(len(self.score))
        evidence: dict[int, tuple[int, int]] = {}
        for hub, w in sorted(weight.items(), key=lambda kv: -kv[1]):
            members = self.hubs[hub][1]
            bonus[members] += w
            for member in members.tolist():
                evidence.setdefault(member, (hub, witness[hub]))
        bonus[top] = 0.0  # the candidates themselves are not "alongside" themselves
        return np.log1p(bonus) / math.log1p(ALONGSIDE_FULL), evidence

    def hub_items(self, hub: int) -> list[int]:
        """The item a hub of citations belongs to (none for a list's section)."""
        name = self.hubs[hub][0]
        return [int(name.removeprefix("item:"))] if name.startswith("item:") else []

    def reasons(self, row: int, titles: dict[int, str], foundation_of: list[int] | None = None,
                together: tuple[int, int] | None = None) -> list[Reason]:
        """The evidence for a row, strongest first: at most two reasons."""
        out: list[Reason] = []
        if together is not None:
            hub, witness = together
            name = self.hubs[hub][0]
            with_ = quoted(titles.get(int(self.ids[witness]), ""))
            where = f"in {name.removeprefix('list:')}" if name.startswith("list:") else \
                f"by {quoted(titles.get(int(name.removeprefix('item:')), ''))}"
            out.append(Reason("alongside", f"listed together with {with_}, which matches your focus, {where}"
                              if name.startswith("list:") else f"cited together with {with_}, which matches your focus, {where}"))
        if foundation_of:
            out.append(Reason("foundational", f"foundational: {count(len(foundation_of), 'candidate')} this week "
                                              f"build on it, incl. {quoted(titles.get(foundation_of[0], ''))}"))
        citing = self.cited_by.get(row, [])
        if citing:
            best = sorted(citing, key=lambda i: (i not in self.valued, i))[0]
            out.append(Reason("cited", f"cited by {count(len(citing), 'item')} you saved, incl. "
                                       f"{quoted(titles.get(best, ''))}"))
        lists = self.endorsed.get(row, [])
        if lists:
            out.append(Reason("endorsed", f"recommended by {count(len(lists), 'list')} ({', '.join(lists[:3])})"))
        if row in self.counted and self.counted[row][0] >= 50:
            cites, year = self.counted[row]
            since = f" since {year}" if year else ""
            out.append(Reason("widely-cited", f"cited {cites:,} times{since}"))
        built_on = [i for i in self.cites.get(row, []) if i in self.known]
        if built_on:
            new = self.age_days is not None and self.age_days[row] < 180
            out.append(Reason("builds-on", f"{'new, and ' if new else ''}builds on {count(len(built_on), 'work')} you "
                                           f"studied, incl. {quoted(titles.get(built_on[0], ''))}"))
        return out[:2]

    def cited_ids(self, rows: list[int]) -> set[int]:
        """Every item whose title the reasons of these rows may quote."""
        out: set[int] = set()
        for row in rows:
            out.update(self.cited_by.get(row, [])[:50])
            out.update(i for i in self.cites.get(row, []) if i in self.known)
        return out


@dataclass
class _Static:
    """What does not depend on the user: built from the graph and the counts, kept while they are unchanged."""

    endorsed: np.ndarray
    endorsed_by: dict[int, list[str]]
    citations: list[tuple[int, int]]
    cites: dict[int, list[int]]
    hubs: list[tuple[str, np.ndarray]]
    hubs_of: dict[int, list[int]]
    rate: np.ndarray
    counted: dict[int, tuple[int, int | None]]
    age_days: np.ndarray | None = None


_STATIC: dict[str, tuple[tuple[object, ...], _Static]] = {}  # per library: its state and what was built from it


def importance(library: Library, index: Index, valued: set[int], disliked: set[int], known: set[int],
               recency: str = "value") -> Importance:
    rows = index.position
    n = len(index.ids)
    with library.store.begin() as conn:
        state = (n, int(index.ids[-1]) if n else 0, library.store.change_state(conn), graph.state(conn), date.today())
        cached = _STATIC.get(library.database_url)
        static = cached[1] if cached and cached[0] == state else _build(conn, rows, n)
        if static.age_days is None and RECENCY_WEIGHTS.get(recency, 0):
            static.age_days = _age_days(graph.dates(conn), rows, n)
    _STATIC[library.database_url] = (state, static)
    out = Importance(np.zeros(n), index.ids, endorsed=static.endorsed_by, cites=static.cites, hubs=static.hubs,
                     hubs_of=static.hubs_of, counted=static.counted, known=known, valued=valued)
    cited = np.zeros(n)
    for source, target in static.citations:
        if (row := rows.get(target)) is not None:
            cited[row] += 2.0 if source in valued else 0.5 if source in disliked else 1.0
            out.cited_by.setdefault(row, []).append(source)
    out.score = (np.log1p(static.endorsed) / math.log1p(ENDORSED_FULL) + np.log1p(cited) / math.log1p(CITED_FULL)
                 + np.log1p(static.rate) / math.log1p(RATE_FULL))
    builds_on = np.zeros(n)
    for row, targets in static.cites.items():
        builds_on[row] = sum(1 for t in targets if t in known)
    out.score += BUILDS_ON_WEIGHT * np.log1p(builds_on)
    if RECENCY_WEIGHTS.get(recency, 0) and static.age_days is not None:
        out.age_days = static.age_days
        out.score += RECENCY_WEIGHTS[recency] * np.exp(-static.age_days / RECENCY_DAYS)
    return out


def _build(conn: Connection, rows: dict[int, int], n: int) -> _Static:
    endorsements = graph.endorsement_edges(conn)
    citations = graph.citation_edges(conn)
    sizes = Counter(name for name, _, _ in endorsements)
    endorsed = np.zeros(n)
    endorsed_by: dict[int, list[str]] = {}
    sections: dict[str, list[int]] = defaultdict(list)
    for name, item_id, context in endorsements:
        if (row := rows.get(item_id)) is not None:
            endorsed[row] += min(1.0, math.sqrt(LIST_FULL / sizes[name]))
            endorsed_by.setdefault(row, []).append(name)
            if context:
                sections[context if context.startswith(name) else f"{name} > {context}"].append(row)
    cites: dict[int, list[int]] = defaultdict(list)
    for source, target in citations:
        cites[source].append(target)
    static = _Static(endorsed, endorsed_by, citations, {rows[i]: t for i, t in cites.items() if i in rows}, [], {},
                     np.zeros(n), {})
    groups = [(f"list:{name}", members) for name, members in sections.items()]
    groups += [(f"item:{source}", [rows[t] for t in targets if t in rows]) for source, targets in cites.items()]
    for name, members in groups:
        unique = np.unique(np.array(members, dtype=np.int64))
        if HUB_MIN <= len(unique) <= HUB_MAX:
            static.hubs.append((name, unique))
            for member in unique.tolist():
                static.hubs_of.setdefault(member, []).append(len(static.hubs) - 1)
    this_year = date.today().year
    for item_id, cited_by, year in graph.external_counts(conn):
        if (row := rows.get(item_id)) is not None and cited_by:
            static.rate[row] = cited_by / max(1, this_year - (year or this_year) + 1)
            static.counted[row] = (int(cited_by), year)
    return static


def foundation_bonus(found: dict[int, list[int]], n: int) -> np.ndarray:
    bonus = np.zeros(n)
    for row, citing in found.items():
        bonus[row] = math.log1p(len(citing)) / math.log1p(FOUNDATION_FULL)
    return bonus


def _age_days(dated: list[tuple[int, str | None, int | None]], rows: dict[int, int], n: int) -> np.ndarray:
    today = date.today()
    ages = np.full(n, 10 * 365.0)  # undated: treated as old
    for item_id, published, year in dated:
        row = rows.get(item_id)
        if row is None:
            continue
        try:
            when = date.fromisoformat((published or "")[:10]) if published and len(published) >= 10 else \
                date(int((published or "")[:4] or year or 0), 7, 1)
        except ValueError:
            continue
        ages[row] = max(0, (today - when).days)
    return ages
