"""What matters: does the ranking find the papers a good explainer builds on? On the ~170k-record library
(../shared/data/corpora) plus the shared real files (reading lists, a curated BibTeX list, the blog's feeds
and its five post pages).

    python benchmarks/bench_foundations.py [--home DIR]

For each of the five Lilian Weng posts: the post's title and first paragraph become a need focus, the post is
left out (not a candidate, and its own citations removed from the graph for the run), and the question is how
many of the papers it cites that the library holds reach the top 5 / 20 / 50 of the focus's ranking. Three
rankers in the same run: layerwise's ranker (closeness to the focus, plus what the graph and outside counts
say matters, plus the foundations of the best candidates), the text-only ranker it had before (closeness
alone), and BM25 over the library's full-text index with the focus words. Then: copies of one work in the
inbox's top 50 for ten focuses, the share of picks whose reasons carry evidence beyond the focus, and `week`
and the import of the shared files with the graph, timed.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from table import print_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
POSTS = sorted((DATA / "files" / "pages").glob("lilianweng-*.html.gz"))
OTHER_FOCUSES = ("serving a two-tower retrieval model with low latency on Kubernetes",
                 "mechanistic interpretability of transformers",
                 "feature stores and training-serving skew in production machine learning",
                 "quantization and speculative decoding for faster LLM inference",
                 "reinforcement learning from human feedback for language models")
EVIDENCE = {"alongside", "cited", "endorsed", "widely-cited", "foundational", "builds-on", "liked", "concept"}


def post_url(path: Path) -> str:
    match = re.match(r"lilianweng-(\d{4}-\d{2}-\d{2})-(.+)\.html\.gz", path.name)
    assert match, path
    return f"https://lilianweng.github.io/posts/{match.group(1)}-{match.group(2)}/"


def build(library: object) -> list[tuple[str, float]]:
    from layerwise.capture import web

    timings = []
    for name in ("arxiv-2025-26.jsonl.gz", "conference-papers.jsonl.gz"):
        start = time.perf_counter()
        library.import_file(str(DATA / "corpora" / name))  # type: ignore[attr-defined]
        timings.append((f"import {name}", time.perf_counter() - start))
    files = sorted((DATA / "files" / "reading-lists").glob("*.md")) + \
        [DATA / "files" / "bibtex" / "top100-deep-learning.bib"] + sorted((DATA / "files" / "feeds").glob("*.xml"))
    spent = _time_the_graph()
    start = time.perf_counter()
    for path in files:
        library.import_file(str(path))  # type: ignore[attr-defined]
    for path in POSTS:
        library.ingest([web.parse(gzip.decompress(path.read_bytes()), post_url(path))], bulk=False)  # type: ignore[attr-defined]
    timings.append((f"import the shared files ({len(files)} files, {len(POSTS)} pages) into the 170k library",
                    time.perf_counter() - start))
    timings.append(("of which building their graph (citations, endorsements, mentions)", spent[0]))
    return timings


def _time_the_graph() -> list[float]:
    """Wrap the graph's steps in an ingest with a stopwatch: the time the graph adds to an import."""
    from layerwise import references

    spent = [0.0]
    for name in ("note", "citation_rows", "write"):
        original = getattr(references.Linker, name)

        def timed(*args: object, _original: object = original, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)  # type: ignore[operator]
            finally:
                spent[0] += time.perf_counter() - start
        setattr(references.Linker, name, timed)
    return spent


