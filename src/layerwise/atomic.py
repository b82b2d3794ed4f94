"""Files that appear complete or not at all: written beside the target, then renamed over it, so a full disk
or Ctrl-C never leaves half a file where a good one was."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any


@contextmanager
def atomic_file(path: str, binary: bool = False) -> Iterator[IO[Any]]:
    """A file that appears complete or not at all: written beside the target, then renamed over it."""
    tmp = path + ".part"
    try:
        with open(tmp, "wb") if binary else open(tmp, "w", encoding="utf-8", newline="\n") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_atomically(path: str, data: bytes) -> None:
    with atomic_file(path, binary=True) as f:
        f.write(data)
