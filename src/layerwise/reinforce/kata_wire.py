"""What passes between a kata's checker and the process that runs the user's code: one JSON object per line,
never pickle (the checker must not run what the other side sends). Plain values travel as they are, NumPy
arrays as nested lists with their dtype, sets and tuples marked; any other object stays where it was made
and travels as a reference (`{"__ref__": n}`) that the other side calls methods on."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

OUTPUT_CAP = 4 * 1024 * 1024  # bytes the user's code may print or write before it is stopped
MEMORY_CAP = 2 * 1024**3  # address space of the user's code: NumPy alone maps a few hundred MB of it


def encode(value: Any, keep: dict[int, Any]) -> Any:
    """A value as JSON; objects that are not plain data are kept in `keep` and sent as references."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else {"__float__": repr(number)}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, (list, tuple)):
        return {"__tuple__" if isinstance(value, tuple) else "__list__": [encode(v, keep) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"__set__": [encode(v, keep) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v, keep) for k, v in value.items()}}
    keep[id(value)] = value
    return {"__ref__": id(value)}


def decode(data: Any, resolve: Any) -> Any:
    """The value a JSON message holds; `resolve(n)` turns a reference into what stands for it on this side."""
    if not isinstance(data, dict):
        return data
    if "__ref__" in data:
        return resolve(int(data["__ref__"]))
    if "__float__" in data:
        return float(data["__float__"])
    if "__array__" in data:
        return np.asarray(data["__array__"], dtype=np.dtype(str(data["dtype"])))
    if "__list__" in data:
        return [decode(v, resolve) for v in data["__list__"]]
    if "__tuple__" in data:
        return tuple(decode(v, resolve) for v in data["__tuple__"])
    if "__set__" in data:
        return {decode(v, resolve) for v in data["__set__"]}
    if "__dict__" in data:
        return {k: decode(v, resolve) for k, v in data["__dict__"].items()}
    raise ValueError("not a value of the kata wire format")


class RemoteError(Exception):
    """An exception raised by the user's code that has no built-in counterpart on the checker's side."""


def rebuild(error: dict[str, Any]) -> BaseException:
    """The user's exception, as the built-in exception of the same name where there is one (so a checker can
    expect a ValueError), with where it happened in `remote_where`."""
    kind, message = str(error.get("type", "Exception")), str(error.get("message", ""))
    cls = getattr(builtins, kind, None)
    exc: BaseException
    try:
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            raise TypeError(kind)
        exc = cls(int(error["errno"]), message) if error.get("errno") and issubclass(cls, OSError) else cls(message)
    except Exception:  # an exception type whose constructor wants more, or one the user defined
        exc = RemoteError(f"{kind}: {message}")
    exc.remote_type = kind  # type: ignore[attr-defined]
    exc.remote_where = error.get("where")  # type: ignore[attr-defined]
    return exc
