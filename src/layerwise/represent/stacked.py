"""The tf-idf rows of the index: one or several chunks used as one matrix without joining them (joining copies
every row, ~100 MB at 170k items, which an index update would otherwise pay after each sync and a cold start
after each chunk).

Each chunk is held as its three CSR arrays (`Csr`, memory-mapped when read from disk). The products `similar`
needs (with a vector, rows by position, their mean) are done here in NumPy, so a new process that only asks for
similar items never imports SciPy (~0.25 s); anything else (`@` with a matrix, `rows[...]`) gets SciPy
matrices, made once per chunk on first use."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np


class Postings(NamedTuple):
    """The same entries by column (term), as an inverted index: `rows[indptr[t]:indptr[t + 1]]` hold term t."""
    indptr: np.ndarray
    rows: np.ndarray
    data: np.ndarray


class Csr(NamedTuple):
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    columns: int
    postings: Postings | None = None  # kept beside a chunk on disk; without, a product reads every entry

    @classmethod
    def of(cls, matrix: Any) -> Csr:
        if isinstance(matrix, Csr):
            return matrix
        matrix = matrix.tocsr()
        return cls(matrix.data, matrix.indices, matrix.indptr, int(matrix.shape[1]))

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """Every row times a dense vector over the columns. With postings, only the entries of the vector's terms
        are read (a query has tens to hundreds of terms of the vocabulary's hundreds of thousands)."""
        if self.postings is None:
            products = self.data * vector[self.indices]
            sums = np.add.reduceat(products, np.minimum(self.indptr[:-1], max(len(products) - 1, 0))) if len(products) \
                else np.zeros(self.rows)
            return np.where(self.indptr[1:] > self.indptr[:-1], sums, 0.0)
        out = np.zeros(self.rows)
        terms = np.flatnonzero(vector)
        # term by term: a row appears once in a term's postings, so `+=` through its rows adds each entry once, in
        # the order one `bincount` over all of them would, with no temporary as long as them (~1M entries for a
        # query with common words, whose fresh pages cost more than the sums in a new process)
        for start, end, weight in zip(self.postings.indptr[terms].tolist(), self.postings.indptr[terms + 1].tolist(),
                                      vector[terms]):
            out[self.postings.rows[start:end]] += self.postings.data[start:end] * weight
        return out

    def take(self, rows: np.ndarray) -> Csr:
        """These rows, in this order."""
        positions, lengths = _spans(self.indptr, rows)
        return Csr(self.data[positions], self.indices[positions], np.concatenate([[0], np.cumsum(lengths)]), self.columns)

    def with_postings(self) -> Csr:
        """The same rows with their postings computed in memory (for a chunk written without them)."""
        entries = len(self.data)
        postings = Postings(np.zeros(self.columns + 1, dtype=np.int64), np.zeros(entries, dtype=np.int32),
                            np.zeros(entries, dtype=self.data.dtype))
        fill_postings(self, postings)
        return self._replace(postings=postings)

    def tocsr(self) -> Any:
        return self.scipy()

    def scipy(self) -> Any:
        from scipy import sparse

        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=(self.rows, self.columns), copy=False)


def fill_postings(csr: Csr, postings: Postings, block: int = 1 << 15, threads: int = 2) -> None:
    """Sort the entries of `csr` by column into `postings` (arrays made to size, in memory or memory-mapped
    files), a block of rows at a time: no temporary as large as the matrix, as SciPy's `tocsc` would make (a
    gigabyte at a million items). Rows stay ascending within a column, as `tocsc` leaves them. Each block's
    places are known before any is sorted, so blocks are sorted on `threads` threads (NumPy's sorting and
    copying run outside Python's lock): 1.4-1.6 -> 0.8-0.9 s for 170k rows on two cores."""
    counts = np.bincount(csr.indices, minlength=csr.columns)
    postings.indptr[0] = 0
    np.cumsum(counts, out=postings.indptr[1:])
    free = postings.indptr[:-1].astype(np.int64)  # each column's next place, block after block
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(threads, thread_name_prefix="layerwise-postings") as pool:
        running: deque[Future[None]] = deque()
        for start in range(0, csr.rows, block):
            stop = min(start + block, csr.rows)
            running.append(pool.submit(_fill_block, csr, postings, start, stop, free.copy()))
            free += np.bincount(csr.indices[int(csr.indptr[start]):int(csr.indptr[stop])], minlength=csr.columns)
            if len(running) >= threads:  # a block's temporaries are a few times its entries: a few at a time
                running.popleft().result()
        for block_done in running:
            block_done.result()


