"""Rebuild the bundled sample library from the shared arXiv corpus (run by hand; not needed at run time).

    python scripts/make_sample.py ../shared/data/corpora/arxiv-2025-26.jsonl.gz

Keeps every k-th record whose primary category is one an ML engineer reads, so the sample spans the
whole period. arXiv metadata is CC0; the records keep only the fields layerwise reads.
"""

import gzip
import json
import sys
from pathlib import Path

WANTED = {"cs.LG", "cs.CL", "cs.AI", "stat.ML", "cs.IR", "cs.DC", "cs.SE", "cs.DB", "cs.PF", "cs.RO", "cs.HC"}
TARGET = 3000
OUT = Path(__file__).resolve().parent.parent / "src" / "layerwise" / "data" / "sample-arxiv.jsonl.gz"


def main(source: str) -> None:
    with gzip.open(source, "rt", encoding="utf-8") as f:
        records = [r for r in map(json.loads, f) if r.get("categories") and r["categories"][0] in WANTED]
    step = max(1, len(records) // TARGET)
    keep = records[::step][:TARGET]
    fields = ("id", "title", "summary", "authors", "categories", "comment", "list_date")
    with gzip.GzipFile(OUT, "wb", mtime=0) as raw:
        for record in keep:
            raw.write((json.dumps({k: record.get(k) for k in fields}, ensure_ascii=False) + "\n").encode())
    print(f"wrote {len(keep)} of {len(records)} records to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
