"""The tf-idf rows of several index chunks used as one matrix without joining them: joining copies every row
(~100 MB at 170k items), which an index update would otherwise pay after each sync and a cold start after
each chunk. Holds the few operations ranking uses: a product with a vector or a sparse matrix, and rows by
position."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class Stacked:
    def __init__(self, parts: Sequence[Any]) -> None:
        self.parts = list(parts)
        self.offsets = np.cumsum([0] + [p.shape[0] for p in self.parts])
        self.shape = (int(self.offsets[-1]), int(self.parts[0].shape[1]))

    def __matmul__(self, other: Any) -> Any:
        from scipy import sparse

        products = [part @ other for part in self.parts]
        if sparse.issparse(products[0]):
            return sparse.vstack(products).tocsr()
        return np.concatenate([np.asarray(p) for p in products])

    def __getitem__(self, rows: Any) -> Any:
        """Rows by position, as a CSR matrix (one row for an int), in the order asked."""
        from scipy import sparse

        if isinstance(rows, (int, np.integer)):
            part = int(np.searchsorted(self.offsets, rows, side="right")) - 1
            return self.parts[part][int(rows) - int(self.offsets[part])]
        rows = np.asarray(rows, dtype=np.int64).ravel()
        if not len(rows):
            return sparse.csr_matrix((0, self.shape[1]), dtype=self.parts[0].dtype)
        owner = np.searchsorted(self.offsets, rows, side="right") - 1
        picked, order = [], []
        for part in np.unique(owner):
            mine = np.flatnonzero(owner == part)
            picked.append(self.parts[part][rows[mine] - self.offsets[part]])
            order.append(mine)
        joined = sparse.vstack(picked).tocsr()
        return joined[np.argsort(np.concatenate(order), kind="stable")]

    def tocsr(self) -> Any:
        from scipy import sparse

        return sparse.vstack(self.parts).tocsr()


def stack(parts: Sequence[Any]) -> Any:
    """One CSR matrix as it is; several as a `Stacked`."""
    nonempty = [p for p in parts if p.shape[0]] or list(parts[:1])
    return nonempty[0] if len(nonempty) == 1 else Stacked(nonempty)
