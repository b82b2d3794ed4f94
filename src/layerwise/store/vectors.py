"""Item embeddings kept in the database (PostgreSQL), so that every machine serving a shared library reads them
instead of embedding the library again: float16 per item (half the bytes; cosine ranking does not notice), with
the item's change stamp they were computed from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from layerwise.store.sql import chunks, id_list, run, tuples

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

ALL_FROM = 20_000  # asking for this many items or more reads the model's whole table (one scan beats many IN lists)


def known(conn: Connection, model: str, item_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """The current vectors (float32) of these items: computed by this model from the item as it is now."""
    fresh = ("SELECT v.item_id, v.vector FROM item_vectors v JOIN items i ON i.id = v.item_id "
             "WHERE v.model = :m AND v.at >= i.updated_at")
    wanted = set(item_ids)
    found: dict[int, np.ndarray] = {}
    batches = [None] if len(wanted) >= ALL_FROM else list(chunks(sorted(wanted), 2000))
    for batch in batches:
        sql = fresh if batch is None else f"{fresh} AND v.item_id IN ({id_list(batch)})"
        for item_id, blob in tuples(conn, sql, {"m": model}):
            if int(item_id) in wanted:
                found[int(item_id)] = np.frombuffer(bytes(blob), dtype="<f2").astype(np.float32)
    return found


def save(conn: Connection, model: str, vectors: Iterable[tuple[int, np.ndarray]], at: str) -> None:
    """Keep vectors computed from items as they were at `at` (two machines may race: the later write wins)."""
    rows = [{"i": int(i), "m": model, "v": np.asarray(v, dtype="<f2").tobytes(), "a": at} for i, v in vectors]
    for batch in chunks(rows, 1000):
        run(conn, "INSERT INTO item_vectors (item_id, model, vector, at) VALUES (:i, :m, :v, :a) "
                  "ON CONFLICT (model, item_id) DO UPDATE SET vector = excluded.vector, at = excluded.at", batch)
