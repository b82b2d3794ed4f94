"""Web app page times on a real library: each page through the whole app (routing, guards, the core call,
templates), next to the bare core call it makes, measured in the same run.

    python benchmarks/bench_web.py [--home DIR] [--runs 20]

With no --home, the library is the bundled sample (3,000 real arXiv records); `--home` reuses a built library,
e.g. the 170k one `bench_rank.py --home DIR` leaves behind. Pages are warm (each is fetched once first).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from table import print_table  # benchmarks/table.py: run as a script, this folder is on the path


def timed(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    call()  # warm: the index, the plan and the templates load once
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def main() -> None:
    from fastapi.testclient import TestClient

    from layerwise.concepts.overlay import concept_map
    from layerwise.concepts.progress import coverage, frontier
    from layerwise.library import Library
    from layerwise.rank.inbox import inbox
    from layerwise.rank.plan import week_plan
    from layerwise.sample import SAMPLE_PATH
    from layerwise.study.stats import stats
    from layerwise.web.app import create_app
    from layerwise.web.graph import radial

    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, help="a built library home to reuse")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="layerwise-web-"))
    library = Library(home)
    if not library.find(limit=1)[1]:
        library.import_file(str(SAMPLE_PATH), source="arxiv")
    items = library.find(limit=1)[1]
    client = TestClient(create_app(library, allowed_hosts=("testserver",)))

    def page(url: str) -> Callable[[], Any]:
        def fetch() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return fetch

    def map_core() -> None:
        cmap = concept_map(library)
        radial(cmap, "dag", 2, {}, {e.slug for e in frontier(library, limit=None)})
        coverage(library)

    cases = [
        ("/week", page("/week"), "week_plan()", lambda: week_plan(library)),
        ("/inbox (30 ranked, with reasons)", page("/inbox"), "inbox(limit=30)", lambda: inbox(library, limit=30)),
        ("/inbox?q=speculative decoding", page("/inbox?q=speculative+decoding"), "find(q, limit=30)",
         lambda: library.find("speculative decoding", limit=30)),
        ("/map?slug=dag", page("/map?slug=dag"), "frontier + layout + coverage", map_core),
        ("/stats", page("/stats"), "stats()", lambda: stats(library)),
        ("/study", page("/study"), "", None),
        ("/review", page("/review"), "", None),
    ]
    started = time.perf_counter()
    while client.get("/week").status_code == 503:  # "preparing": representations and links are built in the background
        time.sleep(2)
    print(f"library: {items:,} items; ready after {time.perf_counter() - started:,.0f} s; "
          f"{args.runs} warm runs each (milliseconds)\n")
    rows = []
    for url, fetch, core_name, core in cases:
        median, p95 = timed(fetch, args.runs)
        core_median = f"{1000 * timed(core, args.runs)[0]:,.1f}" if core else ""
        rows.append((url, f"{1000 * median:,.1f}", f"{1000 * p95:,.1f}", core_name, core_median))
    print_table(["page", "median", "p95", "core call alone", "its median"], rows)


if __name__ == "__main__":
    main()
