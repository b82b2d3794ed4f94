"""How well items are linked to concepts, on a fixed sample of real records from ../shared/data/corpora.

    python benchmarks/bench_linking.py                 # print the table
    python benchmarks/bench_linking.py --judge FILE    # write the sampled links nobody has judged yet

The sample: 1,500 records from each corpus (arXiv 2025-26 and the conference proceedings), chosen by a hash of
their id so it never changes. Coverage counts the items that get at least one concept, by how they got it.
Precision comes from hand judgements in benchmarks/data/linking-judgements.tsv: for a fixed random sample of
links per method, a person read the title and abstract and decided whether the item is about the concept (1)
or not (0). Links in the sample that were never judged are reported, not guessed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import random
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "data" / "corpora"
JUDGEMENTS = ROOT / "benchmarks" / "data" / "linking-judgements.tsv"
PER_CORPUS = 1500
PER_METHOD = 40


def sample_corpus(path: Path, n: int) -> list[str]:
    """The n lines whose id hashes lowest: a fixed, uniform sample."""
    keyed = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            key = str(record.get("source_file", "")) + str(record.get("id"))
            keyed.append((hashlib.sha1(key.encode()).hexdigest(), line))
    keyed.sort()
    return [line for _, line in keyed[:n]]


def method(confidence: float) -> str:
    from layerwise.concepts.linking import ABSTRACT_CONFIDENCE, TITLE_CONFIDENCE

    return {TITLE_CONFIDENCE: "name in title", ABSTRACT_CONFIDENCE: "name in abstract"}.get(confidence, "similarity")


def main() -> None:
    from sqlalchemy import text

    from layerwise.concepts.linking import link_all
    from layerwise.concepts.overlay import concept_map
    from layerwise.library import Library

    parser = argparse.ArgumentParser()
    parser.add_argument("--judge", type=Path, help="write unjudged sampled links to this TSV for hand checking")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="layerwise-linking-"))
    library = Library(home)
    for name in ("arxiv-2025-26.jsonl.gz", "conference-papers.jsonl.gz"):
        part = home / name.replace(".gz", "")
        part.write_text("".join(sample_corpus(CORPORA / name, PER_CORPUS)), encoding="utf-8")
        library.import_file(str(part))
    start = time.perf_counter()
    link_all(library)
    seconds = time.perf_counter() - start
    cmap = concept_map(library)
    with library.store.begin() as conn:
        links = conn.execute(text("SELECT item_id, slug, confidence FROM item_concepts WHERE state = 'auto' "
                                  "ORDER BY item_id, slug")).all()
        items = {i.id: i for i in library.store.items(conn, sorted({r[0] for r in links}))}
    total = library.find(limit=1)[1]

    by_method: dict[str, list[tuple[int, str]]] = {}
    for item_id, slug, confidence in links:
        by_method.setdefault(method(confidence), []).append((item_id, slug))
    covered = {m: len({i for i, _ in pairs}) for m, pairs in by_method.items()}
    any_link = len({r[0] for r in links})

    judged = {}
    if JUDGEMENTS.exists():
        with open(JUDGEMENTS, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                judged[(row["title"].strip().lower(), row["slug"])] = int(row["verdict"])
    rng = random.Random(20261123)
    rows, unjudged = [], []
    for name in ("name in title", "name in abstract", "similarity"):
        pairs = by_method.get(name, [])
        sample = rng.sample(pairs, min(PER_METHOD, len(pairs)))
        verdicts = []
        for item_id, slug in sample:
            key = (items[item_id].title.strip().lower(), slug)
            if key in judged:
                verdicts.append(judged[key])
            else:
                unjudged.append((name, items[item_id], slug))
        precision = f"{100 * sum(verdicts) / len(verdicts):.0f}% of {len(verdicts)}" if verdicts else "-"
        rows.append((name, f"{len(pairs):,}", f"{covered.get(name, 0):,} ({100 * covered.get(name, 0) / total:.0f}%)",
                     precision))
    rows.append(("any method", f"{len(links):,}", f"{any_link:,} ({100 * any_link / total:.0f}%)", ""))

    print(f"Linking {total:,} real records to {len(cmap.concepts)} concepts took {seconds:.1f} s\n")
    print(f"| {'method':<18} | {'links':>7} | {'items covered':>14} | {'precision (hand-checked)':>24} |")
    print(f"|{'-' * 20}|{'-' * 9}:|{'-' * 16}:|{'-' * 26}:|")
    for name, n, cov, precision in rows:
        print(f"| {name:<18} | {n:>7} | {cov:>14} | {precision:>24} |")
    if unjudged:
        print(f"\n{len(unjudged)} sampled links were never judged" + ("" if args.judge else "; run with --judge FILE"))
    if args.judge and unjudged:
        with open(args.judge, "w", encoding="utf-8", newline="") as f:
            out = csv.writer(f, delimiter="\t")
            out.writerow(["method", "title", "slug", "verdict", "concept", "abstract"])
            for name, item, slug in unjudged:
                concept = cmap.concepts[slug]
                out.writerow([name, item.title, slug, "", f"{concept.name}: {concept.description}",
                              (item.abstract or "")[:400].replace("\n", " ")])
        print(f"wrote {len(unjudged)} links to judge to {args.judge}")


if __name__ == "__main__":
    main()
