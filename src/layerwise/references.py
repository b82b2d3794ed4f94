"""Writing the reference graph as records arrive: what each record cites, which list endorses it, and a
*mentioned* placeholder for a cited work the library does not hold yet (capturing that work later completes
the placeholder in place: same id, no duplicate)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from layerwise import dedupe, ids
from layerwise.capture.citations import keys_of
from layerwise.records import Cite, Item, Skip
from layerwise.store import graph

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from layerwise.store import Store


@dataclass
class Linker:
    """Collects the graph of one ingest; written after its items, in the same transaction."""

    stamp: str
    pending: set[str] = field(default_factory=set)  # targets cited earlier that no item matched then
    cites: list[tuple[int, Cite]] = field(default_factory=list)
    endorsements: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    resolved: dict[str, int] = field(default_factory=dict)
    folds: dict[int, int] = field(default_factory=dict)  # placeholder -> the item it turned out to be

    @classmethod
    def start(cls, conn: Connection, stamp: str) -> Linker:
        return cls(stamp, graph.pending_targets(conn))

    def note(self, target: Item, record: Item, was_mentioned: bool) -> None:
        """What a record placed in `target` brings to the graph."""
        self.cites.extend((target.library_id, c) for c in record.cites)
        if record.endorsed_by:
            name, context = record.endorsed_by
            self.endorsements.append({"list": name, "item_id": target.id, "context": context, "added_at": self.stamp})
        if was_mentioned and not target.mentioned:
            self.completed.append(target.library_id)
        if self.pending and not target.mentioned:
            for key in keys_of(target.arxiv_id, target.doi, target.canonical_url):
                if key in self.pending:
                    self.resolved[key] = target.library_id

    def citation_rows(self, index: dedupe.KeyIndex, place: Callable[[Item], Item | None]) -> list[dict[str, Any]]:
        """A row per citation, resolved to an item: one the library holds, else a new mentioned placeholder for a
        work with an arXiv id, a DOI or a title; a bare link to a page not captured stays unresolved."""
        out: dict[tuple[int, str], dict[str, Any]] = {}
        for from_id, cite in self.cites:
            to_id = _by_key(index, cite)
            if to_id is None and (cite.scheme in ("arxiv", "doi") or cite.title):
                placeholder = mention(cite)
                if placeholder.title_key:
                    found = place(placeholder)
                    to_id = found.id if found else None
                    if found is not None and found.mentioned and found.id not in self.mentions:
                        self.mentions.append(found.library_id)
            if to_id == from_id:
                continue
            out.setdefault((from_id, cite.target), {
                "from_item": from_id, "target": cite.target, "to_item": to_id, "context": cite.context,
                "origin": cite.origin, "added_at": self.stamp})
        return list(out.values())

    def write(self, conn: Connection, citations: list[dict[str, Any]]) -> None:
        graph.add_citations(conn, citations)
        graph.add_endorsements(conn, self.endorsements)
        graph.add_mentions(conn, self.mentions, self.stamp)
        graph.drop_mentions(conn, self.completed)
        graph.resolve(conn, self.resolved)
        for placeholder, item_id in self.folds.items():
            graph.fold(conn, placeholder, item_id)


def endorsed(records: Iterable[Item | Skip], name: str) -> Iterator[Item | Skip]:
    """A curated list's records, each endorsed by the list (with the heading it sits under)."""
    for record in records:
        if isinstance(record, Item):
            record.endorsed_by = (name, record.extra.get("context"))
        yield record


def _by_key(index: dedupe.KeyIndex, cite: Cite) -> int | None:
    """The item a citation's arXiv id, DOI or address names, if the library holds it."""
    if cite.scheme == "openalex":
        return index.by_ref("openalex", cite.value)
    column = {"arxiv": "arxiv_id", "doi": "doi", "url": "canonical_url"}.get(cite.scheme)
    if column is None:
        return None
    if cite.scheme in dedupe.GLOBAL_SOURCES and (owner := index.by_ref(cite.scheme, cite.value)) is not None:
        return owner
    owners = index.by_column(column, cite.value)
    return owners[0] if owners else None


def mention(cite: Cite) -> Item:
    """A placeholder item for a cited work: its title when the reference gave one, else its id."""
    title = cite.title or (f"arXiv:{cite.value}" if cite.scheme == "arxiv" else f"doi:{cite.value}"
                           if cite.scheme == "doi" else "")
    item = Item(title=title, kind="paper" if cite.scheme in ("arxiv", "doi") else "page", year=cite.year,
                arxiv_id=cite.value if cite.scheme == "arxiv" else None,
                doi=cite.value if cite.scheme == "doi" else None,
                url=cite.value if cite.scheme == "url" else None, mentioned=True)
    if cite.context:
        item.extra["cited_as"] = cite.context
    if cite.scheme == "openalex":
        item.add_ref("openalex", cite.value)
    item.normalise()
    if not cite.title and cite.scheme in ("arxiv", "doi"):
        item.title_key = ids.title_key(item.title)  # an id as title: only the id itself will match it
    return item


@dataclass
class Links:
    """An item's place in the reference graph, as `show` and the item page list it."""

    cited_by: list[tuple[Item, str | None]] = field(default_factory=list)  # (citing item, the citation's words)
    cites: list[tuple[Item | None, str, str | None]] = field(default_factory=list)  # (item or None, target, words)
    endorsed_by: list[tuple[str, str | None]] = field(default_factory=list)  # (list, heading)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cited_by": [{"id": i.id, "title": i.title, "context": c} for i, c in self.cited_by],
            "cites": [{"id": i.id if i else None, "title": i.title if i else None, "target": t,
                       "mentioned": bool(i and i.mentioned), "context": c} for i, t, c in self.cites],
            "endorsed_by": [{"list": n, "context": c} for n, c in self.endorsed_by],
        }


def links(store: Store, item_id: int) -> Links:
    with store.reading() as conn:
        citing = graph.cited_by(conn, item_id)
        cited = graph.cites(conn, item_id)
        endorsing = graph.endorsed_by(conn, item_id)
        items = {i.library_id: i for i in store.items(
            conn, [r["item_id"] for r in citing] + [r["item_id"] for r in cited if r["item_id"] is not None])}
    return Links(
        cited_by=[(items[r["item_id"]], r["context"]) for r in citing if r["item_id"] in items],
        cites=[(items.get(r["item_id"]) if r["item_id"] is not None else None, r["target"], r["context"]) for r in cited],
        endorsed_by=[(r["list"], r["context"]) for r in endorsing])
