"""`layerwise enrich` is bounded by OpenAlex's rate, not by layerwise: the same run against a local server that
replays OpenAlex works (tests/fixtures/openalex/works.json, 24 papers of the bundled sample, one citing 303
works), once with the polite spacing between requests and once with none.

    python benchmarks/bench_enrich.py
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).parent))
from table import print_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORKS = json.loads((ROOT / "tests" / "fixtures" / "openalex" / "works.json").read_text())["works"]
BY_ID = {w["id"].rsplit("/", 1)[-1]: w for w in WORKS}
BY_DOI = {w["doi"].removeprefix("https://doi.org/"): w for w in WORKS if w["doi"]}


class Replay(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/works":
            wanted = query["filter"][0].removeprefix("openalex:").split("|")
            body: object = {"meta": {"count": len(wanted), "page": 1, "per_page": 100},
                            "results": [BY_ID[w] for w in wanted if w in BY_ID], "group_by": []}
        elif (work := BY_DOI.get(url.path.removeprefix("/works/doi:"))) is not None:
            body = work
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    from layerwise.enrich import candidates, enrich
    from layerwise.library import Library
    from layerwise.sample import SAMPLE_PATH

    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["LAYERWISE_OPENALEX_API"] = f"http://127.0.0.1:{server.server_address[1]}"
    known = {d.removeprefix("10.48550/arxiv.") for d in BY_DOI}
    lines = [line for line in gzip.open(SAMPLE_PATH, "rt").read().splitlines() if json.loads(line)["id"] in known]
    rows = []
    for label, interval in (("polite spacing (0.11 s between requests, the default)", None), ("no spacing", "0")):
        if interval is None:
            os.environ.pop("LAYERWISE_OPENALEX_INTERVAL", None)
        else:
            os.environ["LAYERWISE_OPENALEX_INTERVAL"] = interval
        with tempfile.TemporaryDirectory() as home:
            path = Path(home) / "papers.jsonl"
            path.write_text("\n".join(lines) + "\n")
            library = Library(Path(home) / "home")
            library.import_file(str(path), source="arxiv")
            items, _ = candidates(library)
            start = time.perf_counter()
            report = enrich(library, items)
            elapsed = time.perf_counter() - start
            rows.append((label, len(items), report.enriched, f"{elapsed:.2f} s", f"{1000 * elapsed / len(items):.0f} ms"))
            library.close()
    server.shutdown()
    print_table(("run", "items", "enriched", "time", "per item"), rows,
                "enrich against a local OpenAlex replay (a work, then its references named 100 at a time)")


if __name__ == "__main__":
    main()
