"""Embeddings of items, computed once: on PostgreSQL every machine of a team shares them (`item_vectors`).
A whole library is embedded a batch at a time, its texts read from the database for each batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from layerwise.represent.dense import Encoder, in_batches
from layerwise.store import vectors as vector_rows

if TYPE_CHECKING:
    from layerwise.store import Store

BATCH = 16384  # items whose texts are read and embedded at a time


def item_text(title: str, abstract: str | None) -> str:
    """What an item's representations are computed from."""
    return f"{title}. {abstract or ''}".strip()


def embed_rows(store: Store, encoder: Encoder, ids: np.ndarray, rows: np.ndarray, stamp: str, out: np.ndarray) -> None:
    """Embeddings for an index of `ids`, into `out` (one row per id; a memory-mapped file serves): the `rows`
    listed are computed, their texts read a batch at a time (a million abstracts held at once are 1.6 GB)."""
    for start in range(0, len(rows), BATCH):
        part = rows[start:start + BATCH]
        wanted = ids[part]
        with store.reading() as conn:
            found = {i: item_text(t, a) for i, t, a in store.item_texts_by_id(conn, wanted.tolist())}
        # an item removed since its id was read embeds as nothing (the next use drops it); id 0 stands for
        # the empty library
        texts = [found.get(i, "" if i else "empty") for i in wanted.tolist()]
        out[part] = embed_items(store, encoder, wanted, texts, stamp)


def embed_items(store: Store, encoder: Encoder, ids: np.ndarray, texts: list[str], stamp: str) -> np.ndarray:
    """Embeddings of these items. On PostgreSQL the vectors another machine already computed come from the
    database, and what is computed here goes back to it: each item is embedded once for every machine.
    `stamp` is the library's change stamp read before the texts were (a later change makes the vector stale)."""
    if store.dialect != "postgresql" or not len(ids) or not ids[0]:  # id 0: the empty library's stand-in
        return encoder.encode(texts)
    with store.begin() as conn:
        known = vector_rows.known(conn, encoder.name, ids.tolist())
    todo = [n for n, i in enumerate(ids.tolist()) if i not in known]
    made = encoder.encode([texts[n] for n in todo]) if todo else None
    dim = made.shape[1] if made is not None else len(next(iter(known.values())))
    out = np.zeros((len(ids), dim), dtype=np.float32)
    for n, i in enumerate(ids.tolist()):
        if i in known:
            out[n] = known[i]
    if made is not None:
        out[todo] = made
        with store.begin() as conn:
            vector_rows.save(conn, encoder.name, ((int(ids[n]), made[k]) for k, n in enumerate(todo)), stamp)
    return out


class Reporting:
    """An encoder that embeds in batches and says how far it got: items embedded, or, while a build reads the
    texts of items an import embedded early, items read (what takes the time then). What it says never goes
    back."""

    BATCH = 4096

    def __init__(self, encoder: Encoder, progress: Callable[[int], None]) -> None:
        self.encoder, self.progress, self.name, self.done, self.shown = encoder, progress, encoder.name, 0, 0

    def encode(self, texts: list[str]) -> np.ndarray:
        before = self.done
        return in_batches(self.encoder.encode, texts, lambda n: self._report(before + n), self.BATCH)

    def skip(self, count: int) -> None:
        """Counts items as embedded that were not embedded here (an import embedded them early)."""
        self._report(self.done + count)

    def read(self, count: int) -> None:
        """`count` items read so far, their vectors embedded early."""
        self._show(count)

    def _report(self, done: int) -> None:
        self.done = done
        self._show(done)

    def _show(self, done: int) -> None:
        if done > self.shown:
            self.shown = done
            self.progress(done)
