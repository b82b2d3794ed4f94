"""Personal ranking, simulated: does the plan find what a real curator picked?

    python benchmarks/bench_personal.py [--home DIR]

The curator is ML-Papers-of-the-Week 2023 (420 picks with abstracts, ../shared/data/files/reading-lists).
The library is the ~170k-record firehose from ../shared/data/corpora plus every pick. The simulated user
likes every other pick (210); the other 210 are hidden among the 170k. Each ranker orders the library
(liked items excluded); we report how many hidden picks are in its top 5 (one week's plan), top 50 and top
500, against random order and arxiv-sanity's method (tf-idf + linear SVM, likes positive, all else negative),
all in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from table import print_table  # benchmarks/table.py: run as a script, this folder is on the path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CUTS = (5, 50, 500)


def main() -> None:
    from layerwise.library import Library
    from layerwise.rank import profile
    from layerwise.rank.plan import load_signals
    from layerwise.rank.scoring import track_scores
    from layerwise.represent import index as index_module
    from layerwise.represent.dense import encoder_for
    from layerwise.times import iso_week

    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="layerwise-personal-"))
    library = Library(home)
    if not library.find(limit=1)[1]:
        for name in ("arxiv-2025-26.jsonl.gz", "conference-papers.jsonl.gz"):
            library.import_file(str(DATA / "corpora" / name))
    with open(DATA / "files" / "reading-lists" / "ml-papers-of-the-week-2023.csv", encoding="utf-8") as f:
        picks = [r for r in csv.DictReader(f) if r.get("Title") and r.get("Abstract")]
    path = home / "picks.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for n, row in enumerate(picks):
            out.write(json.dumps({"id": str(n), "title": row["Title"], "abstract": row["Abstract"], "url": row["PaperURL"]}) + "\n")
    library.import_file(str(path), source="mlpotw")
    pick_ids = list(dict.fromkeys(library.resolve(f"mlpotw:{n}") for n in range(len(picks))))
    liked, hidden = pick_ids[::2], pick_ids[1::2]
    for focus in profile.focuses(library):  # the simulated user has likes only
        profile.remove_focus(library, focus.id)
    for item_id in liked:
        profile.rate(library, str(item_id), 1)
    index = index_module.load_index(library)
    n_items = len(index.ids)
    liked_rows = set(index.rows(liked).tolist())
    hidden_rows = set(index.rows(hidden).tolist())

    def hits(order: np.ndarray) -> list[int]:
        order = [r for r in order if r not in liked_rows]
        return [len(hidden_rows & set(order[:k])) for k in CUTS]

    rows = []
    start = time.perf_counter()
    sig = load_signals(library, iso_week())
    scores, _ = track_scores(sig, "need", encoder_for({}))
    rows.append(("layerwise plan ranking (likes, learned model, no focus)", hits(np.argsort(-scores)), time.perf_counter() - start))

    from sklearn import svm

    start = time.perf_counter()
    y = np.zeros(n_items)
    y[list(liked_rows)] = 1
    joined = index.tfidf.tocsr()  # one matrix for sklearn (the index may be several chunks)
    clf = svm.LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.1).fit(joined, y)
    rows.append(("baseline: arxiv-sanity tf-idf + SVM", hits(np.argsort(-clf.decision_function(joined))),
                 time.perf_counter() - start))
    rng = np.random.default_rng(0)
    random_hits = np.mean([hits(rng.permutation(n_items)) for _ in range(20)], axis=0)
    rows.append(("baseline: random order (mean of 20)", [f"{h:.2f}" for h in random_hits], 0.0))
    library.close()
    print(f"\n{len(liked)} liked and {len(hidden)} hidden ML-Papers-of-the-Week picks among {n_items:,} items\n")
    print_table(["ranker", "hidden picks in top 5", "top 50", "top 500", "seconds"],
                [(name, h[0], h[1], h[2], f"{seconds:.1f}") for name, h, seconds in rows])


if __name__ == "__main__":
    main()