def _fill_block(csr: Csr, postings: Postings, start: int, stop: int, free: np.ndarray) -> None:
    """The entries of rows start..stop into their places (`free`: each column's first place for this block)."""
    first, last = int(csr.indptr[start]), int(csr.indptr[stop])
    columns = np.asarray(csr.indices[first:last])
    order = np.argsort(columns, kind="stable")  # by column, rows in order within one
    by_column = columns[order]
    runs = np.flatnonzero(np.diff(by_column, prepend=-1))  # where each column's entries begin
    rank = np.arange(len(by_column)) - np.repeat(runs, np.diff(runs, append=len(by_column)))  # place among them
    places = free[by_column] + rank
    rows = np.repeat(np.arange(start, stop, dtype=np.int32), np.diff(csr.indptr[start:stop + 1]))
    postings.rows[places] = rows[order]
    postings.data[places] = np.asarray(csr.data[first:last])[order]


class Stacked:
    """Chunks of rows as one matrix. An overlay holds newer versions of some rows (`replaced`, ascending): an item
    whose text changed is written beside the rows it replaces, and every operation reads it in their place."""

    def __init__(self, parts: Sequence[Any], overlay: Any = None, replaced: Any = None) -> None:
        self.chunks = [Csr.of(p) for p in parts] or [Csr.of(_empty(0))]
        self.offsets = np.cumsum([0] + [c.rows for c in self.chunks])
        self.shape = (int(self.offsets[-1]), self.chunks[0].columns)
        self._scipy: list[Any] | None = None
        newer = Csr.of(overlay) if overlay is not None else None
        self.overlay = newer if newer is not None and newer.rows else None
        self.replaced = np.asarray(replaced, dtype=np.int64) if self.overlay is not None else np.zeros(0, np.int64)

    def _sources(self) -> tuple[list[Csr], np.ndarray]:
        """The chunks and then the overlay, with their first rows: an overlay row is numbered past the last row."""
        if self.overlay is None:
            return self.chunks, self.offsets
        return [*self.chunks, self.overlay], np.append(self.offsets, self.offsets[-1] + self.overlay.rows)

    def _remap(self, rows: np.ndarray) -> np.ndarray:
        """Row numbers as `_sources` numbers them: a replaced row reads its overlay row."""
        if self.overlay is None or not len(rows):
            return rows
        at = np.minimum(np.searchsorted(self.replaced, rows), len(self.replaced) - 1)
        hit = self.replaced[at] == rows
        return np.where(hit, self.shape[0] + at, rows)

    @property
    def parts(self) -> list[Any]:
        """The chunks as SciPy matrices (no copy of their arrays)."""
        if self._scipy is None:
            self._scipy = [c.scipy() for c in self.chunks]
        return self._scipy

    # -- in NumPy ------------------------------------------------------------------------------------
    def dot(self, vector: np.ndarray) -> np.ndarray:
        """Every row times a dense vector over the columns."""
        out = np.concatenate([c.dot(vector) for c in self.chunks])
        if self.overlay is not None:
            out[self.replaced] = self.overlay.dot(vector)
        return out

    def take(self, rows: Any) -> Csr:
        """Rows by position, in the order asked, as one `Csr`."""
        rows = self._remap(np.asarray(rows, dtype=np.int64).ravel())
        chunks, offsets = self._sources()
        owner = np.searchsorted(offsets, rows, side="right") - 1
        if len(chunks) == 1:
            return chunks[0].take(rows)
        parts = range(len(chunks))
        picked = [chunks[part].take(rows[owner == part] - offsets[part]) for part in parts]
        starts = np.cumsum([0] + [p.indptr[-1] for p in picked])
        joined = Csr(np.concatenate([p.data for p in picked]), np.concatenate([p.indices for p in picked]),
                     np.concatenate([[0]] + [p.indptr[1:] + start for p, start in zip(picked, starts)]), self.shape[1])
        order = np.concatenate([np.flatnonzero(owner == part) for part in parts])  # where each picked row was asked
        return joined.take(np.argsort(order, kind="stable"))

    def rewrite(self, rows: np.ndarray, extra: Any) -> Csr:
        """These rows (ascending) and then the rows of `extra`, as one `Csr`, copied run by run into arrays made
        once: dropping a few rows of a million copies the entries once, with no index array as long as they."""
        extra, (chunks, offsets) = Csr.of(extra), self._sources()
        pieces = [(part, a - int(offsets[part]), b - int(offsets[part]))
                  for start, end in runs(self._remap(rows)) for part, a, b in _split(offsets, start, end)]
        sizes = [int(chunks[p].indptr[b] - chunks[p].indptr[a]) for p, a, b in pieces] + [len(extra.data)]
        data, indices = np.empty(sum(sizes), dtype=np.float32), np.empty(sum(sizes), dtype=np.int32)
        indptr = np.zeros(len(rows) + extra.rows + 1, dtype=np.int64)
        at, row = 0, 0
        for (part, a, b), size in zip([*pieces, (-1, 0, extra.rows)], sizes):
            source = extra if part < 0 else chunks[part]
            first = int(source.indptr[a])
            data[at:at + size], indices[at:at + size] = source.data[first:first + size], source.indices[first:first + size]
            indptr[row + 1:row + 1 + b - a] = np.asarray(source.indptr[a + 1:b + 1]) - first + at
            at, row = at + size, row + b - a
        return Csr(data, indices, indptr, self.shape[1])

    def row(self, row: int) -> np.ndarray:
        """One row as a dense vector."""
        return self.mean([row])

    def mean(self, rows: Any) -> np.ndarray:
        """The mean of these rows, dense."""
        picked = self.take(rows)
        # summed over the columns the rows use, then placed: a sum over every column (~330k at 170k items) would
        # touch a few MB of fresh pages, most of a cold `similar`'s cost here
        columns, place = np.unique(picked.indices, return_inverse=True)
        out = np.zeros(self.shape[1], dtype=np.float32)
        out[columns] = np.bincount(place, weights=picked.data, minlength=len(columns)) / max(picked.rows, 1)
        return out

    # -- as SciPy --------------------------------------------------------------------------------------
    def __matmul__(self, other: Any) -> Any:
        from scipy import sparse

        products = [part @ other for part in self.parts]
        if sparse.issparse(products[0]):
            joined = sparse.vstack(products).tocsr()
            if self.overlay is None:
                return joined
            kept = np.ones(self.shape[0])
            kept[self.replaced] = 0
            placed = sparse.csr_matrix((np.ones(len(self.replaced)), (self.replaced, np.arange(len(self.replaced)))),
                                       shape=(self.shape[0], len(self.replaced)))
            return (sparse.diags(kept) @ joined + placed @ (self.overlay.scipy() @ other)).tocsr()
        out = np.concatenate([np.asarray(p) for p in products])
        if self.overlay is not None:
            out[self.replaced] = np.asarray(self.overlay.scipy() @ other)
        return out

    def __getitem__(self, rows: Any) -> Any:
        """Rows by position, as a CSR matrix (one row for an int), in the order asked."""
        if isinstance(rows, (int, np.integer)) and self.overlay is None:
            part = int(np.searchsorted(self.offsets, rows, side="right")) - 1
            return self.parts[part][int(rows) - int(self.offsets[part])]
        return self.take([rows] if isinstance(rows, (int, np.integer)) else rows).scipy()

    def tocsr(self) -> Any:
        if self.overlay is not None:
            return self.rewrite(np.arange(self.shape[0]), _empty(self.shape[1])).scipy()
        if len(self.chunks) == 1:
            return self.parts[0]
        from scipy import sparse

        return sparse.vstack(self.parts).tocsr()


