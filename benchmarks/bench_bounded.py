"""Hostile files against the importers (issue 16): each case of the issue as a whole `layerwise import` in a new
process, with its time, peak memory, exit code and the line it prints, next to a well-formed file of the same
size read in the same run (the baseline: what reading that many bytes of that format costs anyway).

    python benchmarks/bench_bounded.py [--big]

--big adds the 4 MB BibTeX field, the 100,000-outline OPML and the 256 MB single-line Markdown file of the
issue (slower to write). Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from table import print_table  # benchmarks/table.py: run as a script, this folder is on the path


def bibtex_field(size: int) -> str:
    return "@article{huge,\n title={Huge},\n abstract={" + "word " * (size // 5) + "}\n}\n"


def bibtex_valid(size: int) -> str:
    entry = "@article{{k{n},\n title={{A paper on topic {n}}},\n author={{Doe, Jane and Roe, Rick}},\n year={{2020}},\n" \
            " abstract={{" + "Some words of an abstract. " * 12 + "}}\n}}\n"
    return "".join(entry.format(n=n) for n in range(size // len(entry.format(n=0)) + 1))


def opml(outlines: int, same_title: bool) -> str:
    body = "".join(f'<outline text="{"Same blog" if same_title else f"Blog {n}"}" type="rss" '
                   f'xmlUrl="https://example.org/{n}.xml"/>\n' for n in range(outlines))
    return f'<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>{body}</body></opml>'


def run(path: Path, home: Path) -> tuple[float, int, int, str]:
    """Seconds, peak MB (GNU time's maximum resident size of the import alone), exit code and what it said
    (the skipped line or the error, else its last line), for `layerwise import PATH` in a new process."""
    env = {**os.environ, "LAYERWISE_HOME": str(home)}
    measured = home.with_suffix(".time")
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(measured), sys.executable, "-m", "layerwise",
                           "import", str(path)], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = (done.stderr + done.stdout).strip().splitlines()
    said = next((line for line in lines if line.startswith(("skipped", "error"))), lines[-1] if lines else "")
    peak = int(measured.read_text().split()[-1]) // 1024
    return seconds, peak, done.returncode, said.replace(str(path.parent) + "/", "")[:100]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", action="store_true", help="also the largest cases of the issue")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="layerwise-bounded-"))
    cases: list[tuple[str, str, bytes | str]] = [
        ("BibTeX entry with a 1 MB field", "field.bib", bibtex_field(2**20)),
        ("baseline: valid BibTeX, 1 MB", "valid.bib", bibtex_valid(2**20)),
        ("OPML, 20,000 outlines", "many.opml", opml(20_000, False)),
        ("OPML, 20,000 outlines of one title", "same.opml", opml(20_000, True)),
        ("JSON nested 10,000 deep", "deep.json", "[" * 10_000 + "]" * 10_000),
        ("Markdown, one 20 MB line", "oneline.md", "[" + "x" * (20 * 2**20)),
    ]
    if args.big:
        cases[1:1] = [("BibTeX entry with a 4 MB field", "field4.bib", bibtex_field(4 * 2**20))]
        cases += [("OPML, 100,000 outlines", "many100k.opml", opml(100_000, False)),
                  ("Markdown, one 256 MB line", "big.md", "[" + "x" * (256 * 2**20))]
    rows = []
    for name, file, content in cases:
        path = work / file
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        seconds, peak, code, said = run(path, work / f"home-{file}")
        rows.append((name, f"{path.stat().st_size / 2**20:,.1f} MB", f"{seconds:.2f}", peak, code, said))
    print_table(("case", "size", "seconds", "peak MB", "exit", "what it says"), rows,
                "Hostile files, each a whole `layerwise import` in a new process")


if __name__ == "__main__":
    main()
