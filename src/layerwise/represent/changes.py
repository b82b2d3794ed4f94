"""What changed in the library since the index was written: read from the store, for `index` to bring itself up
to date."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from layerwise.library import Library


def state(library: Library) -> tuple[int, str]:
    """(items, the newest change stamp): the index is current while both are what it was written at."""
    with library.store.reading() as conn:
        return library.store.change_state(conn)


def rows_since(library: Library, held: np.ndarray, since: str) -> list[tuple[int, str, str | None]]:
    """Items changed since the newest change the index saw (`held`: its ids). Writers take turns and stamp under
    the write lock (`times.change_stamp`), so an item stamped `since` came with that change: new if the index
    lacks it, unchanged if it holds it."""
    with library.store.reading() as conn:
        rows = library.store.item_texts_since(conn, since)
    inside = np.isin(np.array([r[0] for r in rows], dtype=np.int64), held)
    return [r[:3] for r, known in zip(rows, inside) if not (known and r[3] == since)]


def all_ids(library: Library) -> np.ndarray:
    with library.store.reading() as conn:
        return np.array(library.store.item_ids(conn), dtype=np.int64)


def rows_by_id(library: Library, item_ids: list[int]) -> list[tuple[int, str, str | None]]:
    with library.store.reading() as conn:
        return library.store.item_texts_by_id(conn, item_ids)
