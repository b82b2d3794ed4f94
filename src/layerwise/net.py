"""HTTP for fetching what the user asks for: timeouts, bounded retries, a size cap, a clear User-Agent.

Only ever called when a user runs a command that fetches (add URL, feed add, sync). Errors become one
readable FetchError naming the URL.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from layerwise import __version__
from layerwise.errors import FetchError

USER_AGENT = f"layerwise/{__version__} (local-first reading library; +https://pypi.org/project/layerwise/)"
MAX_BYTES = 50 * 1024 * 1024
RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def _setting(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class Http:
    """A pooled client; use as a context manager around a batch of fetches (a feed sync)."""

    def __init__(self, timeout: float | None = None, retries: int | None = None) -> None:
        import httpx

        self.timeout = timeout if timeout is not None else _setting("LAYERWISE_HTTP_TIMEOUT", 20.0)
        self.retries = int(retries if retries is not None else _setting("LAYERWISE_HTTP_RETRIES", 2))
        self.backoff = _setting("LAYERWISE_HTTP_BACKOFF", 1.0)
        self.client = httpx.Client(timeout=self.timeout, follow_redirects=True, max_redirects=10,
                                   headers={"User-Agent": USER_AGENT})

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.client.close()

    def get(self, url: str, headers: dict[str, str] | None = None, max_bytes: int = MAX_BYTES) -> Response:
        import httpx

        last_error = "no attempt made"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with self.client.stream("GET", url, headers=headers) as resp:
                    if resp.status_code in RETRY_STATUSES and attempt < self.retries:
                        last_error = f"HTTP {resp.status_code}"
                        continue
                    if resp.status_code >= 400:
                        raise FetchError(f"HTTP {resp.status_code} {resp.reason_phrase}".strip(), where=url)
                    declared = int(resp.headers.get("content-length") or 0)
                    if declared > max_bytes:
                        raise FetchError(f"response is {declared // 2**20} MB, over the {max_bytes // 2**20} MB limit", where=url)
                    body = bytearray()
                    for chunk in resp.iter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise FetchError(f"response is over the {max_bytes // 2**20} MB limit", where=url)
                    return Response(str(resp.url), resp.status_code, {k.lower(): v for k, v in resp.headers.items()},
                                    bytes(body))
            except httpx.TimeoutException:
                last_error = f"timed out after {self.timeout:g} s"
            except httpx.TooManyRedirects:
                raise FetchError("too many redirects", where=url) from None
            except httpx.UnsupportedProtocol:
                raise FetchError("not an http(s) URL", where=url) from None
            except httpx.InvalidURL as exc:
                raise FetchError(f"invalid URL ({exc})", where=url) from None
            except httpx.TransportError as exc:
                last_error = f"cannot connect ({type(exc).__name__}: {exc})" if str(exc) else f"cannot connect ({type(exc).__name__})"
        raise FetchError(last_error, where=url)


def fetch(url: str, **kwargs: Any) -> Response:
    with Http() as http:
        return http.get(url, **kwargs)
