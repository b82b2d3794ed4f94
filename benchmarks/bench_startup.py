"""Start-up: how long everyday commands take in a new process on the demo library (3,000 records), or on
the library in --home (e.g. one with both corpora, 170k items).

    .venv/bin/python benchmarks/bench_startup.py [--runs 15] [--compare OTHER_SRC] [--home DIR]

`--compare` runs the same commands with another checkout's `src` first on the path (for example a worktree of
an earlier commit: `git worktree add /tmp/before HEAD~3`), so a change is measured against what it replaced
in the same run: the two take turns run by run, so a slower minute of the machine falls on both. The baseline
row is the interpreter alone. Modules run from their compiled bytecode, as from an installed package
(PYTHONDONTWRITEBYTECODE, set on some machines, is dropped so the first run writes it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from table import print_table  # benchmarks/table.py: run as a script, this folder is on the path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (["--help"], ["focus", "list"], ["list", "-n", "5"], ["search", "attention", "-n", "5"], ["week"],
            ["similar", "1", "-n", "5"], ["similar", "1", "-n", "5", "--json"])


def walls(cmd: list[str], envs: list[dict[str, str]], runs: int) -> list[list[float]]:
    """Each environment's wall times for `cmd`, the environments taking turns run by run (in alternating order),
    so a slower minute of the machine falls on all of them alike."""
    for env in envs:  # warm: the plan and the index are built once, the bytecode written
        subprocess.run(cmd, capture_output=True, env=env, check=True)
    times: list[list[float]] = [[] for _ in envs]
    for n in range(runs):
        turn = list(enumerate(envs))
        for i, env in turn if n % 2 == 0 else reversed(turn):
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, env=env, check=True)
            times[i].append(time.perf_counter() - start)
    return times


def cell(times: list[float]) -> str:
    return f"{1000 * statistics.median(times):.0f} (min {1000 * min(times):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--compare", type=Path, help="another checkout's src folder, measured in the same run")
    parser.add_argument("--home", type=Path, help="a library to measure on (default: a new demo library)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="layerwise-startup-"))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(LAYERWISE_HOME=str(home), PYTHONPATH=str(ROOT / "src"))
    if not args.home:
        subprocess.run([sys.executable, "-m", "layerwise", "demo"], capture_output=True, env=env, check=True)
    trees = [("this checkout", ROOT / "src")] + ([("--compare", args.compare)] if args.compare else [])
    rows = []
    for command in COMMANDS:
        envs = [{**env, "PYTHONPATH": str(src)} for _, src in trees]
        rows.append(["layerwise " + " ".join(command),
                     *map(cell, walls([sys.executable, "-m", "layerwise", *command], envs, args.runs))])
    baseline = cell(walls([sys.executable, "-c", "pass"], [env], args.runs)[0])
    rows.append(["baseline: python -c pass", *[baseline] * len(trees)])
    print_table(["command (new process)", *[f"{name} (ms)" for name, _ in trees]], rows,
                f"Start-up on {home.name if args.home else 'the demo library'}, median (and fastest) of {args.runs} "
                "runs, the trees taking turns")


if __name__ == "__main__":
    main()
