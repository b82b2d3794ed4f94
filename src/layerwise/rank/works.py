"""One copy of each work: two items of one work (a preprint and its proceedings version, a workshop paper and
its conference paper, that dedupe kept apart) are never both shown by the plan, the inbox or `similar`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layerwise.represent.indexed import Index

SAME_WORK = 0.95  # embeddings this close (or one title key) are two copies of one work

Describe = Callable[[Sequence[int]], dict[int, tuple[str, str | None]]]  # item id -> (title, title key)


def work_keys(index: Index, describe: Describe, rows: Sequence[int]) -> dict[int, str | None]:
    """The title key of each row: two rows sharing one are copies of one work."""
    described = describe([int(index.ids[r]) for r in rows])
    return {r: described.get(int(index.ids[r]), ("", None))[1] for r in rows}


def one_copy(index: Index, describe: Describe, rows: Sequence[int], shown: Sequence[int] = ()) -> list[int]:
    """The rows in order, leaving out any that is another copy of a work listed before it (or in `shown`)."""
    keys = work_keys(index, describe, list(rows) + list(shown))
    seen_keys = {keys[r] for r in shown} - {None}
    kept: list[int] = list(shown)
    out: list[int] = []
    for row in rows:
        if keys[row] in seen_keys:
            continue
        if kept and float((index.dense[kept] @ index.dense[row]).max()) >= SAME_WORK:
            continue
        out.append(row)
        kept.append(row)
        if keys[row]:
            seen_keys.add(keys[row])
    return out
