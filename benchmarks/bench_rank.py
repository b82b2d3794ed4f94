"""Ranking speed on the ~170k-record library built from ../shared/data/corpora.

    python benchmarks/bench_rank.py [--home DIR]

Prints: embedding throughput and the index build; the incremental update after a small sync; `similar`
over the whole library against arxiv-sanity's per-request SVM on the same tf-idf (the ratio is the point);
`week` warm, in-process and as a whole CLI call. Targets (issue 4): similar < 50 ms, week < 1 s warm,
>= 10x faster than the SVM.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from table import print_table  # benchmarks/table.py: run as a script, this folder is on the path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "data" / "corpora"


def _sync(library: object, records: list[dict[str, str]]) -> float:
    """Import these records as a sync would; returns the time after it, when the index update starts."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as update:
        update.writelines(json.dumps(r) + "\n" for r in records)
    library.import_file(update.name, source="bench-sync")  # type: ignore[attr-defined]
    os.unlink(update.name)
    return time.perf_counter()


def _median_replan(library: object, runs: int = 5) -> float:
    from layerwise.rank.plan import week_plan

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        week_plan(library, refresh=True)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ms(seconds: float) -> str:
    return f"{1000 * seconds:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def main() -> None:
    import numpy as np

    from layerwise.library import Library
    from layerwise.rank import profile
    from layerwise.rank.plan import week_plan
    from layerwise.rank.similar import similar
    from layerwise.represent import index as index_module

    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, help="a library home to reuse (built here when empty)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="layerwise-rank-"))
    library = Library(home)
    if not library.find(limit=1)[1]:
        for name in ("arxiv-2025-26.jsonl.gz", "conference-papers.jsonl.gz"):
            library.import_file(str(CORPORA / name))
    items = library.find(limit=1)[1]
    rows = []

    start = time.perf_counter()
    index = index_module.load_index(library)
    build = time.perf_counter() - start
    encoder = __import__("layerwise.represent.dense", fromlist=["x"]).encoder_for({})
    sample = [index_module.item_text(i.title, i.abstract) for i in library.find(limit=5000)[0]]
    start = time.perf_counter()
    encoder.encode(sample)
    rate = len(sample) / (time.perf_counter() - start)
    rows.append(("embedding throughput (static model, 2 cores)", f"{rate:,.0f} texts/s", ""))
    rows.append((f"index build, {items:,} items (tf-idf fit + embeddings)", ms(build), "once"))

    updates, synced = [], []
    for _ in range(5):  # five syncs of 100 items in a row: appended chunks, as a user's week of syncs
        stamp = time.time_ns()  # new titles on every run: a reused home must not merge them as already there
        synced.append([{"id": f"sync-{stamp}-{n}", "title": f"A new post number {n} on serving embeddings at scale ({stamp})",
                        "abstract": "Notes on latency, batching and caching for vector search."} for n in range(100)])
        start = _sync(library, synced[-1])
        index = index_module.load_index(library)
        updates.append(time.perf_counter() - start)
        assert len(index.ids) == library.find(limit=1)[1], "the update must hold every item"
    rows.append(("index update after a sync of 100 items (median of 5)", ms(statistics.median(updates)),
                 f"embeds only the new; slowest {ms(max(updates))}; target < 200 ms"))
    overlay_share = index_module.OVERLAY_SHARE
    changes: dict[float, list[float]] = {overlay_share: [], 0.0: []}
    for share, batch in zip([*changes] * 2, synced[1:]):  # 100 held items get an abstract; alternately a rewrite
        index_module.OVERLAY_SHARE = share
        start = _sync(library, [{**r, "abstract": f"{r['abstract']} Revised with quantised indexes."} for r in batch])
        index = index_module.load_index(library)
        changes[share].append(time.perf_counter() - start)
    rows.append(("index update after 100 held items changed (median of 2)", ms(statistics.median(changes[overlay_share])),
                 "an overlay beside the chunks"))
    rows.append(("baseline: the same, the index rewritten whole (median of 2)", ms(statistics.median(changes[0.0])),
                 "as before the overlay"))
    index_module.OVERLAY_SHARE = overlay_share

    refs = [f"arxiv:{r}" for r in ("2503.11731", "2503.11742")] + [str(i.id) for i in library.find("transformer", limit=18)[0]]
    similar(library, refs[0], limit=20)
    times = []
    for ref in refs:
        start = time.perf_counter()
        similar(library, ref, limit=20)
        times.append(time.perf_counter() - start)
    sim = statistics.median(times)
    rows.append(("similar REF over the whole library (median of 20)", ms(sim), "target < 50 ms"))

    from sklearn import svm

    svm_times = []
    joined = index.tfidf.tocsr()  # the baseline gets one matrix (the index may be several chunks)
    for ref in refs[:2]:
        row = int(index.rows([library.resolve(ref)])[0])
        y = np.zeros(index.tfidf.shape[0])
        y[row] = 1
        start = time.perf_counter()
        clf = svm.LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.1)
        clf.fit(joined, y)
        np.argsort(-clf.decision_function(joined))[:20]
        svm_times.append(time.perf_counter() - start)
    svm_time = statistics.median(svm_times)
    rows.append(("baseline: arxiv-sanity per-request SVM, same tf-idf (median of 2)", ms(svm_time),
                 f"layerwise {svm_time / sim:,.0f}x faster"))

    if not profile.focuses(library):
        profile.add_focus(library, "need", "deploying a two-tower recommender on Kubernetes")
        profile.add_focus(library, "want", "diffusion models for audio generation")
    week_plan(library, refresh=True)
    rows.append(("week, choosing the plan anew (warm process, median of 5)", ms(_median_replan(library)), "target < 1 s"))

    from layerwise.concepts.linking import link_all
    from layerwise.concepts.progress import mark

    start = time.perf_counter()
    link_all(library)
    rows.append((f"linking all {items:,} items to the concept map", ms(time.perf_counter() - start), "once; then new items only"))
    for slug in ("graph", "tree", "array", "embeddings", "linear-algebra", "neural-networks"):
        mark(library, slug, "explored")
    rows.append(("week with map signals (6 concepts explored, median of 5)", ms(_median_replan(library)), "target < 1 s"))
    env = {**os.environ, "LAYERWISE_HOME": str(home)}
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "layerwise", "week", "--json"], env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    rows.append(("layerwise week, whole CLI call, plan stored (median of 5)", ms(statistics.median(times)), "new process"))
    library.close()

    print(f"\nRanking speed on {items:,} items (2 cores)\n")
    print_table(["what", "time", "note"], rows)


if __name__ == "__main__":
    main()
