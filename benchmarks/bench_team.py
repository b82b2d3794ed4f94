"""A team on one library: simulated people triaging, planning, studying and reviewing through the web app (a real
`layerwise serve` process, loopback only) while `layerwise sync` brings in a feed of new items, on PostgreSQL
and on SQLite.

    scripts/with-postgres.sh .venv/bin/python benchmarks/bench_team.py [--items 170000] [--people 20]
        [--sqlite-people 3] [--seconds 60] [--sync 5000] [--engines postgresql,sqlite]

Each person signs in with their own token and loops for `--seconds`: the week, the inbox, accepting a pick,
an item page, a study session started and finished with a summary, the review page, the team page. The sync
fetches an Atom feed of `--sync` new entries from a local server (allowed by `fetch_allow`). Afterwards every
write a person made is looked for in the database. Prints requests per second, median and p95 per page,
errors, and the checks, per engine; the first row of each engine (one person, no sync) is the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).parent))
from bench_scale import records  # noqa: E402
from table import print_table  # noqa: E402

LAYERWISE = [sys.executable, "-m", "layerwise"]
FOCUSES = ["retrieval-augmented generation", "speculative decoding", "diffusion models for audio", "graph neural networks",
           "reinforcement learning from human feedback", "vector databases", "model quantization", "time series forecasting",
           "recommender systems two-tower retrieval", "federated learning", "mixture of experts", "code generation",
           "evaluation of LLM applications", "data pipelines with Spark", "MLOps model monitoring", "causal inference",
           "speech recognition", "object detection", "tabular deep learning", "continual learning"]


def feed_of(count: int, skip: int) -> bytes:
    """An Atom feed of `count` records the library does not hold: those `bench_scale.records` makes after the
    first `skip` (the corpora's, then new variants of them)."""
    entries = []
    for n, line in enumerate(records(skip + count)):
        if n < skip:
            continue
        record = json.loads(line)
        url = f"https://example.org/team-feed/{n}"
        entries.append(f"<entry><id>{url}</id><title>{escape(record.get('title', ''))}</title>"
                       f"<link href=\"{url}\"/><updated>2026-12-01T00:00:00Z</updated>"
                       f"<summary>{escape((record.get('abstract') or '')[:1500])}</summary></entry>")
    return ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><id>urn:team</id>"
            "<title>team feed</title><updated>2026-12-01T00:00:00Z</updated>" + "".join(entries) + "</feed>").encode()


