"""Storing records: one transaction per import, deduplicated against the library and each other, with the
reference graph they bring, written in batches while the full-text index of the last batch is built beside."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from layerwise import dedupe, references
from layerwise.records import Item, Skip
from layerwise.store import Store, search
from layerwise.times import change_stamp, utc_stamp
from layerwise.vocab import STATUSES

BATCH = 2000  # items written per round trip


@dataclass
class IngestReport:
    added: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: list[Skip] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)  # every item a record landed in, in record order
    feeds_added: int = 0
    mentioned: int = 0  # cited works the library does not hold yet, noted as mentioned

    @property
    def seen(self) -> int:
        return self.added + self.merged + self.unchanged

    def summary(self) -> str:
        parts = [f"{self.added} added", f"{self.merged} merged into existing items", f"{self.unchanged} already there"]
        if self.feeds_added:
            parts.insert(0, f"{self.feeds_added} feeds subscribed")
        parts += [f"{self.mentioned} cited works noted as mentioned"] if self.mentioned else []
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (kept {self.seen} of {self.seen + len(self.skipped)} records)")
        return ", ".join(parts)


def ingest(store: Store, records: Iterable[Item | Skip], *, bulk: bool = True,
           on_record: Callable[[int], None] | None = None,
           on_stored: Callable[[Sequence[Item]], None] | None = None) -> IngestReport:
    """Store records in one transaction, deduplicated against the library and each other, with what they cite.

    Ctrl-C or an error rolls the whole batch back, so the library is never left half-imported. A `bulk` import
    loads every key of the library first and indexes each batch for full-text search on a second thread.
    `on_stored` hears each batch of items written (new or changed), before the transaction commits.
    """
    report = IngestReport()
    if bulk:
        with store.begin(writer=True) as conn:
            search.tune_for_bulk(conn)
    with (rare_collections() if bulk else nullcontext()), store.begin(writer=True) as conn, \
            search.indexing(conn, beside=bulk) as full_text:
        stamp, changed_at = utc_stamp(), change_stamp()  # taken holding the write lock (times.change_stamp)
        index: dedupe.KeyIndex = dedupe.MemoryKeys.load(store, conn) if bulk else dedupe.DatabaseKeys(store, conn)
        linker = references.Linker.start(conn, stamp)
        next_id = store.max_item_id(conn) + 1
        new: dict[int, Item] = {}
        changed: dict[int, Item] = {}
        refs: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []

        def flush() -> None:
            store.insert_items(conn, [i.to_row() for i in new.values()], full_text=full_text)
            store.update_items(conn, [i.to_row() for i in changed.values()])
            store.insert_refs(conn, refs)
            store.add_tags(conn, tags)
            full_text.start()  # the next batch is read and placed while SQLite indexes this one
            if on_stored:
                on_stored([*new.values(), *changed.values()])
            for pending in (new, changed, refs, tags):
                pending.clear()

        stored: dict[int, Item] = {}  # library items a record merged into, fetched in batches

        def fetch(item_id: int) -> Item:
            return new.get(item_id) or changed.get(item_id) or stored.pop(item_id, None) or store.items(conn, [item_id])[0]

        def place(record: Item) -> Item | None:
            """The library item this record becomes or merges into (None when it has no title)."""
            nonlocal next_id
            if not record.title:
                report.skipped.append(Skip(where(record), "no title"))
                return None
            match = dedupe.find_match(index, record)
            if match is None:
                record.id, next_id = next_id, next_id + 1
                record.added_at, record.updated_at = stamp, changed_at
                if record.status not in STATUSES:
                    record.status = "inbox"
                dedupe.release_taken_keys(index, record)
                new[record.id] = record
                target = record
                if not record.mentioned:
                    report.added += 1
            else:
                target = fetch(match)
                if record.mentioned:  # a citation of a work the library holds: nothing to merge
                    return target
                if target.mentioned and (twin := dedupe.title_twin(index, record, match)) is not None:
                    linker.folds[match], match = twin, twin  # the placeholder was this work all along
                    target = fetch(match)
                was_mentioned, known_refs = target.mentioned, set(target.refs)
                row_changed = dedupe.merge(target, record, index)
                # a reference another item already owns (an id reused across venues) stays with it
                record.refs = [r for r in target.refs if r not in known_refs and index.by_ref(*r) in (None, match)]
                if row_changed:
                    target.updated_at = changed_at
                    if match not in new:
                        changed[match] = target
                if row_changed or record.refs or was_mentioned:
                    report.merged += 1
                else:
                    report.unchanged += 1
                linker.note(target, record, was_mentioned)
            if match is None:
                linker.note(target, record, False)
            index.remember(target)
            refs.extend({"source": s, "ref": r, "item_id": target.id, "added_at": stamp} for s, r in record.refs)
            tags.extend({"item_id": target.id, "tag": t} for t in record.tags)
            if len(new) + len(changed) >= BATCH:
                flush()
            return target

        for count, record in enumerate(dedupe.prefetching(records, index, stored, next_id, store, conn), 1):
            if on_record:
                on_record(count)
            if isinstance(record, Skip):
                report.skipped.append(record)
            elif (target := place(record)) is not None:
                report.item_ids.append(target.library_id)
        citations = linker.citation_rows(index, place)
        flush()
        linker.write(conn, citations)
        report.mentioned = len(linker.mentions)
    return report


def where(item: Item) -> str:
    """How a skipped record is named: its last reference, its URL, or "record"."""
    if item.refs:
        return ":".join(item.refs[-1])
    return item.url or "record"


@contextmanager
def rare_collections() -> Iterator[None]:
    """Python's cycle collector, run rarely while a bulk import builds up hundreds of thousands of records that
    live to its end: at the default pace it walks them again and again (4-6 s of a 45 s import at 170k records),
    while an import makes almost no cycles for it to find."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], 100_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
