"""The index on disk. Rows (ids, tf-idf rows and the same entries by term) come in chunks that `meta.json`
lists; the embeddings of every row are one raw float32 file (`dense.f32`) with room to grow, memory-mapped, so
neither loading nor appending copies them. Every write is whole or invisible: a chunk is written beside its place
and renamed into it, new embeddings go past the rows `meta.json` counts, `meta.json` is replaced last in one step,
and a whole index is written to a sibling folder and swapped in."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from layerwise.represent import stacked
from layerwise.represent.lexical import write_vocabulary

DENSE = "dense.f32"
VOCABULARY = "vocabulary.txt"  # one term per line; indexes written before it hold vocabulary.json
POSTINGS = ("indptr", "rows", "data")  # the tf-idf entries by term too: a query's products read only its terms
GROWTH, ROOM = 1.25, 1024  # room left for appended rows when the embeddings file is (re)written
BLOCK = 65536  # rows of embeddings written at a time


def read_meta(folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def read(folder: Path, meta: dict[str, Any]) -> tuple[np.ndarray, stacked.Stacked, np.ndarray, Path, np.ndarray]:
    """(ids, tf-idf, embeddings, the vocabulary's file, idf) as `meta.json` lists them; OSError or ValueError
    when a file is missing or damaged. The arrays stay memory-mapped, and several chunks are not joined."""
    chunks = [folder / str(name) for name in meta.get("chunks", [])]
    if not chunks:
        raise ValueError("no chunks")
    ids = [_plain(np.load(c / "ids.npy", mmap_mode="r")) for c in chunks]
    tfidf = [read_rows(c) for c in chunks]
    if any(len(i) != t.rows for i, t in zip(ids, tfidf)):
        raise ValueError("a chunk's ids and tf-idf rows differ in length")
    rows = sum(len(i) for i in ids)
    if rows != int(meta.get("rows", -1)):
        raise ValueError(f"{rows} rows in the chunks, {meta.get('rows')} in meta.json")
    overlay, replaced = None, None
    if meta.get("overlay"):  # newer rows of changed items, and the rows they replace
        overlay, replaced = read_rows(folder / str(meta["overlay"])), np.load(folder / str(meta["overlay"]) / "ids.npy")
        if len(replaced) != overlay.rows or (len(replaced) and (int(replaced[-1]) >= rows or (np.diff(replaced) <= 0).any())):
            raise ValueError("the overlay's rows do not fit the index")
    # ids and idf mapped as well: read whole, they were ~3 ms of a cold `similar` at 170k items
    return (ids[0] if len(ids) == 1 else np.concatenate(ids), stacked.stack(tfidf, overlay, replaced),
            dense_view(folder, meta), vocabulary_file(folder), _plain(np.load(folder / "idf.npy", mmap_mode="r")))


def vocabulary_file(folder: Path) -> Path:
    """The vocabulary's file: one term per line, or the JSON an index written before that holds."""
    lines = folder / VOCABULARY
    return lines if lines.exists() else folder / "vocabulary.json"


def read_rows(chunk: Path) -> stacked.Csr:
    """A chunk's tf-idf rows, its arrays memory-mapped (no copy of the ~100 MB a large library has)."""
    data, indices, indptr = (_plain(np.load(chunk / f"tfidf-{name}.npy", mmap_mode="r"))
                             for name in ("data", "indices", "indptr"))
    rows, columns = (int(n) for n in np.load(chunk / "tfidf-shape.npy"))
    if len(indptr) != rows + 1 or len(data) != len(indices) or (rows and int(indptr[-1]) != len(data)):
        raise ValueError("tf-idf rows and their pointers differ in length")
    csr = stacked.Csr(data, indices, indptr, columns)
    try:
        postings = _read_postings(chunk)
    except OSError:  # a chunk written before postings were kept: they are added once
        try:
            _write_postings(chunk, csr)
            postings = _read_postings(chunk)
        except OSError:  # a read-only or full home: computed in memory for this process
            return csr.with_postings()
    if len(postings.indptr) != columns + 1 or len(postings.rows) != len(data) or len(postings.data) != len(data):
        raise ValueError("tf-idf postings and rows differ in length")
    return csr._replace(postings=postings)


def _read_postings(chunk: Path) -> stacked.Postings:
    return stacked.Postings(*(_plain(np.load(chunk / f"postings-{name}.npy", mmap_mode="r")) for name in POSTINGS))


def _plain(mapped: np.ndarray) -> np.ndarray:
    """A memory-mapped array as a plain array over the same pages: NumPy's `memmap` subclass runs Python code on
    every indexing (~0.1 ms, tens of times in one `similar`); the mapping lives as long as the view."""
    return np.asarray(mapped)


def _write_postings(chunk: Path, csr: stacked.Csr) -> None:
    """The postings of a chunk, beside its rows, computed into the files themselves. Each file is renamed into
    place whole, and all are computed from rows that never change, so a set cut short by a crash is written
    again on the next read."""
    tmp = chunk / f"postings.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        entries = len(csr.data)
        files = [np.lib.format.open_memmap(tmp / f"postings-{name}.npy", mode="w+", dtype=np.dtype(dtype), shape=(size,))
                 for name, dtype, size in (("indptr", np.int64, csr.columns + 1), ("rows", np.int32, entries),
                                           ("data", csr.data.dtype, entries))]
        stacked.fill_postings(csr, stacked.Postings(*files))
        for array in files:
            array.flush()
        del files
        for name in POSTINGS:
            os.replace(tmp / f"postings-{name}.npy", chunk / f"postings-{name}.npy")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def dense_view(folder: Path, meta: dict[str, Any]) -> np.ndarray:
    rows, capacity, dim = int(meta["rows"]), int(meta["capacity"]), int(meta["dim"])
    if (folder / DENSE).stat().st_size < capacity * dim * 4:
        raise ValueError(f"{DENSE} is shorter than meta.json says")
    if not rows:
        return np.zeros((0, dim), dtype=np.float32)
    return _plain(np.memmap(folder / DENSE, dtype=np.float32, mode="r", shape=(capacity, dim)))[:rows]


def scratch_dense(path: Path, rows: int, dim: int) -> np.ndarray:
    """A file of zeroed embeddings to compute a build's into: they live on disk, not in the process's memory (a
    gigabyte at a million items), until `write_whole` copies them into the index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clear_stale_scratch(path.parent)
    return np.memmap(path, dtype=np.float32, mode="w+", shape=(max(rows, 1), dim))[:rows]


def clear_stale_scratch(home: Path) -> None:
    """Removes the scratch files (`index.WHAT.PID.tmp`) of builds and imports that were killed: a gigabyte of
    embeddings at a million items."""
    for left in home.glob("index.*.*.tmp"):
        if not _running(left.name.split(".")[2]):
            left.unlink(missing_ok=True)


def _running(pid: str) -> bool:
    """Whether the process a scratch file is named after still runs."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def write_chunk(path: Path, ids: np.ndarray, tfidf: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    np.save(tmp / "ids.npy", ids)
    csr = tfidf.tocsr()
    for name, array in (("data", csr.data), ("indices", csr.indices), ("indptr", csr.indptr),
                        ("shape", np.array(csr.shape, dtype=np.int64))):
        np.save(tmp / f"tfidf-{name}.npy", array)  # plain arrays: read back memory-mapped
    _write_postings(tmp, stacked.Csr.of(csr))
    tmp.rename(path)


def append_dense(folder: Path, meta: dict[str, Any], new: np.ndarray) -> dict[str, Any]:
    """Write embeddings past the rows `meta` counts (growing the file when full); returns the meta fields that
    count them, for `write_meta` to make them part of the index."""
    rows, capacity, dim = int(meta["rows"]), int(meta["capacity"]), int(meta["dim"])
    if rows + len(new) > capacity:
        capacity = int((rows + len(new)) * GROWTH) + ROOM
        _write_dense(folder / DENSE, [dense_view(folder, meta), new], capacity)
    else:
        target = np.memmap(folder / DENSE, dtype=np.float32, mode="r+", shape=(capacity, dim))
        target[rows:rows + len(new)] = new
        target.flush()
        del target
    return {"rows": rows + len(new), "capacity": capacity, "dim": dim}


def write_dense_rows(folder: Path, meta: dict[str, Any], rows: np.ndarray, vectors: np.ndarray) -> None:
    """New embeddings of changed items, over their rows. Written before `meta.json`: a crash leaves newer vectors
    under an index that still counts the items as changed, so the next use computes and writes them again."""
    target = np.memmap(folder / DENSE, dtype=np.float32, mode="r+", shape=(int(meta["capacity"]), int(meta["dim"])))
    target[rows] = vectors
    target.flush()
    del target


def _write_dense(path: Path, pieces: Sequence[np.ndarray], capacity: int) -> None:
    """The embeddings file from these pieces of rows in order (arrays or memory-mapped slices), a block at a
    time: never another copy of them all in memory (a gigabyte at a million items)."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    width = int(pieces[0].shape[1])
    with open(tmp, "wb") as f:
        for piece in pieces:
            for start in range(0, len(piece), BLOCK):
                np.ascontiguousarray(piece[start:start + BLOCK], dtype=np.float32).tofile(f)
        f.truncate(capacity * width * 4)  # the room to grow reads as zeros and costs no disk
    os.replace(tmp, path)


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    tmp = folder / f"meta.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, folder / "meta.json")


def write_whole(folder: Path, ids: np.ndarray, tfidf: Any, dense: Sequence[np.ndarray],
                vocabulary: dict[str, int] | Path, idf: np.ndarray, meta: dict[str, Any]) -> None:
    """The whole index as one chunk (its embeddings given as pieces of rows, in order, and its vocabulary as a
    dict or the file that holds it): a crash leaves the old index or the new one, never half."""
    tmp = folder.with_name("index.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write_chunk(tmp / "c0", ids, tfidf)
    capacity = int(len(ids) * GROWTH) + ROOM
    _write_dense(tmp / DENSE, dense, capacity)
    if isinstance(vocabulary, Path):  # unread: copied as it is, in the format it is in
        shutil.copyfile(vocabulary, tmp / vocabulary.name)
    else:
        write_vocabulary(tmp / VOCABULARY, vocabulary)
    np.save(tmp / "idf.npy", idf)
    write_meta(tmp, {**meta, "chunks": ["c0"], "sizes": [len(ids)], "rows": len(ids), "capacity": capacity,
                     "dim": int(dense[0].shape[1]), "overlay": None, "serial": uuid.uuid4().hex})
    old = folder.with_name("index.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