def serve_feed(served: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    """A feed server answering with whatever `served["body"]` holds at the time."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = served["body"]
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/feed.xml"


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*LAYERWISE, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 3):
        raise SystemExit(f"layerwise {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def build(home: Path, env: dict[str, str], items: int, people: int) -> dict[str, str]:
    """The library, its people (each with a focus) and their tokens."""
    data = home / "records.jsonl"
    with data.open("w") as out:
        out.writelines(records(items))
    started = time.perf_counter()
    cli(env, "import", str(data), "--source", "corpus")
    print(f"  imported {items:,} records in {time.perf_counter() - started:.0f} s", flush=True)
    tokens = {}
    for n in range(people):
        name = "alice" if n == 0 else f"person{n:02d}"
        tokens[name] = cli(env, "user", "add", name).strip().splitlines()[-1]
        cli({**env, "LAYERWISE_USER": name}, "focus", "need", FOCUSES[n % len(FOCUSES)])
    (home / "config.toml").open("a").write('fetch_allow = ["127.0.0.1"]\n')
    return tokens


class Person:
    def __init__(self, name: str, token: str, base: str) -> None:
        import httpx

        self.name, self.token = name, token
        self.client = httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=False)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.accepted: set[int] = set()
        self.sessions = 0
        self.csrf = ""

    async def request(self, label: str, method: str, url: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except Exception as exc:  # a refused or dropped connection is an error of the run, counted
            self.errors.append(f"{label}: {type(exc).__name__}")
            return None
        self.times[label].append(time.perf_counter() - started)
        if response.status_code >= 400 and response.status_code != 503:
            self.errors.append(f"{label}: HTTP {response.status_code}")
        if match := re.search(r'name="csrf-token" content="([0-9a-f]+)"', response.text):
            self.csrf = match.group(1)
        return response

    async def sign_in(self) -> None:
        await self.request("/login", "GET", "/login")
        response = await self.request("/login (POST)", "POST", "/login", data={"token": self.token, "csrf": self.csrf})
        assert response is not None and response.status_code == 303, (self.name, response and response.text[:200])

    async def work(self, until: float) -> None:
        round_ = 0
        while time.perf_counter() < until:
            round_ += 1
            week = await self.request("/week", "GET", "/week")
            picks = re.findall(r'action="/week/(\d+)/accept"', week.text) if week is not None else []
            if picks:
                accepted = await self.request("/week/N/accept", "POST", f"/week/{picks[0]}/accept",
                                              data={"csrf": self.csrf})
                if accepted is not None and accepted.status_code == 303:
                    self.accepted.add(int(picks[0]))
            inbox = await self.request("/inbox", "GET", "/inbox")
            items = re.findall(r'data-item="(\d+)"', inbox.text) if inbox is not None else []
            if items:
                item = items[round_ % len(items)]
                await self.request("/items/ID", "GET", f"/items/{item}")
                started = await self.request("/study/start", "POST", "/study/start",
                                             data={"ref": item, "layer": "skim", "minutes": "10", "csrf": self.csrf})
                if started is not None and started.status_code == 303:
                    session = started.headers["location"]
                    await self.request("/study/ID", "GET", session)
                    finished = await self.request("/study/ID/finish", "POST", f"{session}/finish",
                                                  data={"outcome": "summarize", "summary": f"{self.name} read it.",
                                                        "csrf": self.csrf})
                    if finished is not None and finished.status_code == 303:
                        self.sessions += 1
            await self.request("/review", "GET", "/review")
            await self.request("/team", "GET", "/team")


async def load(base: str, tokens: dict[str, str], seconds: float) -> tuple[list[Person], float]:
    people = [Person(name, token, base) for name, token in tokens.items()]
    await asyncio.gather(*(p.sign_in() for p in people))
    started = time.perf_counter()
    await asyncio.gather(*(p.work(started + seconds) for p in people))
    elapsed = time.perf_counter() - started
    for p in people:
        await p.client.aclose()
    return people, elapsed


def wait_ready(base: str, token: str) -> float:
    import httpx

    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=600) as client:
        csrf = re.search(r'content="([0-9a-f]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"token": token, "csrf": csrf})
        while client.get("/week").status_code == 503:  # representations and links are prepared in the background
            time.sleep(2)
    return time.perf_counter() - started


def run(engine: str, url: str | None, args: argparse.Namespace, people: int) -> list[tuple[str, ...]]:
    from layerwise.ids import title_key

    home = Path(tempfile.mkdtemp(prefix=f"layerwise-team-{engine}-"))
    env = {**os.environ, "LAYERWISE_HOME": str(home)}
    if url:
        env["LAYERWISE_DATABASE_URL"] = url
    print(f"{engine}: building {args.items:,} items and {people} people in {home}", flush=True)
    tokens = build(home, env, args.items, people)
    server = subprocess.Popen([*LAYERWISE, "--user", "alice", "serve", "--port", "0"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert server.stdout is not None
    base = re.search(r"(http://\S+?)/", server.stdout.readline()).group(1)  # type: ignore[union-attr]
    rows = []
    try:
        prepare_seconds = wait_ready(base, tokens["alice"])
        print(f"  ready after {prepare_seconds:.0f} s of preparing", flush=True)
        baseline, elapsed = asyncio.run(load(base, {"alice": tokens["alice"]}, min(args.seconds, 20)))
        rows.append(_row(engine, "1 person, no sync (baseline)", baseline, elapsed, ""))
        served = {"body": feed_of(0, 0)}  # subscribed while empty: the entries come with the sync, under load
        feed_server, feed_url = serve_feed(served)
        cli({**env, "LAYERWISE_USER": "alice"}, "feed", "add", feed_url, "--name", "team")
        served["body"] = feed_of(args.sync, args.items)
        works = len({title_key(json.loads(line).get("title", "")) for n, line in enumerate(records(args.items + args.sync))
                     if n >= args.items})  # entries with one title are one work to dedupe
        before = _count(env)
        sync = threading.Thread(target=cli, args=({**env, "LAYERWISE_USER": "alice"}, "sync"))
        sync_started = time.perf_counter()
        sync.start()
        team, elapsed = asyncio.run(load(base, tokens, args.seconds))
        sync.join()
        sync_seconds = time.perf_counter() - sync_started
        feed_server.shutdown()
        checks = _check(env, team, before + works)
        rows.append(_row(engine, f"{people} people + sync of {args.sync:,} ({sync_seconds:.0f} s)", team, elapsed,
                         checks))
        if url:  # another machine on the same database: its own empty home, the embeddings read from PostgreSQL
            other = {**env, "LAYERWISE_HOME": tempfile.mkdtemp(prefix="layerwise-team-second-"), "LAYERWISE_USER": "alice"}
            started = time.perf_counter()
            cli(other, "week", "--refresh")  # picks chosen anew: the index is built in the empty home
            print(f"  a second machine's first `week --refresh` (empty home, same database): "
                  f"{time.perf_counter() - started:.1f} s, against {prepare_seconds:.0f} s of preparing on the first",
                  flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def _count(env: dict[str, str]) -> int:
    return int(json.loads(cli({**env, "LAYERWISE_USER": "alice"}, "overview", "--json"))["items"])


def _check(env: dict[str, str], team: list[Person], items: int) -> str:
    """Every accepted pick and finished session of every person is in the library; the sync's items too."""
    from layerwise.library import Library
    from layerwise.rank.plan import week_plan
    from layerwise.study import sessions

    missing = 0
    for person in team:
        library = Library(env["LAYERWISE_HOME"], env.get("LAYERWISE_DATABASE_URL"), user=person.name)
        states = {p.position: p.state for p in week_plan(library).picks}
        missing += sum(states.get(n) not in ("accepted", "done") for n in person.accepted)
        summed = sum(s["outcome"] == "summarize" for s in sessions.history(library))
        missing += max(0, person.sessions - summed)
        library.close()
    found = _count(env)
    return f"{missing} writes missing; {found:,} items ({items:,} expected)"


def _row(engine: str, case: str, people: list[Person], elapsed: float, checks: str) -> tuple[str, ...]:
    times: dict[str, list[float]] = defaultdict(list)
    for p in people:
        for label, values in p.times.items():
            times[label] += values
    requests = sum(len(v) for v in times.values())
    errors = sum(len(p.errors) for p in people)

    def cell(label: str) -> str:
        values = sorted(times.get(label, []))
        if not values:
            return "-"
        return f"{1000 * statistics.median(values):,.0f} / {1000 * values[int(0.95 * (len(values) - 1))]:,.0f}"

    return (engine, case, f"{requests / elapsed:,.1f}", cell("/week"), cell("/inbox"), cell("/items/ID"),
            cell("/study/start"), cell("/study/ID/finish"), cell("/team"), str(errors), checks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=170_000)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--sqlite-people", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sync", type=int, default=5000)
    parser.add_argument("--engines", default="postgresql,sqlite")
    args = parser.parse_args()
    rows = []
    for engine in args.engines.split(","):
        url = os.environ.get("LAYERWISE_TEST_POSTGRES_URL") if engine == "postgresql" else None
        if engine == "postgresql" and not url:
            raise SystemExit("PostgreSQL: run under scripts/with-postgres.sh (it sets LAYERWISE_TEST_POSTGRES_URL)")
        rows += run(engine, url, args, args.people if engine == "postgresql" else args.sqlite_people)
    print()
    print_table(["engine", "case", "requests/s", "/week ms p50 / p95", "/inbox", "/items/ID", "/study/start",
                 "finish", "/team", "errors", "checks"], rows)


if __name__ == "__main__":
    main()
