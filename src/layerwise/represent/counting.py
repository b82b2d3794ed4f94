"""Half of a first build's tf-idf counts, counted in a process of its own while the build counts the other half.

Counting the terms of every text is one core's Python work (~15 s at 170k items). When nothing else needs the
second core (an import embedded the items as it stored them: `early.py`), a fresh interpreter (`python -m
layerwise.represent.counting`) reads the texts of the items after a given id itself, counts them with the
same `TermCounts`, and writes its counts, terms, ids and text digests to a scratch file. The build appends
them to its own counts (`TermCounts.extend` numbers the columns as one pass over every text would), so the
index is the one a single process fits. Should the process fail, the build counts that half itself.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from layerwise.represent.early import digest
from layerwise.represent.embedded import item_text
from layerwise.represent.lexical import TermCounts
from layerwise.store import Store

COUNT_FROM = 20_000  # items from which the second half is worth a process (~1 s of its imports)


class Counting:
    """Counts the terms of the items whose id is above `after`, in a process started now."""

    def __init__(self, database_url: str, after: int, scratch: Path) -> None:
        import subprocess  # here: `similar` and `week` load this module but never start a process

        self.scratch, self.after = scratch, after
        self.process = subprocess.Popen([sys.executable, "-m", "layerwise.represent.counting"], stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        orders = {"database_url": database_url, "after": after, "scratch": str(scratch), "parent": os.getpid()}
        assert self.process.stdin is not None
        with suppress(OSError):  # it died at once: `result` says so
            self.process.stdin.write(json.dumps(orders).encode() + b"\n")
            self.process.stdin.close()

    def add_to(self, counts: TermCounts, ids: list[int], digests: bytearray) -> bool:
        """Waits for the process, then appends the rows it counted to `counts`, their ids to `ids` and their
        texts' digests to `digests`; whether it could (else nothing was appended)."""
        if self.process.wait() != 0:
            return False
        try:
            with np.load(self.scratch) as saved:
                terms = bytes(saved["terms"]).decode().split("\n") if len(saved["terms"]) else []
                half = [saved[name] for name in ("ids", "digests", "indptr", "columns", "counts")]
        except (OSError, ValueError, KeyError):
            return False
        counts.extend(terms, *half[2:])
        ids.extend(half[0].tolist())
        digests += half[1].tobytes()
        return True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()
        self.scratch.unlink(missing_ok=True)


def main() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops this process and cleans up
    orders = json.loads(sys.stdin.buffer.readline())
    store, counts, ids, digests = Store(orders["database_url"]), TermCounts(), list[int](), bytearray()

    def texts(conn: Any) -> Iterator[str]:
        for item_id, title, abstract, _ in store.item_texts(conn, after=orders["after"]):
            text = item_text(title, abstract)
            ids.append(item_id)
            digests.extend(digest(text))
            yield text

    with store.reading() as conn:
        counts.count(texts(conn))
    if os.getppid() != orders["parent"]:  # orphaned (the build was killed): nobody will read it
        raise SystemExit(1)
    indptr, columns, counted = counts.arrays()
    with open(orders["scratch"], "wb") as out:
        np.savez(out, terms=np.frombuffer("\n".join(counts.terms()).encode(), dtype=np.uint8),
                 ids=np.array(ids, dtype=np.int64), digests=np.frombuffer(bytes(digests), dtype=np.uint8),
                 indptr=indptr, columns=columns, counts=counted)


if __name__ == "__main__":
    main()
