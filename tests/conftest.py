"""Fixtures: a tmp home, the library on every engine, a real local HTTP server, the shared data folder."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
POSTGRES_URL = os.environ.get("LAYERWISE_TEST_POSTGRES_URL")

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run on PostgreSQL are marked `postgres`, so `-m "not postgres"` is the SQLite half alone."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real home, never wait on retries, never reach the internet."""
    monkeypatch.setenv("LAYERWISE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAYERWISE_DATABASE_URL", raising=False)
    monkeypatch.setenv("LAYERWISE_HTTP_BACKOFF", "0")
    monkeypatch.setenv("LAYERWISE_HTTP_TIMEOUT", "3")
    monkeypatch.setenv("LAYERWISE_ARXIV_API", "http://127.0.0.1:9/unreachable-arxiv")
    monkeypatch.setenv("LAYERWISE_CROSSREF_API", "http://127.0.0.1:9/unreachable-crossref")


def data_file(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


def downgrade_library(url: str, revision: str) -> None:
    """Take a library back to an earlier schema revision with the migrations' own downgrades: a library as the
    previous release left it, for the upgrade tests."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    import layerwise.store

    config = Config()
    config.set_main_option("script_location", str(Path(layerwise.store.__file__).parent / "migrations"))
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    engine.dispose()


def _reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own on the same server (tests reset theirs)."""
    import psycopg

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base, _, name = url.rpartition("/")
    own = f"{name}_{worker}"
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own,)).fetchone():
            conn.execute(f'CREATE DATABASE "{own}"')
    return f"{base}/{own}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'home' / 'library.sqlite3'}"
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL half: LAYERWISE_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server (run the suite with `make test`, which starts one)")
    url = _worker_database(POSTGRES_URL)
    _reset_postgres(url)
    return url


@pytest.fixture
def library(db_url: str, tmp_path: Path) -> Iterator[Any]:
    from layerwise.library import Library

    lib = Library(tmp_path / "home", database_url=db_url)
    yield lib
    lib.close()


@pytest.fixture
def sqlite_library(tmp_path: Path) -> Iterator[Any]:
    from layerwise.library import Library

    lib = Library(tmp_path / "home")
    yield lib
    lib.close()


# -- a real HTTP server serving recorded responses ---------------------------------------------------
@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    handler: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]] | None = None
    delay: float = 0.0


@dataclass
class Server:
    base: str
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes | str = b"", status: int = 200, **headers: str) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, status, {k.replace("_", "-"): v for k, v in headers.items()})
        return self.url(path)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


@pytest.fixture
def http_server() -> Iterator[Server]:
    routes: dict[str, Route] = {}
    requests: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = routes.get(self.path) or routes.get(self.path.split("?")[0])
            if route is None:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            elif route.handler:
                status, headers, body = route.handler(self)
            else:
                if route.delay:
                    import time
                    time.sleep(route.delay)
                status, headers, body = route.status, route.headers, route.body
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Server(f"http://127.0.0.1:{server.server_address[1]}", routes, requests)
    server.shutdown()
    server.server_close()


# -- running the CLI in-process -------------------------------------------------------------------
@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    from layerwise.cli.main import main

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


# -- a server too slow to finish: for deadlines --------------------------------------------------------
@dataclass
class Drip:
    base: str

    def url(self, mode: str) -> str:
        """mode: body (headers at once, then a byte every interval), headers (the status line a byte at a
        time), silent (accepts, never answers)."""
        return f"{self.base}/{mode}"


@pytest.fixture
def drip_server() -> Iterator[Drip]:
    """A raw TCP server on loopback that answers as slowly as a misbehaving host. Each connection stops by
    itself after 30 s or when the client goes away."""
    import socket
    import time

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                request = conn.recv(65536).decode("latin-1")
                mode = request.split(" ", 2)[1].strip("/") if " " in request else "silent"
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n"
                ends = time.monotonic() + 30
                if mode == "body":
                    conn.sendall(head)
                drip = head if mode == "headers" else b"<" * 100000 if mode == "body" else b""
                for byte in drip:
                    if stop.is_set() or time.monotonic() > ends:
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(0.25)
                while not stop.is_set() and time.monotonic() < ends:  # silent
                    time.sleep(0.1)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield Drip(f"http://127.0.0.1:{listener.getsockname()[1]}")
    stop.set()
    thread.join(timeout=5)
    listener.close()
