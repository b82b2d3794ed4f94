"""Embedding speed: the bundled static model computed by distinct words (layerwise) against model2vec's encode.

    python benchmarks/bench_embed.py [--per-corpus 20000]

Embeds the first N abstracts (title and abstract, as the index does) of each shared corpus both ways in the
same run, one after the other, and prints wall and CPU seconds, texts per second, and how close the two sets
of vectors are (cosine of each text's two vectors).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from itertools import islice
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from table import print_table  # noqa: E402

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"


def main() -> None:
    from layerwise.represent.dense import in_batches, load_encoder
    from layerwise.represent.embedded import item_text

    parser = argparse.ArgumentParser()
    parser.add_argument("--per-corpus", type=int, default=20000)
    args = parser.parse_args()
    texts = []
    for name in ("arxiv-2025-26.jsonl.gz", "conference-papers.jsonl.gz"):
        with gzip.open(CORPORA / name, "rt") as lines:
            texts += [item_text(r["title"], r.get("abstract") or r.get("summary"))
                      for r in map(json.loads, islice(lines, args.per_corpus))]
    encoder = load_encoder()
    encoder.encode(texts[:100])  # the word pattern and the model's first call, outside the timing
    rows, vectors = [], []
    for label, encode in (("layerwise: by distinct words", encoder.encode),
                          ("baseline: model2vec encode", lambda t: in_batches(encoder.model.encode, t))):
        wall, cpu = time.perf_counter(), time.process_time()
        vectors.append(encode(texts))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rows.append([label, f"{wall:.1f}", f"{cpu:.1f}", f"{len(texts) / wall:,.0f}"])
    cosines = (vectors[0] * vectors[1]).sum(axis=1)[np.linalg.norm(vectors[1], axis=1) > 0]
    print_table(("encoder", "wall s", "CPU s", "texts/s"), rows,
                title=f"{len(texts):,} abstracts ({sum(map(len, texts)) / len(texts):,.0f} characters on average)")
    print(f"\ncosine of the two vectors of a text: min {cosines.min():.5f}, "
          f"share above 0.9999 {np.mean(cosines > 0.9999):.4%}")


if __name__ == "__main__":
    main()
