"""The cost curve: libraries of growing size built from the real corpora (../shared/data/corpora), and beyond
their 170k records synthetic variants of them (the same records under new ids, with a word of the title
changed), each measured in a process of its own.

    python benchmarks/bench_scale.py [--sizes 10000,100000,170000,300000]

For each size: the import, the first index build (tf-idf and embeddings), both as `layerwise import` runs them
(the items embedded by a worker as the import stores them, `represent/early.py`; `--no-early` for the build
alone after a plain import), `week` chosen anew and `similar`
warm in the process, a full-text search, and the peak memory of the process and its children (the build's
embedding worker) together: the resident size, sampled every 200 ms (what `top` shows, including pages of
memory-mapped files, which the kernel can drop and read again; a page two processes share is counted once,
as proportional set sizes add up), and the anonymous part, sampled every 20 ms (memory the processes hold:
arrays, dictionaries), overall and in each step.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from table import print_table  # noqa: E402

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
FILES = ("arxiv-2025-26.jsonl.gz", "conference-papers.jsonl.gz")
STEPS = ("import", "index build", "first week", "then")


def records(size: int) -> Iterator[str]:
    """`size` JSON lines: the corpora's records, then copies of them under new ids and altered titles."""
    made, copy = 0, 0
    while made < size:
        for name in FILES:
            with gzip.open(CORPORA / name, "rt") as lines:
                for line in lines:
                    record = json.loads(line)
                    if copy:  # a new work for dedupe: no shared id, address or title
                        record["id"] = f"copy{copy}-{record.get('id')}"
                        for key in ("arxiv", "doi", "site", "pdf", "abs", "url"):
                            record.pop(key, None)
                        record["title"] = f"Variant {copy} of {record.get('title', '')}"
                    yield json.dumps(record) + "\n"
                    made += 1
                    if made >= size:
                        return
        copy += 1


def _field_kb(path: str, name: str) -> int:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:  # the process ended between the listing and the read
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith(name + ":")), 0)


def _anon_kb(pid: str) -> int:
    return _field_kb(f"/proc/{pid}/status", "RssAnon")


def _proportional_kb(pid: str) -> int:
    """Resident pages, each one shared with other processes counted by its share of it."""
    return _field_kb(f"/proc/{pid}/smaps_rollup", "Pss")


class Sampler(threading.Thread):
    """The peak memory of the process and its children (the build's embedding worker) together, in each step:
    resident (proportional: a page both map, such as the embeddings file, counted once) and anonymous."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.step, self.done = "", threading.Event()
        self.peaks: dict[str, int] = {}  # step -> anonymous kB (every 20 ms)
        self.resident = 0  # kB, over all steps (every 200 ms)

    def run(self) -> None:
        samples = 0
        while not self.done.wait(0.02):
            children = [pid for listing in Path("/proc/self/task").glob("*/children")
                        for pid in listing.read_text().split()]
            processes = ["self", *children]
            self.peaks[self.step] = max(self.peaks.get(self.step, 0), sum(map(_anon_kb, processes)))
            if not samples % 10:  # the proportional sizes walk every page table: read 5 times a second, not 50
                self.resident = max(self.resident, sum(map(_proportional_kb, processes)))
            samples += 1


def measure(size: int, home: Path, early_embedding: bool = True) -> dict[str, Any]:
    from layerwise.library import Library
    from layerwise.rank import profile
    from layerwise.rank.plan import week_plan
    from layerwise.rank.prepare import ahead
    from layerwise.rank.similar import similar
    from layerwise.represent.index import load_index

    data = home / "records.jsonl"
    with data.open("w") as out:
        out.writelines(records(size))
    library = Library(home / "home")
    sampler = Sampler()
    sampler.start()
    sampler.step = "import"
    early = ahead(library) if early_embedding else None
    start = time.perf_counter()
    library.import_file(str(data), source="scale", on_stored=early)
    imported = time.perf_counter() - start
    sampler.step = "index build"
    start = time.perf_counter()
    index = load_index(library, early=early)
    built = time.perf_counter() - start
    if early is not None:
        early.stop()
    profile.add_focus(library, "need", "serving a two-tower retrieval model with low latency on Kubernetes")
    profile.add_focus(library, "want", "mechanistic interpretability of transformers")
    sampler.step = "first week"
    week_plan(library, refresh=True)
    sampler.step = "then"
    weeks = []
    for _ in range(3):
        start = time.perf_counter()
        week_plan(library, refresh=True)
        weeks.append(time.perf_counter() - start)
    query = str(int(index.ids[len(index.ids) // 2]))
    similar(library, query, limit=10)
    sims = []
    for _ in range(5):
        start = time.perf_counter()
        similar(library, query, limit=10)
        sims.append(time.perf_counter() - start)
    start = time.perf_counter()
    library.find("speculative decoding", limit=20)
    searched = time.perf_counter() - start
    items = library.find(limit=1)[1]
    sampler.done.set()
    sampler.join()
    return {"anon_mb": max(sampler.peaks.values()) / 1024,
            "anon_steps": " / ".join(f"{sampler.peaks.get(step, 0) / 1024:,.0f}" for step in STEPS),
            "items": items, "import": imported, "index": built, "week": statistics.median(weeks),
            "similar": statistics.median(sims), "search": searched,
            "peak_mb": sampler.resident / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,170000,300000")
    parser.add_argument("--no-early", action="store_true", help="index build after a plain import, no early embedding")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process: measure one size
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as home:
            print(json.dumps(measure(args.one, Path(home), not args.no_early)))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(size), *(["--no-early"] if args.no_early else [])],
                             capture_output=True, text=True, check=True)
        m = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((f"{int(m['items']):,}", f"{m['import']:,.1f} s", f"{m['index']:,.1f} s",
                     f"{1000 * m['week']:,.0f} ms", f"{1000 * m['similar']:,.0f} ms", f"{1000 * m['search']:,.1f} ms",
                     f"{m['peak_mb']:,.0f} MB", f"{m['anon_mb']:,.0f} MB", f"{m['anon_steps']} MB"))
        print(rows[-1], flush=True)
    print_table(("items", "import", "index build", "week (anew, warm)", "similar (warm)", "search", "peak resident",
                 "peak anonymous", "by step: " + " / ".join(STEPS)),
                rows, "Growth: each size in a process of its own, 2 cores")


if __name__ == "__main__":
    main()