def _split(offsets: np.ndarray, start: int, end: int) -> list[tuple[int, int, int]]:
    """Rows start..end-1 as (chunk, first, last + 1) pieces, for chunks starting at these offsets."""
    out = []
    while start < end:
        part = int(np.searchsorted(offsets, start, side="right")) - 1
        stop = min(end, int(offsets[part + 1]))
        out.append((part, start, stop))
        start = stop
    return out


def runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """Ascending row numbers as (first, last + 1) runs of consecutive rows."""
    if not len(rows):
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    firsts, lasts = rows[np.r_[0, breaks]], rows[np.r_[breaks - 1, len(rows) - 1]]
    return [(int(a), int(b) + 1) for a, b in zip(firsts, lasts)]


def _spans(indptr: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the entries of these rows (or terms) of a pointer array, in order, and how many each has."""
    starts = indptr[which].astype(np.int64)
    lengths = indptr[which + 1].astype(np.int64) - starts
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(int(ends[-1]) if len(ends) else 0), lengths


def _empty(columns: int) -> Csr:
    return Csr(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int32), columns)


def stack(parts: Sequence[Any], overlay: Any = None, replaced: Any = None) -> Stacked:
    """The rows of these chunks (CSR matrices or `Csr`), as one matrix, with an overlay of newer rows if given;
    empty chunks are left out."""
    chunks = [Csr.of(p) for p in parts]
    return Stacked([c for c in chunks if c.rows] or chunks[:1], overlay, replaced)
