"""A first build's embeddings computed in a worker process while this one fits tf-idf: each is one core's work
(~20 s apiece at 170k items), and a laptop has at least two.

The worker is a fresh interpreter (`python -m layerwise.represent.worker`: it inherits no connection, lock or
thread, and never runs the caller's main module) that reads the texts itself and writes into the build's
scratch file. Its orders come on its standard input (the database address never shows in a process list) and
its progress goes out on its standard output. Whatever happens to it (an error, a kill, a library changed
under it), the build checks and embeds in its own process instead: the worker can make a build faster, never
wrong. It stops itself when the process it works for is gone.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from layerwise.represent.dense import load_encoder
from layerwise.represent.embedded import Reporting, embed_rows
from layerwise.store import Store

WORKER_FROM = 20_000  # items to embed from which a worker is worth its start (~1 s of imports)


class Worker:
    """Embeds every item of `ids` into rows of the float32 file `scratch` (made by the caller)."""

    def __init__(self, database_url: str, model: str | None, ids: np.ndarray, scratch: Path, width: int,
                 stamp: str) -> None:
        import subprocess  # here: `similar` and `week` load this module but never start a worker (3 ms)

        orders = {"database_url": database_url, "model": model, "items": len(ids), "scratch": str(scratch),
                  "width": width, "stamp": stamp, "parent": os.getpid()}
        self.done, self.items = 0, len(ids)
        self.process = subprocess.Popen([sys.executable, "-m", "layerwise.represent.worker"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # a thread hands the orders over (the worker reads them once its imports are done) and hears its progress
        self.listener = threading.Thread(target=self._talk, daemon=True,
                                         args=(json.dumps(orders).encode() + b"\n" + ids.astype(np.int64).tobytes(),))
        self.listener.start()

    def _talk(self, orders: bytes) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(orders)
            self.process.stdin.close()
        except OSError:  # it died at once: `finish` says so
            return
        for line in self.process.stdout:  # until the worker ends
            if line.strip().isdigit():
                self.done = int(line)

    def report(self, progress: Callable[[int], None] | None) -> None:
        """Tells `progress` how many items the worker has embedded (the last count it wrote)."""
        if progress is not None:
            progress(self.done)

    def finish(self, progress: Callable[[int], None] | None) -> bool:
        """Waits for the worker, telling `progress` how far it got; whether it embedded every item."""
        while self.listener.is_alive():  # it hears the worker's output until the worker ends
            self.listener.join(0.25)
            self.report(progress)
        self.process.wait()
        if self.process.returncode == 0:  # all done (vectors another machine computed were not counted)
            self.done = self.items
            if progress is not None:
                progress(self.done)
        return self.process.returncode == 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()
        self.listener.join(1)  # it reads to the end of the output, then the pipe can be closed
        if self.process.stdout is not None and not self.listener.is_alive():
            self.process.stdout.close()


def main() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the worker and cleans up
    orders = json.loads(sys.stdin.buffer.readline())
    ids = np.frombuffer(sys.stdin.buffer.read(), dtype=np.int64)
    if len(ids) != orders["items"]:
        raise SystemExit(1)

    def heard(count: int) -> None:
        if os.getppid() != orders["parent"]:  # orphaned (the build was killed): nobody will read what comes next
            raise SystemExit(1)
        sys.stdout.write(f"{count}\n")
        sys.stdout.flush()

    out = np.memmap(orders["scratch"], dtype=np.float32, mode="r+", shape=(max(len(ids), 1), orders["width"]))
    encoder = Reporting(load_encoder(orders["model"]), heard)
    embed_rows(Store(orders["database_url"]), encoder, ids, np.arange(len(ids)), orders["stamp"], out[:len(ids)])
    out.flush()


if __name__ == "__main__":
    main()
