"""HTTP for fetching what the user asks for: timeouts, bounded retries, a size cap, a clear User-Agent.

Only ever called when a user runs a command that fetches (add URL, feed add, sync). Errors become one
readable FetchError naming the URL.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from layerwise import __version__
from layerwise.errors import FetchError

USER_AGENT = f"layerwise/{__version__} (local-first reading library; +https://pypi.org/project/layerwise/)"
MAX_BYTES = 50 * 1024 * 1024
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_REDIRECTS = 10


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Guard:
    """What a shared server may fetch: public addresses only, so no member can point a feed or a capture at the
    server's own network (SSRF: cloud metadata, an admin port, a database). Every hop of a redirect is checked;
    the name is resolved once, checked, and the connection made to that very address (a name cannot resolve
    somewhere else between the check and the connection). `allow` names hosts, addresses or networks
    (10.0.0.0/8) let through anyway: `fetch_allow` in config.toml."""

    allow: tuple[str, ...] = ()

    def address(self, url: Any) -> str:
        """The checked address to connect to for an httpx URL, or a FetchError saying why not."""
        import ipaddress
        import socket

        if url.scheme not in ("http", "https"):
            raise FetchError(f"a shared library fetches only http(s) URLs, not {url.scheme}:", where=str(url))
        host = url.host
        try:
            found = socket.getaddrinfo(host, url.port or (443 if url.scheme == "https" else 80), type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"cannot resolve {host} ({exc})", where=str(url)) from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
        for ip in addresses:
            plain = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
            if not (plain.is_global and not plain.is_multicast) and not self._allowed(host, plain):
                raise FetchError(f"refused: {host} is a private, loopback or link-local address ({plain}), which a "
                                 "shared library does not fetch (fetch_allow in config.toml lets it)", where=str(url))
        return str(addresses[0])

    def _allowed(self, host: str, ip: Any) -> bool:
        import ipaddress

        for entry in self.allow:
            if entry.lower() == host.lower():
                return True
            try:
                if ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
        return False


def _setting(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class Http:
    """A pooled client; use as a context manager around a batch of fetches (a feed sync).

    Two clocks bound a request: `timeout` for each wait on the network (connect, each read), and `deadline`
    for the whole request, retries included. A server that sends a byte every few seconds never trips the
    first; a watchdog closes the connection when the second runs out."""

    def __init__(self, timeout: float | None = None, retries: int | None = None, deadline: float | None = None,
                 guard: Guard | None = None) -> None:
        self.guard = guard
        self.timeout = timeout if timeout is not None else _setting("LAYERWISE_HTTP_TIMEOUT", 20.0)
        self.retries = int(retries if retries is not None else _setting("LAYERWISE_HTTP_RETRIES", 2))
        self.deadline = deadline if deadline is not None else _setting("LAYERWISE_HTTP_DEADLINE", 60.0)
        self.backoff = _setting("LAYERWISE_HTTP_BACKOFF", 1.0)
        self._client: Any = None

    @property
    def client(self) -> Any:
        import httpx

        if self._client is None:  # again after a watchdog closed it
            self._client = httpx.Client(timeout=self.timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                                        headers={"User-Agent": USER_AGENT})
        return self._client

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        if self._client is not None:
            self._client.close()

    def get(self, url: str, headers: dict[str, str] | None = None, max_bytes: int = MAX_BYTES) -> Response:
        import httpx

        started = time.monotonic()
        expired = threading.Event()

        def expire() -> None:  # from the watchdog thread: the blocked read fails, the loop below says why
            expired.set()
            client, self._client = self._client, None
            if client is not None:
                client.close()

        watchdog = threading.Timer(self.deadline, expire)
        watchdog.daemon = True
        watchdog.start()
        last_error = "no attempt made"
        attempts = 0
        try:
            for attempt in range(self.retries + 1):
                pause = self.backoff * 2 ** (attempt - 1) if attempt else 0.0
                if time.monotonic() + pause - started >= self.deadline:
                    break
                time.sleep(pause)
                attempts += 1
                left = self.deadline - (time.monotonic() - started)
                try:
                    with self._open(url, headers, min(self.timeout, left)) as (resp, final):
                        if resp.status_code in RETRY_STATUSES and attempt < self.retries:
                            last_error = f"HTTP {resp.status_code}"
                            continue
                        if resp.status_code >= 400:
                            raise FetchError(f"HTTP {resp.status_code} {resp.reason_phrase}".strip(), where=url)
                        declared = int(resp.headers.get("content-length") or 0)
                        if declared > max_bytes:
                            raise FetchError(f"response is {declared // 2**20} MB, over the {max_bytes // 2**20} MB limit",
                                             where=url)
                        body = bytearray()
                        for chunk in resp.iter_bytes():
                            body += chunk
                            if len(body) > max_bytes:
                                raise FetchError(f"response is over the {max_bytes // 2**20} MB limit", where=url)
                        return Response(final, resp.status_code, {k.lower(): v for k, v in resp.headers.items()},
                                        bytes(body))
                except httpx.TimeoutException:
                    last_error = f"timed out after {min(self.timeout, left):g} s"
                except httpx.TooManyRedirects:
                    raise FetchError("too many redirects", where=url) from None
                except httpx.UnsupportedProtocol:
                    raise FetchError("not an http(s) URL", where=url) from None
                except httpx.InvalidURL as exc:
                    raise FetchError(f"invalid URL ({exc})", where=url) from None
                except (httpx.TransportError, httpx.StreamError) as exc:
                    if expired.is_set():
                        break
                    last_error = f"cannot connect ({type(exc).__name__}: {exc})" if str(exc) else f"cannot connect ({type(exc).__name__})"
                if expired.is_set():
                    break
        finally:
            watchdog.cancel()
        elapsed = time.monotonic() - started
        if expired.is_set():
            raise FetchError(f"stopped after {elapsed:.0f} s, the deadline for one request (LAYERWISE_HTTP_DEADLINE): "
                             "the server answers too slowly", where=url)
        tries = f"{attempts} attempts, {elapsed:.1f} s in all" if attempts > 1 else f"{elapsed:.1f} s"
        raise FetchError(f"{last_error} ({tries})", where=url)


    @contextmanager
    def _open(self, url: str, headers: dict[str, str] | None, timeout: float) -> Iterator[tuple[Any, str]]:
        """The response to GET url (redirects followed) and the URL it finally came from. With a guard, each hop
        goes to its checked address, with the name in the Host header and in TLS (SNI and the certificate)."""
        import httpx

        if self.guard is None:
            with self.client.stream("GET", url, headers=headers, timeout=timeout) as resp:
                yield resp, str(resp.url)
            return
        current = httpx.URL(url)
        for _hop in range(MAX_REDIRECTS + 1):
            pinned = current.copy_with(host=self.guard.address(current))
            request = self.client.build_request("GET", pinned, headers={**(headers or {}), "Host": current.netloc.decode()},
                                                timeout=timeout, extensions={"sni_hostname": current.host})
            resp = self.client.send(request, stream=True, follow_redirects=False)
            try:
                if not (resp.is_redirect and "location" in resp.headers):
                    yield resp, str(current)
                    return
                current = current.join(resp.headers["location"])
            finally:
                resp.close()
        raise httpx.TooManyRedirects("too many redirects", request=request)


def fetch(url: str, guard: Guard | None = None, **kwargs: Any) -> Response:
    with Http(guard=guard) as http:
        return http.get(url, **kwargs)
