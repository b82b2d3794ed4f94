"""Embeddings computed while an import stores its items, so that the index build after it has only tf-idf to fit.

An import is one core's Python work, and the second core (building the full-text index beside it) has time
left over. `Early` is called with each batch the import stores and hands the batch's texts to a worker process
(`python -m layerwise.represent.early`), which embeds them as they come and writes each as a record (id, a
digest of the text, vector) to a scratch file. The build takes a vector from there only where the text it
reads from the database has the same digest: an import rolled back, an item merged into again later, a batch
never sent, a worker that died, all fall back to the build's own embedding. The worker can make a build
faster, never wrong.

Sending never makes the import wait: batches go to the worker from a thread through a bounded queue, and a
batch that finds the queue full is left to the build. The worker ends when the queue does, then says how many
records it wrote and how wide they are.
"""

from __future__ import annotations

import json
import mmap
import os
import sys
import threading
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from layerwise.represent.chunks import clear_stale_scratch
from layerwise.represent.dense import load_encoder
from layerwise.represent.embedded import item_text

if TYPE_CHECKING:
    import queue

    from layerwise.records import Item

START_FROM = 4000  # items stored before a worker is started: below that the build embeds them in a second
BLOCK = 65536  # vectors copied at a time into the build's
QUEUE = 32  # batches waiting for the worker (~2,000 texts, a few MB, each); one past that is left to the build


def digest(text: str) -> bytes:
    """Eight bytes that tell one text from another (blake2b): how an early vector is matched to its item's text."""
    from hashlib import blake2b  # here: `similar` and `week` import this module, never hash (5 ms of OpenSSL)

    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def digests(texts: Sequence[str]) -> np.ndarray:
    return np.frombuffer(b"".join(map(digest, texts)), dtype="<u8")


def record_type(width: int) -> np.dtype:
    return np.dtype([("id", "<i8"), ("digest", "<u8"), ("vector", "<f4", (width,))])


