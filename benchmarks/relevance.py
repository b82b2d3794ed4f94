"""CSFCube (Mysore et al., NeurIPS 2021 Datasets) evaluation: load the dev half, score a ranking.

Protocol from ../shared/data/relevance/csfcube-dev: for each query-facet pair, rank its judged candidates;
MAP counts relevance >= 2 as relevant; NDCG over the top 20% of each pool with graded gains; both x100,
averaged over query-facet pairs.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

CSFCUBE = Path(__file__).resolve().parents[2] / "shared" / "data" / "relevance" / "csfcube-dev"


def load(folder: Path = CSFCUBE) -> tuple[dict[str, dict], dict[tuple[str, str], dict[str, int]]]:
    papers = {}
    with gzip.open(folder / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            abstract = record.get("abstract") or ""
            if isinstance(abstract, list):
                abstract = " ".join(abstract)
            papers[str(record["paper_id"])] = {"title": record.get("title") or "", "abstract": abstract}
    qrels: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    with open(folder / "qrels.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels[(row["query_id"], row["facet"])][row["candidate_id"]] = int(row["relevance"])
    return papers, dict(qrels)


def average_precision(ranked: Sequence[str], judged: dict[str, int]) -> float:
    relevant = {c for c, r in judged.items() if r >= 2}
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for rank, candidate in enumerate(ranked, 1):
        if candidate in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def ndcg_at_20_percent(ranked: Sequence[str], judged: dict[str, int]) -> float:
    cutoff = max(1, int(0.2 * len(judged)))
    dcg = sum(judged.get(c, 0) / math.log2(i + 2) for i, c in enumerate(ranked[:cutoff]))
    ideal = sorted(judged.values(), reverse=True)[:cutoff]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def evaluate(rank: Callable[[str, list[str]], list[str]], qrels: dict[tuple[str, str], dict[str, int]]) -> tuple[float, float]:
    """rank(query_id, candidate_ids) -> candidate ids best first. Returns (MAP, NDCG%20), x100."""
    aps, ndcgs = [], []
    for (query, _facet), judged in sorted(qrels.items()):
        ranked = rank(query, sorted(judged))
        aps.append(average_precision(ranked, judged))
        ndcgs.append(ndcg_at_20_percent(ranked, judged))
    return 100 * sum(aps) / len(aps), 100 * sum(ndcgs) / len(ndcgs)