def main() -> None:
    from layerwise.library import Library
    from layerwise.rank import profile
    from layerwise.rank.importance import foundation_bonus
    from layerwise.rank.inbox import inbox
    from layerwise.rank.plan import load_signals, week_plan
    from layerwise.rank.scoring import IMPORTANCE_WEIGHT, POOL, spread, track_scores
    from layerwise.references import links
    from layerwise.represent.dense import encoder_for
    from layerwise.represent.index import load_index
    from layerwise.store import graph
    from layerwise.times import iso_week

    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, help="a library home to reuse (built here when empty)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="layerwise-foundations-"))
    library = Library(home)
    timing_rows = []
    if not library.find(limit=1)[1]:
        timing_rows += [(what, f"{seconds:,.1f} s") for what, seconds in build(library)]
    start = time.perf_counter()
    index = load_index(library)
    timing_rows.append((f"index ({len(index.ids):,} items)", f"{time.perf_counter() - start:,.1f} s"))
    encoder = encoder_for({})
    week = iso_week()
    for focus in profile.focuses(library):
        profile.remove_focus(library, focus.id)

    def ranking(sig: object, focus_row: int, graph_on: bool) -> np.ndarray:
        scores, _ = track_scores(sig, "need", encoder)  # type: ignore[arg-type]
        if graph_on and sig.importance is not None:  # type: ignore[attr-defined]
            pool = [int(r) for r in np.argsort(-scores)[:POOL]]
            scores = scores + IMPORTANCE_WEIGHT * spread(scores) * foundation_bonus(sig.importance.foundations(pool), len(scores))  # type: ignore[attr-defined]
        scores[focus_row] = -np.inf
        return np.argsort(-scores)

    recall_rows = []
    totals: dict[str, list[list[float]]] = {"layerwise": [], "text only (before)": [], "BM25": []}
    for path in POSTS:
        post = library.get(post_url(path))
        cited = {i.library_id for i, _, _ in links(library.store, post.library_id).cites if i is not None and not i.mentioned}
        with library.store.begin() as conn:
            own = [dict(r, from_item=post.id, added_at="bench") for r in graph.cites(conn, post.library_id)]
            graph.remove_citations(conn, post.library_id)
        # the first paragraph of prose (not an "[Updated on ...]" note)
        first = next((p for p in (post.body or "").split("\n") if len(p.split()) > 12 and not p.startswith("[")), "")
        focus = f"{post.title}. {first}"
        profile.add_focus(library, "need", focus)
        sig = load_signals(library, week)
        index = sig.index  # the concept map's starting resources may have joined the library: rows as they are now
        row = int(np.flatnonzero(index.ids == post.id)[0])
        held = [r for r in range(len(index.ids)) if int(index.ids[r]) in cited]
        plain = load_signals(library, week)
        plain.importance = None
        bm25 = [r for r in (np.flatnonzero(index.ids == i) for i in _bm25(library, focus)) if len(r)]
        rankers = {"layerwise": ranking(sig, row, True)[:50].tolist(), "text only (before)": ranking(plain, row, False)[:50].tolist(),
                   "BM25": [int(r[0]) for r in bm25 if int(r[0]) != row]}
        for name, top in rankers.items():
            hits = [len(set(top[:k]) & set(held)) for k in (5, 20, 50)]
            totals[name].append([h / max(1, len(held)) for h in hits])
            recall_rows.append((post.title, len(held), name, *hits))
        with library.store.begin() as conn:
            graph.add_citations(conn, [{"from_item": r["from_item"], "target": r["target"], "to_item": r["item_id"],
                                        "context": r["context"], "origin": r["origin"], "added_at": r["added_at"]} for r in own])
        for f in profile.focuses(library):
            profile.remove_focus(library, f.id)
    print_table(("post (left out of the library)", "cited papers held", "ranker", "in top 5", "in top 20", "in top 50"),
                recall_rows, "Cited papers of each post found by a focus on the post")
    print_table(("ranker", "recall@5", "recall@20", "recall@50"),
                [(name, *(f"{100 * statistics.mean(v[k] for v in values):.1f}%" for k in range(3))) for name, values in totals.items()],
                "Mean recall over the five posts")

    plan_rows, dupes_rows, evidence = [], [], []
    focuses = [library.get(post_url(p)).title for p in POSTS] + list(OTHER_FOCUSES)
    for focus in focuses:
        profile.add_focus(library, "need", focus)
        entries = inbox(library, limit=50)
        dupes_rows.append(_copies(library, load_index(library), [e.item_id for e in entries]))
        start = time.perf_counter()
        plan = week_plan(library, refresh=True)
        plan_rows.append(time.perf_counter() - start)
        evidence += [bool({r.kind for r in p.reasons} & EVIDENCE) for p in plan.picks]
        for f in profile.focuses(library):
            profile.remove_focus(library, f.id)
    print_table(("measure", "value", "target"), [
        ("copies of one work in the inbox's top 50, ten focuses (same title key or embedding cosine >= 0.95)",
         sum(dupes_rows), "0"),
        ("picks whose reasons carry evidence beyond the focus (graph, counts, likes, map)",
         f"{100 * sum(evidence) / max(1, len(evidence)):.0f}% of {len(evidence)}", ""),
        ("week, choosing the plan anew with the graph (warm, median of 10 focuses)", f"{1000 * statistics.median(plan_rows):,.0f} ms", "< 1 s"),
        *[(what, value, "< 20 s" if "graph" in what else "") for what, value in timing_rows],
    ], "The plan and the inbox")


def _bm25(library: object, text: str, limit: int = 51) -> list[int]:
    """BM25 (FTS5's, title weighted as `layerwise search` weights it) over every item matching any focus word."""
    import sqlite3

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = dict.fromkeys(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z]{2,}", text) if w.lower() not in ENGLISH_STOP_WORDS)
    query = " OR ".join(f'"{w}"' for w in words)
    with sqlite3.connect(library.database_file) as conn:  # type: ignore[attr-defined]
        return [r[0] for r in conn.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH ? "
                                           "ORDER BY bm25(items_fts, 8.0, 2.0, 1.0, 0.5) LIMIT ?", (query, limit))]


def _copies(library: object, index: object, item_ids: list[int]) -> int:
    """Pairs in a list that are one work: the same title key, or embeddings at cosine 0.95 or more."""
    items = library.items_by_id(item_ids)  # type: ignore[attr-defined]
    rows = [int(np.flatnonzero(index.ids == i)[0]) for i in item_ids]  # type: ignore[attr-defined]
    dense = index.dense[rows]  # type: ignore[attr-defined]
    sims = dense @ dense.T
    keys = [items[i].title_key for i in item_ids]
    pairs = 0
    for a in range(len(item_ids)):
        for b in range(a + 1, len(item_ids)):
            pairs += bool((keys[a] and keys[a] == keys[b]) or sims[a, b] >= 0.95)
    return pairs


if __name__ == "__main__":
    main()
