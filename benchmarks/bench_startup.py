"""Start-up: how long everyday commands take in a new process on the demo library (3,000 records), or on
the library in --home (e.g. one with both corpora, 170k items).

    .venv/bin/python benchmarks/bench_startup.py [--runs 15] [--compare OTHER_SRC] [--home DIR]

`--compare` runs the same commands with another checkout's `src` first on the path (for example a worktree of
an earlier commit: `git worktree add /tmp/before HEAD~3`), so a change is measured against what it replaced
in the same run. The baseline row is the interpreter alone. Modules run from their compiled bytecode, as
from an installed package (PYTHONDONTWRITEBYTECODE, set on some machines, is dropped so the first run writes it).
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


def median_wall(cmd: list[str], env: dict[str, str], runs: int) -> float:
    subprocess.run(cmd, capture_output=True, env=env, check=True)  # warm: the plan and the index are built once
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=True)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


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
        row = ["layerwise " + " ".join(command)]
        for _, src in trees:
            row.append(f"{1000 * median_wall([sys.executable, '-m', 'layerwise', *command], {**env, 'PYTHONPATH': str(src)}, args.runs):.0f}")
        rows.append(row)
    base = f"{1000 * median_wall([sys.executable, '-c', 'pass'], env, args.runs):.0f}"
    rows.append(["baseline: python -c pass", *([base] * len(trees))])
    print_table(["command (new process)", *[f"{name} (ms)" for name, _ in trees]], rows,
                f"Start-up on {'the demo library' if not args.home else home.name}, median of {args.runs} runs")


if __name__ == "__main__":
    main()
