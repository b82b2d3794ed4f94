"""Capture and search speed on the real firehose (~170k records in ../shared/data/corpora).

    python benchmarks/bench_capture.py [--queries 300] [--keep DIR]

Prints three tables, each against a baseline measured in the same run:
  1. importing both corpora (dedupe and full-text indexing included) vs a bare load of the same records
     into a plain SQLite table (no dedupe, no index): what capture costs on top of storing;
  2. `layerwise search` latency (library call, warm) vs a LIKE scan, the no-index way to search;
  3. `layerwise --help` start-up vs a bare `python -c pass`.
Results are recorded in docs/benchmarks.md. Targets (issue 2): import < 60 s, search p95 < 20 ms,
--help < 0.25 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from table import print_table  # benchmarks/table.py: run as a script, this folder is on the path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "data" / "corpora"
FILES = [CORPORA / "arxiv-2025-26.jsonl.gz", CORPORA / "conference-papers.jsonl.gz"]
LAYERWISE = [sys.executable, "-m", "layerwise"]

BARE_LOAD = r"""
import gzip, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE items (title TEXT, abstract TEXT, authors TEXT)")
n = 0
for path in sys.argv[2:]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = []
        for line in f:
            r = json.loads(line)
            rows.append((r.get("title"), r.get("summary") or r.get("abstract"), json.dumps(r.get("authors"))))
        db.executemany("INSERT INTO items VALUES (?, ?, ?)", rows)
        n += len(rows)
db.commit()
print(n)
"""


def timed_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB of this child alone (from wait4), and stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out_file, err_file = proc.stdout, proc.stderr
    out = out_file.read()  # type: ignore[union-attr]
    err = err_file.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 2):
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss / 1024, out


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print_table(header, rows, title)


def bench_import(home: Path) -> None:
    env = {**os.environ, "LAYERWISE_HOME": str(home)}
    rows = []
    total_wall, records = 0.0, 0
    peak = 0.0
    for path in FILES:  # the import alone: the representations are left to first use
        wall, mb, out = timed_child([*LAYERWISE, "import", "--no-prepare", str(path), "--json"], env)
        report = json.loads(out)
        n = report["added"] + report["merged"] + report["unchanged"] + len(report["skipped"])
        rows.append([f"layerwise import --no-prepare {path.name}", f"{n:,}", f"{wall:.1f}", f"{n / wall:,.0f}",
                     f"{mb:,.0f}", f"{report['added']:,} new, {report['merged']:,} merged, {len(report['skipped'])} skipped"])
        total_wall += wall
        records += n
        peak = max(peak, mb)
    rows.append(["layerwise, both corpora, import only", f"{records:,}", f"{total_wall:.1f}",
                 f"{records / total_wall:,.0f}", f"{peak:,.0f}", "target (issue 2): < 60 s"])
    with tempfile.TemporaryDirectory() as tmp:  # one command from files to a ready plan (issue 16)
        wall, mb, out = timed_child([*LAYERWISE, "import", *map(str, FILES), "--json"],
                                    {**os.environ, "LAYERWISE_HOME": tmp})
        rows.append(["layerwise import A B: imported, embedded, linked", f"{records:,}", f"{wall:.1f}",
                     f"{records / wall:,.0f}", f"{mb:,.0f}", "target (issue 16): < 60 s"])
    with tempfile.TemporaryDirectory() as tmp:
        wall, mb, out = timed_child([sys.executable, "-c", BARE_LOAD, f"{tmp}/bare.sqlite3", *map(str, FILES)], env)
        n = int(out)
        rows.append(["baseline: bare load, no dedupe/index", f"{n:,}", f"{wall:.1f}", f"{n / wall:,.0f}", f"{mb:,.0f}", ""])
    table("Import (2 cores)", ["run", "records", "seconds", "records/s", "peak MB", "note"], rows)


def sample_queries(n: int) -> list[str]:
    """One- to three-word queries taken from real titles: what a user would type."""
    import gzip

    rng = random.Random(7)
    titles = []
    with gzip.open(FILES[0], "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % 37 == 0:
                titles.append(json.loads(line)["title"])
    queries = []
    for title in rng.sample(titles, n):
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z\-]{3,}", title) if w.lower() not in {"with", "from", "via", "towards", "using"}]
        if words:
            k = rng.choice([1, 2, 2, 3])
            start = rng.randrange(max(1, len(words) - k + 1))
            queries.append(" ".join(words[start:start + k]))
    return queries


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench_search(home: Path, n_queries: int) -> None:
    from sqlalchemy import text

    from layerwise.library import Library

    library = Library(home)
    queries = sample_queries(n_queries)
    library.find(queries[0])  # open and warm
    times = []
    hits = []
    for q in queries:
        start = time.perf_counter()
        items, total = library.find(q, limit=20)
        times.append((time.perf_counter() - start) * 1000)
        hits.append(total)
    rows = [["layerwise search (FTS5, bm25, top 20)", len(queries), f"{statistics.median(times):.1f}",
             f"{percentile(times, 0.95):.1f}", f"{max(times):.1f}", f"{statistics.median(hits):,.0f}"]]
    like_times = []
    with library.store.begin() as conn:
        for q in queries[:15]:
            start = time.perf_counter()
            conn.execute(text("SELECT id FROM items WHERE title LIKE :p OR abstract LIKE :p LIMIT 20"), {"p": f"%{q}%"}).all()
            like_times.append((time.perf_counter() - start) * 1000)
    rows.append(["baseline: LIKE scan, no index", len(like_times), f"{statistics.median(like_times):.1f}",
                 f"{percentile(like_times, 0.95):.1f}", f"{max(like_times):.1f}", ""])
    with library.store.begin() as conn:
        size = conn.execute(text("SELECT count(*) FROM items")).scalar()
    table(f"Search over {size:,} items (milliseconds; target p95 < 20 ms)",
          ["run", "queries", "p50", "p95", "max", "median matches"], rows)
    library.close()


def bench_startup(runs: int = 20) -> None:
    def mean_wall(cmd: list[str]) -> float:
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            walls.append(time.perf_counter() - start)
        return statistics.median(walls)

    layerwise_bin = shutil.which("layerwise") or str(Path(sys.executable).parent / "layerwise")
    rows = [["layerwise --help", f"{mean_wall([layerwise_bin, '--help']):.3f}", "target: < 0.25 s"],
            ["baseline: python -c pass", f"{mean_wall([sys.executable, '-c', 'pass']):.3f}", ""]]
    table(f"Start-up (median of {runs} runs, seconds)", ["run", "seconds", "note"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="build the library here and keep it")
    args = parser.parse_args()
    missing = [str(p) for p in FILES if not p.exists()]
    if missing:
        sys.exit(f"shared corpora not found: {', '.join(missing)}")
    home = args.keep or Path(tempfile.mkdtemp(prefix="layerwise-bench-"))
    if (home / "library.sqlite3").exists():
        sys.exit(f"{home} already holds a library; give an empty folder")
    print(f"library: {home}  cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    try:
        bench_import(home)
        bench_search(home, args.queries)
        bench_startup()
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
