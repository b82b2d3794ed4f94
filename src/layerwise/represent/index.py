"""Representations of every item, computed once and kept in the home (`index/`) until the library changes.

tf-idf (sublinear tf, idf from the whole library) as a sparse matrix, and embeddings from the configured
static model, in chunks (`index/c0/`, `index/c1-.../`) that `meta.json` lists: a sync appends a chunk of the
new items, and `meta.json` is replaced last, so a crash (even kill -9) leaves the index as it was and the next
use appends again, embedding only what is missing. Changed items go to an overlay (`index/o-.../`) read in
place of their rows. Too many chunks join the appended ones into one; removed items, a large overlay, or a
vocabulary that no longer fits, rewrite it whole into a temporary folder that is swapped in.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from layerwise.represent import changes, chunks
from layerwise.represent import dense as embeddings
from layerwise.represent.counting import COUNT_FROM, Counting
from layerwise.represent.dense import Encoder
from layerwise.represent.early import Early, digest, digests
from layerwise.represent.embedded import Reporting, embed_items, embed_rows, item_text
from layerwise.represent.indexed import Index
from layerwise.represent.lexical import TermCounts
from layerwise.represent.stacked import runs, stack
from layerwise.represent.worker import WORKER_FROM, Worker

if TYPE_CHECKING:
    from layerwise.library import Library

VERSION = 4
MAX_CHUNKS = 16  # chunks before the appended ones are joined into one (the first, the largest, stays)
REFIT_GROWTH = 0.2  # refit tf-idf's vocabulary and idf once the library changed size by a fifth
REPORT_EVERY = 4096  # items read between two words on progress
OVERLAY_SHARE = 0.05  # changed items are kept beside the rows they replace up to this share of rows, then rewritten


def load_index(library: Library, progress: Callable[[int], None] | None = None, early: Early | None = None) -> Index:
    """The index, brought up to date: embeddings are computed only for items added or changed since it was
    written (each item is embedded once), tf-idf rows likewise with the fitted vocabulary. `progress` hears
    how many items have been embedded so far; `early` holds the vectors an import had embedded as it went."""
    config = library.home.config()
    model_key = str(config.get("embedding_model") or "default")
    folder = library.home.path / "index"
    count, changed = changes.state(library)
    cached = _CACHE.get(str(folder))
    if cached and cached[0] == (count, changed, model_key):
        return cached[1]
    known = cached[1] if cached and cached[0][2] == model_key else None
    if early is not None and early.model != config.get("embedding_model"):
        early = None  # embedded with another model
    index = _load_current(library, config, model_key, folder, count, changed, progress, known, early)
    _CACHE[str(folder)] = ((count, changed, model_key), index)  # the state read before: a later change is seen
    return index


# One loaded index per home in this process: `similar` and `week` then cost a few matrix products, not a
# reload of a hundred megabytes.
_CACHE: dict[str, tuple[tuple[int, str, str], Index]] = {}


def _load_current(library: Library, config: dict[str, Any], model_key: str, folder: Path, count: int,
                  changed: str, progress: Callable[[int], None] | None = None, known: Index | None = None,
                  early: Early | None = None) -> Index:
    def encoder() -> Encoder:
        chosen = embeddings.encoder_for(config)
        return Reporting(chosen, progress) if progress else chosen

    meta = chunks.read_meta(folder)
    if meta.get("version") != VERSION or meta.get("model") != model_key:
        return _build(library, encoder(), model_key, folder, progress=progress, early=early)
    if known is not None and known.serial and known.serial == meta.get("serial"):
        index = known  # this process holds what the files hold: no need to read them again
    else:
        try:
            index = _read(folder, meta)
        except (OSError, ValueError):
            return _build(library, encoder(), model_key, folder, progress=progress, early=early)  # damaged: rebuilt
    if meta.get("items") == count and meta.get("changed") == changed:
        return index
    fitted = max(int(meta.get("fitted_items", 1)), 1)
    if abs(count - fitted) / fitted > REFIT_GROWTH:
        return _build(library, encoder(), model_key, folder, reuse=index, early=early)
    return _update(library, index, encoder(), model_key, folder, meta, early)


def pending(library: Library) -> int:
    """About how many items the next use of the index will embed (0 when it is current): cheap to ask, so
    an interface can decide to do the work in the background."""
    folder = library.home.path / "index"
    cached = _CACHE.get(str(folder))
    count, changed = changes.state(library)
    model_key = str(library.home.config().get("embedding_model") or "default")
    if cached and cached[0] == (count, changed, model_key):
        return 0
    meta = chunks.read_meta(folder)
    if meta.get("version") != VERSION or meta.get("model") != model_key:
        return count
    if meta.get("items") == count and meta.get("changed") == changed:
        return 0
    return max(abs(count - int(meta.get("items", 0))), 1)


def _update(library: Library, index: Index, encoder: Encoder, model_key: str, folder: Path, meta: dict[str, Any],
            early: Early | None = None) -> Index:
    """Embed what was added or changed since the index was written. New items (the usual sync) are appended as a
    chunk, and changed ones written to an overlay beside the rows they replace, their embeddings over the old
    ones. Removed items, or an overlay past a share of the index, rewrite it whole (embedding nothing again)."""
    from scipy import sparse

    count, changed = changes.state(library)  # read before the rows: what commits meanwhile is read again next time
    fresh = changes.rows_since(library, index.ids, meta.get("changed", ""))
    fresh_ids = np.array([r[0] for r in fresh], dtype=np.int64)
    gone = np.zeros(len(index.ids), dtype=bool)
    if len(index.ids) + int((~np.isin(fresh_ids, index.ids)).sum()) != changes.state(library)[0]:
        current = changes.all_ids(library)  # something was removed or is missing: only then list every id
        gone = ~np.isin(index.ids, current)
        fresh += changes.rows_by_id(library, sorted(set(current.tolist()) - set(index.ids.tolist())
                                                    - set(fresh_ids.tolist())))
    texts = [item_text(r[1], r[2]) for r in fresh]
    new_ids = np.array([r[0] for r in fresh], dtype=np.int64)
    new_tfidf = index.vectorize(texts)
    new_dense = np.zeros((len(texts), index.dense.shape[1]), dtype=np.float32)
    todo = early.take(new_ids, digests(texts), new_dense) if early is not None else np.arange(len(texts))
    if len(todo):
        new_dense[todo] = embed_items(library.store, encoder, new_ids[todo], [texts[n] for n in todo], changed)
    held = np.flatnonzero(np.isin(new_ids, index.ids))  # changed items, rows of `new_*`
    replaced = index.rows(new_ids[held].tolist()) if len(held) else np.zeros(0, dtype=np.int64)
    overlaid = np.unique(np.concatenate([index.tfidf.replaced, replaced]))
    if gone.any() or len(overlaid) > OVERLAY_SHARE * len(index.ids):  # written from the rows kept, run by run
        rows = np.flatnonzero(~gone & ~np.isin(index.ids, new_ids))
        return _save(folder, {**meta, "items": count, "changed": changed}, np.concatenate([index.ids[rows], new_ids]),
                     index.tfidf.rewrite(rows, new_tfidf), [index.dense[a:b] for a, b in runs(rows)] + [new_dense],
                     index)
    older = overlay = meta.get("overlay")
    newer_rows = (index.tfidf.overlay, index.tfidf.replaced)  # the overlay held, unless changed items rewrite it
    if len(held):
        chunks.write_dense_rows(folder, meta, replaced, new_dense[held])
        old = index.tfidf
        still = np.flatnonzero(~np.isin(old.replaced, replaced))
        rows = np.concatenate([old.replaced[still], replaced])
        order = np.argsort(rows)
        newer = [old.overlay.take(still).scipy()] if old.overlay is not None else []
        overlay = f"o-{uuid.uuid4().hex[:8]}"
        chunks.write_chunk(folder / overlay, rows[order], sparse.vstack([*newer, new_tfidf[held]]).tocsr()[order])
        newer_rows = (chunks.read_rows(folder / overlay), rows[order])  # as written: memory-mapped, with postings
    added = np.flatnonzero(~np.isin(new_ids, index.ids))
    new_ids, new_tfidf, new_dense = new_ids[added], new_tfidf[added], new_dense[added]
    names, sizes = list(meta["chunks"]), list(meta["sizes"])
    parts: list[Any] = list(index.tfidf.chunks)
    counts, merged = {k: meta[k] for k in ("rows", "capacity", "dim")}, []
    if len(new_ids):
        tail_ids, tail = new_ids, new_tfidf
        if len(names) >= MAX_CHUNKS:  # the appended chunks become one; the first (the fitted library) stays as it is
            merged, first = names[1:], sizes[0]
            tail_ids = np.concatenate([index.ids[first:], new_ids])
            tail = sparse.vstack([index.tfidf[np.arange(first, len(index.ids))], new_tfidf]).tocsr()
            head = parts[0] if parts[0].rows == first else index.tfidf[np.arange(first)]
            names, sizes, parts = names[:1], sizes[:1], [head]
        names.append(f"c{len(names)}-{uuid.uuid4().hex[:8]}")  # unique: two processes never write one chunk
        sizes.append(len(tail_ids))
        chunks.write_chunk(folder / names[-1], tail_ids, tail)
        counts = chunks.append_dense(folder, meta, new_dense)
        parts.append(chunks.read_rows(folder / names[-1]))  # as written: memory-mapped, with its postings
    meta = {**meta, "items": count, "changed": changed, "chunks": names, "sizes": sizes, **counts, "overlay": overlay,
            "serial": uuid.uuid4().hex}
    chunks.write_meta(folder, meta)
    for name in [*merged, *([older] if older and older != overlay else [])]:  # no longer listed: a crash before
        shutil.rmtree(folder / name, ignore_errors=True)  # this leaves only unused folders behind
    return Index(ids=np.concatenate([index.ids, new_ids]), tfidf=stack(parts, *newer_rows),
                 dense=chunks.dense_view(folder, meta), vocabulary_source=index.vocabulary_source, idf=index.idf,
                 serial=meta["serial"], _vectorizer=index._vectorizer)


def _build(library: Library, encoder: Encoder, model_key: str, folder: Path, reuse: Index | None = None,
           progress: Callable[[int], None] | None = None, early: Early | None = None) -> Index:
    """Fit tf-idf on the whole library; embed every item, reusing vectors of an older index when the
    model is the same (a refit must not re-embed what has not changed) or those an import embedded `early`,
    else in a worker during the fit."""
    count, changed = changes.state(library)
    reusing = reuse is not None and len(reuse.ids)
    old_changed = str(json.loads((folder / "meta.json").read_text()).get("changed", "")) if reusing else ""
    item_ids: list[int] = []
    digested = bytearray()  # each text's digest, to match the vectors embedded early
    unchanged: set[int] = set()
    width = reuse.dense.shape[1] if reuse is not None else encoder.encode([]).shape[1]
    scratch, worker, helper = folder.with_name(f"index.embeddings.{os.getpid()}.tmp"), None, None

    def texts(rows: Iterable[tuple[int, str, str | None, str]]) -> Iterator[str]:
        for item_id, title, abstract, stamp in rows:
            item_ids.append(item_id)
            if reusing and stamp <= old_changed:
                unchanged.add(item_id)
            if not len(item_ids) % REPORT_EVERY:
                if worker is not None:
                    worker.report(progress)
                elif early is not None and isinstance(encoder, Reporting):  # the vectors are there: reading is the work
                    encoder.read(len(item_ids))
            text = item_text(title, abstract)
            if early is not None:
                digested.extend(digest(text))
            yield text

    try:
        if reuse is None and count >= WORKER_FROM and (early is None or count - early.sent >= WORKER_FROM):
            listed = changes.all_ids(library)
            dense = chunks.scratch_dense(scratch, len(listed), width)
            try:
                worker = Worker(library.database_url, library.home.config().get("embedding_model"), listed,
                                scratch, width, changed)
            except OSError:  # no interpreter to start (an embedded Python): the build embeds itself
                worker = None
        if reuse is None and worker is None and count >= COUNT_FROM:  # the second core is free: it counts half
            listed, counted = changes.all_ids(library), folder.with_name(f"index.counts.{os.getpid()}.tmp")
            with suppress(OSError):  # no interpreter to start: the build counts every text itself
                helper = Counting(library.database_url, int(listed[len(listed) // 2]), counted)
        # the texts stream from the database into the fit and are read again, a batch at a time, to be
        # embedded: never all in memory (1.6 GB at a million items)
        counts = TermCounts()
        with library.store.reading() as conn:
            counts.count(texts(library.store.item_texts(conn, upto=helper.after if helper else None)) if count else ["empty"])
            if helper is not None and not helper.add_to(counts, item_ids, digested):  # it failed: counted here
                counts.count(texts(library.store.item_texts(conn, after=helper.after)))
            if early is not None and isinstance(encoder, Reporting):
                encoder.read(len(item_ids))
        tfidf, vocabulary, idf = counts.tfidf()
        ids = np.array(item_ids or [0], dtype=np.int64)  # id 0: the empty library's stand-in
        bare = encoder.encoder if isinstance(encoder, Reporting) else encoder  # the worker counts what it embeds
        if worker is None or not np.array_equal(ids, listed) or not worker.help(
                lambda rows: embed_rows(library.store, bare, ids, rows, changed, dense), progress):
            if worker is not None:  # it failed, or the library changed since it began: embedded here instead
                worker.stop()
            old_rows = {int(i): n for n, i in enumerate(reuse.ids) if int(i) in unchanged} if reuse is not None else {}
            todo = np.array([n for n, i in enumerate(ids.tolist()) if i not in old_rows], dtype=np.int64)
            dense = chunks.scratch_dense(scratch, len(ids), width)
            if early is not None and count:
                todo = early.take(ids, np.frombuffer(digested, dtype="<u8"), dense, todo)
                if isinstance(encoder, Reporting):
                    encoder.skip(len(ids) - len(old_rows) - len(todo))
            embed_rows(library.store, encoder, ids, todo, changed, dense)
            if reuse is not None and old_rows:  # what an older index holds already is copied, not computed again
                position = {i: n for n, i in enumerate(ids.tolist())}
                dense[[position[i] for i in old_rows]] = reuse.dense[list(old_rows.values())]
        fitted = Index(ids=ids, tfidf=stack([tfidf]), dense=dense, vocabulary_source=vocabulary,
                       idf=idf.astype(np.float64))
        return _save(folder, {"version": VERSION, "model": model_key, "items": count, "changed": changed,
                              "fitted_items": count}, ids, tfidf, [dense], fitted)
    finally:
        if worker is not None:
            worker.stop()
        if helper is not None:
            helper.stop()
        scratch.unlink(missing_ok=True)


def _read(folder: Path, meta: dict[str, Any]) -> Index:
    ids, tfidf, dense, vocabulary, idf = chunks.read(folder, meta)
    return Index(ids=ids, tfidf=tfidf, dense=dense, vocabulary_source=vocabulary, idf=idf, serial=str(meta.get("serial", "")))


def _save(folder: Path, meta: dict[str, Any], ids: np.ndarray, tfidf: Any, dense: list[np.ndarray], like: Index) -> Index:
    """Write an index whole (`like` gives its vocabulary and idf), and use it as written: memory-mapped (the
    arrays built in memory, gigabytes at a million items, are let go) and with its postings."""
    chunks.write_whole(folder, ids, tfidf, dense, like.vocabulary_source, like.idf, meta)
    written = _read(folder, chunks.read_meta(folder))
    if isinstance(like.vocabulary_source, dict):  # read already: not again
        written.vocabulary_source = like.vocabulary_source
    written._vectorizer = like._vectorizer
    return written


def index_problem(library: Library) -> str | None:
    """What is wrong with the representations kept in the home, or None. Out of date is not wrong (they are
    brought up to date on use); unreadable or out of step with the database is."""
    folder = library.home.path / "index"
    if not folder.exists():
        return None
    meta = chunks.read_meta(folder)
    if meta.get("version") != VERSION:
        return None  # written by another version: rebuilt on use, not damaged
    try:
        index = _read(folder, meta)
    except (OSError, ValueError) as exc:
        return f"unreadable ({type(exc).__name__}: {exc})"
    count, changed = changes.state(library)
    if meta.get("items") == count and meta.get("changed") == changed and len(index.ids) != max(count, 1):
        return f"says it is current, but holds {len(index.ids)} items of {count}"
    return None


def drop_index(library: Library) -> bool:
    """Forget the representations kept in the home (they are computed again on next use)."""
    _CACHE.pop(str(library.home.path / "index"), None)
    folder = library.home.path / "index"
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True
