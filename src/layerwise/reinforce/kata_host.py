"""Runs the user's kata code in a process of its own, with caps on memory and output, and answers the
checker's requests (call this function, read that attribute) over a pair of pipes. The verdict is the
checker's: this process cannot write it, only answer what it is asked."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import traceback
from typing import Any, TextIO

from layerwise.reinforce.kata_wire import decode, encode


def _describe(exc: BaseException, path: str) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if f.filename == path] or frames
    where = [os.path.basename(mine[-1].filename), mine[-1].lineno] if mine else None
    described: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc), "where": where}
    if isinstance(exc, OSError) and exc.errno:
        described["errno"] = exc.errno
    return described


def serve(path: str, requests: TextIO, answers: TextIO) -> None:
    objects: dict[int, Any] = {}

    def send(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    def resolve(ref: int) -> Any:
        return objects[ref]

    try:
        spec = importlib.util.spec_from_file_location("kata", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"{path} is not a Python file")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException as exc:  # whatever the user's file raises on import is theirs to read
        send({"error": _describe(exc, path), "phase": "import"})
        return
    send({"ready": True})
    for line in requests:
        request = json.loads(line)
        try:
            target: Any = module if request["target"] is None else objects[int(request["target"])]
            if request["op"] == "getattr":
                value = getattr(target, request["name"])
            else:
                function = getattr(target, request["name"]) if request.get("name") else target
                value = function(*decode(request["args"], resolve), **decode(request["kwargs"], resolve))
                if value is NotImplemented:
                    raise TypeError(f"unsupported operand for {request.get('name')}")
            send({"value": encode(value, objects)})
        except BaseException as exc:  # the user's error, reported to the checker; this process goes on
            send({"error": _describe(exc, path)})


def main() -> None:
    path, inbound, outbound = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the output cap, a write fails (EFBIG) instead of killing
    sys.setrecursionlimit(10000)
    with os.fdopen(inbound, "r") as requests, os.fdopen(outbound, "w") as answers:
        serve(path, requests, answers)


if __name__ == "__main__":
    main()
