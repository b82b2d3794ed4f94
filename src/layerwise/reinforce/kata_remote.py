"""The checker's side of a kata's user code: the process that runs it (kata_host.py, under caps on memory and
output) and `Remote`, which stands for the module and its objects here, asking over a pair of pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from layerwise.reinforce.kata_wire import MEMORY_CAP, OUTPUT_CAP, decode, encode, rebuild


class HostGone(Exception):
    """The process running the user's code ended in the middle of a check."""


class Host:
    """The process that runs the user's code (kata_host.py), under caps on memory and output, and the pipes
    the checker asks it over."""

    def __init__(self, path: str, output: str) -> None:
        host_reads, checker_writes = os.pipe()
        checker_reads, host_writes = os.pipe()
        with open(output, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "layerwise.reinforce.kata_host", path,
                                          str(host_reads), str(host_writes)],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         pass_fds=(host_reads, host_writes), preexec_fn=_limits)
        os.close(host_reads)
        os.close(host_writes)
        self.requests = os.fdopen(checker_writes, "w")
        self.answers = os.fdopen(checker_reads, "r")
        self.proxies: dict[int, Remote] = {}

    def receive(self) -> dict[str, Any]:
        line = self.answers.readline()
        if not line:
            code = self.proc.wait()
            why = " (over the 4 MB output cap)" if code in (-25, 153) else ""
            raise HostGone(f"your code ended the check itself: exit code {code}{why}")
        message: dict[str, Any] = json.loads(line)
        return message

    def ask(self, op: str, target: int | None, name: str | None, args: tuple[Any, ...] = (),
            kwargs: dict[str, Any] | None = None) -> Any:
        request = {"op": op, "target": target, "name": name, "args": _outgoing(list(args)),
                   "kwargs": _outgoing(kwargs or {})}
        try:
            self.requests.write(json.dumps(request) + "\n")
            self.requests.flush()
        except BrokenPipeError:
            raise HostGone(f"your code ended the check itself: exit code {self.proc.wait()}") from None
        answer = self.receive()
        if "error" in answer:
            raise rebuild(answer["error"])
        return decode(answer["value"], self.proxy)

    def proxy(self, ref: int) -> Remote:
        return self.proxies.setdefault(ref, Remote(self, ref))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def _outgoing(value: Any) -> Any:
    """Arguments for the user's code: its own objects go back as references, everything else as plain data."""
    if isinstance(value, Remote):
        return {"__ref__": value._ref}
    if isinstance(value, (list, tuple)):
        return {"__tuple__" if isinstance(value, tuple) else "__list__": [_outgoing(v) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": {k: _outgoing(v) for k, v in value.items()}}
    keep: dict[int, Any] = {}
    plain = encode(value, keep)
    if keep:
        raise TypeError(f"a checker cannot send a {type(value).__name__} to the user's code")
    return plain


class Remote:
    """An object of the user's code, living in the host process: attributes, calls and arithmetic are asked
    for over the pipe."""

    def __init__(self, host: Host, ref: int | None) -> None:
        object.__setattr__(self, "_host", host)
        object.__setattr__(self, "_ref", ref)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._host.ask("getattr", self._ref, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._host.ask("call", self._ref, None, args, kwargs)

    def _op(self, name: str, *args: Any) -> Any:
        return self._host.ask("call", self._ref, name, args)

    def __add__(self, other: Any) -> Any: return self._op("__add__", other)
    def __radd__(self, other: Any) -> Any: return self._op("__radd__", other)
    def __sub__(self, other: Any) -> Any: return self._op("__sub__", other)
    def __rsub__(self, other: Any) -> Any: return self._op("__rsub__", other)
    def __mul__(self, other: Any) -> Any: return self._op("__mul__", other)
    def __rmul__(self, other: Any) -> Any: return self._op("__rmul__", other)
    def __truediv__(self, other: Any) -> Any: return self._op("__truediv__", other)
    def __rtruediv__(self, other: Any) -> Any: return self._op("__rtruediv__", other)
    def __pow__(self, other: Any) -> Any: return self._op("__pow__", other)
    def __neg__(self) -> Any: return self._op("__neg__")
    def __float__(self) -> float: return float(self._op("__float__"))


def _limits() -> None:
    """In the process that runs the user's code: caps on what it can write (prints included) and on memory."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_CAP, OUTPUT_CAP))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
