"""A first build's embeddings computed in a worker process while this one fits tf-idf: each is one core's work
(~20 s apiece at 170k items), and a laptop has at least two. The fit done, the build embeds too, from the other
end of the list, until the two meet.

The worker is a fresh interpreter (`python -m layerwise.represent.worker`: it inherits no connection, lock or
thread, and never runs the caller's main module) that reads the texts itself and writes into the build's
scratch file. Its orders come on its standard input (the database address never shows in a process list), then
the share of items to embed next each time it asks for one on its standard output, where its progress goes
too. Whatever happens to it (an error, a kill, a library changed under it), the build checks and embeds in its
own process instead: the worker can make a build faster, never wrong. It stops itself when the process it works
for is gone."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import numpy as np

from layerwise.represent.dense import load_encoder
from layerwise.represent.embedded import embed_rows
from layerwise.store import Store

WORKER_FROM = 20_000  # items to embed from which a worker is worth its start (~1 s of imports)
SHARE = 2048  # items taken at a time from the list (a worker asks for its next share with one line)


class Worker:
    """Embeds items of `ids` into rows of the float32 file `scratch` (made by the caller), taking them a share at a
    time from the front of the list; the build, its fit done, takes shares from the back (`help`) until the two
    meet, so both cores work to the end and no item is embedded twice."""

    def __init__(self, database_url: str, model: str | None, ids: np.ndarray, scratch: Path, width: int,
                 stamp: str) -> None:
        import subprocess  # here: `similar` and `week` load this module but never start a worker (3 ms)

        orders = {"database_url": database_url, "model": model, "items": len(ids), "scratch": str(scratch),
                  "width": width, "stamp": stamp, "parent": os.getpid()}
        self.done, self.helped, self.items = 0, 0, len(ids)
        self.front, self.back, self.lock = 0, len(ids), threading.Lock()  # what is left to take: [front, back)
        self.process = subprocess.Popen([sys.executable, "-m", "layerwise.represent.worker"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # a thread hands the orders over (the worker reads them once its imports are done), answers its asks for
        # a share, and hears its progress
        self.listener = threading.Thread(target=self._talk, daemon=True,
                                         args=(json.dumps(orders).encode() + b"\n" + ids.astype(np.int64).tobytes(),))
        self.listener.start()

    def take(self, from_back: bool = False) -> range | None:
        """The next share of rows to embed, from the front (the worker's) or the back (the build's); None when
        nothing is left."""
        with self.lock:
            if self.front >= self.back:
                return None
            if from_back:
                share, self.back = range(max(self.front, self.back - SHARE), self.back), max(self.front, self.back - SHARE)
            else:
                share, self.front = range(self.front, min(self.back, self.front + SHARE)), min(self.back, self.front + SHARE)
            return share

    def _talk(self, orders: bytes) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(orders)
            self.process.stdin.flush()
            for line in self.process.stdout:  # until the worker ends
                if line.strip() == b"next":
                    share = self.take()
                    self.process.stdin.write(f"{share.start} {share.stop}\n".encode() if share else b"\n")
                    self.process.stdin.flush()
                elif line.strip().isdigit():
                    self.done = int(line)
        except OSError:  # it died: `finish` says so
            return

    def report(self, progress: Callable[[int], None] | None) -> None:
        """Tells `progress` how many items are embedded (the worker's last count and the build's)."""
        if progress is not None:
            progress(self.done + self.helped)

    def help(self, embed: Callable[[np.ndarray], None], progress: Callable[[int], None] | None) -> bool:
        """Embeds shares from the back with `embed` (rows) until none is left, then waits for the worker;
        whether every item was embedded."""
        while (share := self.take(from_back=True)) is not None:
            embed(np.arange(share.start, share.stop))
            self.helped += len(share)
            self.report(progress)
        return self.finish(progress)

    def finish(self, progress: Callable[[int], None] | None) -> bool:
        """Waits for the worker, telling `progress` how far it got; whether it embedded every item."""
        while self.listener.is_alive():  # it hears the worker's output until the worker ends
            self.listener.join(0.25)
            self.report(progress)
        self.process.wait()
        if self.process.returncode == 0:  # all done (vectors another machine computed were not counted)
            self.done = self.items - self.helped
            self.report(progress)
        return self.process.returncode == 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()
        self.listener.join(1)  # it reads to the end of the output, then the pipes can be closed
        if not self.listener.is_alive():
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    with suppress(OSError):
                        pipe.close()


def main() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the worker and cleans up
    orders = json.loads(sys.stdin.buffer.readline())
    ids = np.frombuffer(sys.stdin.buffer.read(8 * orders["items"]), dtype=np.int64)
    if len(ids) != orders["items"]:
        raise SystemExit(1)

    def say(line: str) -> None:
        if os.getppid() != orders["parent"]:  # orphaned (the build was killed): nobody will read what comes next
            raise SystemExit(1)
        sys.stdout.write(f"{line}\n")
        sys.stdout.flush()

    out = np.memmap(orders["scratch"], dtype=np.float32, mode="r+", shape=(max(len(ids), 1), orders["width"]))
    encoder, store, done = load_encoder(orders["model"]), Store(orders["database_url"]), 0
    while True:
        say("next")
        share = sys.stdin.buffer.readline().split()
        if not share:  # nothing left (or the build is gone)
            break
        rows = np.arange(int(share[0]), int(share[1]))
        embed_rows(store, encoder, ids, rows, orders["stamp"], out[:len(ids)])
        done += len(rows)
        say(str(done))
    out.flush()


if __name__ == "__main__":
    main()