@dataclass
class EarlyVectors:
    """What the worker embedded: for each item the last text it was sent (sorted by id), and its vector."""

    ids: np.ndarray
    digests: np.ndarray  # uint64, one per id
    rows: np.ndarray  # each id's record
    path: Path  # the records
    width: int
    count: int

    def lookup(self, ids: np.ndarray, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions in `ids` whose text (`digests`, one per id) was embedded early, and their records."""
        if not len(self.ids) or not len(ids):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        at = np.searchsorted(self.ids, ids).clip(0, len(self.ids) - 1)
        found = np.flatnonzero((self.ids[at] == ids) & (self.digests[at] == digests))
        return found, self.rows[at[found]]


def _records(ids: np.ndarray, texts: list[str], vectors: np.ndarray) -> np.ndarray:
    records = np.empty(len(ids), dtype=record_type(vectors.shape[1]))
    records["id"], records["digest"], records["vector"] = ids, digests(texts), vectors
    return records


class Early:
    """Called with each batch of items an import stores (`ingest`'s `on_stored`); `vectors()` once the imports
    are done. A worker is started once START_FROM items have come; `stop()` always, last."""

    def __init__(self, model: str | None, home: Path) -> None:
        import queue  # here: `similar` and `week` import this module, never start a worker

        self.model, self.home = model, home
        self.scratch = home / f"index.early.{os.getpid()}.tmp"
        self.waiting: list[tuple[np.ndarray, list[str]]] = []  # batches held until a worker is worth starting
        self.held, self.sent, self.shared, self.failed = 0, 0, 0, False  # shared: embedded here, not by the worker
        self.process: Any = None
        self.queue: queue.Queue[tuple[np.ndarray, list[str]] | None] = queue.Queue(QUEUE)
        self.sender: threading.Thread | None = None
        self.result: EarlyVectors | bool | None = None  # once the worker is done: its vectors, or False

    def __call__(self, items: Sequence[Item]) -> None:
        if self.failed or not items:
            return
        batch = (np.fromiter((i.id for i in items), dtype=np.int64, count=len(items)),
                 [item_text(i.title, i.abstract) for i in items])
        if self.process is None:
            self.waiting.append(batch)
            self.held += len(items)
            if self.held < START_FROM or not self._start():
                return
            batches, self.waiting = self.waiting, []
        else:
            batches = [batch]
        for ids, texts in batches:
            if not self.queue.full():  # (only this thread puts) else the worker is behind: the build embeds these
                self.queue.put_nowait((ids, texts))
                self.sent += len(ids)

    def _start(self) -> bool:
        import subprocess  # here: most commands never start a worker

        clear_stale_scratch(self.home)
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "layerwise.represent.early"], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:  # no interpreter to start (an embedded Python): the build embeds everything
            self.failed, self.waiting = True, []
            return False
        orders = {"model": self.model, "scratch": str(self.scratch)}
        self.sender = threading.Thread(target=self._send, args=(json.dumps(orders).encode() + b"\n",), daemon=True)
        self.sender.start()
        return True

    def _send(self, orders: bytes) -> None:
        pipe, broken = self.process.stdin, False
        try:
            pipe.write(orders)
        except OSError:
            broken = True
        while (batch := self.queue.get()) is not None:  # emptied to the end, so that a put never waits
            if broken:
                continue
            ids, texts = batch
            lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))  # in characters
            blob = "".join(texts).encode("utf-8", "surrogatepass")
            try:
                pipe.write(f"{len(ids)} {len(blob)}\n".encode() + ids.tobytes() + lengths.tobytes() + blob)
            except OSError:  # the worker died: what it wrote is still checked and used
                broken = True
        try:
            pipe.close()  # the worker's end of input
        except OSError:
            pass

    def take(self, ids: np.ndarray, digests: np.ndarray, out: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Fills those of the `rows` of `out` (one per id in `ids`, whose texts have `digests`; all rows by default)
        whose text was embedded early, once the worker is done; the rows left to embed."""
        rows = np.arange(len(ids)) if rows is None else rows
        if self.result is None:
            self.result = self.vectors() or False
        if not isinstance(self.result, EarlyVectors) or self.result.width != out.shape[1] or not len(rows):
            return rows
        found, records = self.result.lookup(ids[rows], digests[rows])
        early = self.result
        with open(early.path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            vectors = np.frombuffer(mapped, dtype=record_type(early.width), count=early.count)["vector"]
            for start in range(0, len(found), BLOCK):  # a block at a time: no copy of them all (a GB at a million)
                out[rows[found[start:start + BLOCK]]] = vectors[records[start:start + BLOCK]]
                if hasattr(mmap, "MADV_DONTNEED"):  # the pages read leave this process (the file's 1 GB at a
                    mapped.madvise(mmap.MADV_DONTNEED)  # million would otherwise count as its memory)
            del vectors  # (the map closes only once no array looks into it)
        return np.delete(rows, found)

    def vectors(self) -> EarlyVectors | None:
        """Waits for the worker to embed what it was sent, embedding here, meanwhile, the batches it has not
        taken yet; None when no worker ran."""
        if self.process is None or self.sender is None:
            return None
        own = self._share()
        self.queue.put(None)
        self.sender.join()
        said = self.process.stdout.read().split()
        width, count = (int(said[0]), int(said[1])) if self.process.wait() == 0 and len(said) == 2 else (0, 0)
        with open(self.scratch, "r+b" if count else "wb") as out:  # a failed worker's records are not read
            out.truncate(count * record_type(width).itemsize)  # (`width` is 0 when it wrote none)
            out.seek(0, 2)
            out.write(own.tobytes())
        if own.size:
            width, count = own.dtype["vector"].shape[0], count + len(own)
        if not count:
            return None
        records = np.memmap(self.scratch, dtype=record_type(width), mode="r", shape=(count,))
        # the last text sent for an id is its latest (a later batch of one import merged into it; should this
        # process have embedded an earlier batch than the worker's, the digests tell, and the build embeds it)
        last = len(records) - 1 - np.unique(records["id"][::-1], return_index=True)[1]
        return EarlyVectors(ids=np.asarray(records["id"][last]), digests=np.asarray(records["digest"][last]),
                            rows=last, path=self.scratch, width=width, count=count)

    def _share(self) -> np.ndarray:
        """The batches still queued for the worker, embedded here while it ends the one it has (the build waits
        for them: two cores are better than one), as records."""
        import queue

        own = []
        while not self.queue.empty():  # only this thread puts; the sender may take the last one first
            try:
                batch = self.queue.get(timeout=0.01)
            except queue.Empty:
                break
            if batch is not None:
                own.append(_records(batch[0], batch[1], load_encoder(self.model).encode(batch[1])))
                self.shared += len(batch[0])
        return np.concatenate(own) if own else np.zeros(0, dtype=record_type(0))

    def stop(self) -> None:
        """Ends the worker if it still runs and removes its file."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
            self.process.wait()
            if not self.queue.full():
                self.queue.put_nowait(None)  # the sender, if still waiting for a batch, ends
            self.process.stdout.close()
        self.scratch.unlink(missing_ok=True)


def main() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the worker and cleans up
    with suppress(OSError, AttributeError):  # (no niceness on Windows)
        os.nice(19)  # the import comes first: this worker uses only the time its cores have left
    source = sys.stdin.buffer
    orders = json.loads(source.readline())
    encoder, written, width = load_encoder(orders["model"]), 0, 0
    with open(orders["scratch"], "wb") as out:
        while header := source.readline():
            count, size = (int(n) for n in header.split())
            ids, lengths = np.frombuffer(source.read(8 * count), dtype=np.int64), np.frombuffer(source.read(8 * count), dtype=np.int64)
            blob = source.read(size)
            if len(ids) != count or len(lengths) != count or len(blob) != size:
                raise SystemExit(1)  # cut short: the parent is gone
            text, ends = blob.decode("utf-8", "surrogatepass"), np.cumsum(lengths).tolist()
            texts = [text[a:b] for a, b in zip([0, *ends[:-1]], ends)]
            records = _records(ids, texts, encoder.encode(texts))
            width = records.dtype["vector"].shape[0]
            out.write(records.tobytes())
            written += count
    sys.stdout.write(f"{width} {written}\n")


if __name__ == "__main__":
    main()
