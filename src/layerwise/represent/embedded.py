"""Embeddings of items, computed once: on PostgreSQL every machine of a team shares them (`item_vectors`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from layerwise.represent.dense import Encoder
from layerwise.store import vectors as vector_rows

if TYPE_CHECKING:
    from layerwise.library import Library


def embed_items(library: Library, encoder: Encoder, ids: np.ndarray, texts: list[str], stamp: str) -> np.ndarray:
    """Embeddings of these items. On PostgreSQL the vectors another machine already computed come from the
    database, and what is computed here goes back to it: each item is embedded once for every machine.
    `stamp` is the library's change stamp read before the texts were (a later change makes the vector stale)."""
    if library.store.dialect != "postgresql" or not len(ids) or not ids[0]:  # id 0: the empty library's stand-in
        return encoder.encode(texts)
    with library.store.begin() as conn:
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
        with library.store.begin() as conn:
            vector_rows.save(conn, encoder.name, ((int(ids[n]), made[k]) for k, n in enumerate(todo)), stamp)
    return out
