"""Signing in to a team's library: a personal access token once, then a session cookie that expires.

Failed sign-ins are limited per client address (behind a reverse proxy on the same machine, uvicorn takes the
client's address from X-Forwarded-For): after FAILURES wrong tokens within WINDOW seconds, that address waits
out the rest of the window. Tokens are never logged, never put in a URL, and only their digests are kept.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from layerwise import people
from layerwise.web.render import local_path, page

router = APIRouter()
SESSION_COOKIE = "layerwise_session"
FAILURES = 5
WINDOW = 600.0  # seconds
OPEN_PATHS = ("/login", "/static/", "/favicon.ico")  # what a browser that is not signed in may load


class Throttle:
    """Wrong tokens per client address in the last WINDOW seconds."""

    def __init__(self, failures: int = FAILURES, window: float = WINDOW) -> None:
        self.failures, self.window = failures, window
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait(self, address: str) -> float:
        """Seconds this address must wait before trying again (0: it may try now)."""
        with self._lock:
            seen = self._forget(address)
            return 0.0 if len(seen) < self.failures else self.window - (time.monotonic() - seen[0])

    def failed(self, address: str) -> None:
        with self._lock:
            self._forget(address).append(time.monotonic())

    def _forget(self, address: str) -> deque[float]:
        seen = self._seen[address]
        while seen and time.monotonic() - seen[0] > self.window:
            seen.popleft()
        return seen


def client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/week") -> HTMLResponse:
    return page(request, "login.html", next=local_path(next) or "/week")


@router.post("/login")
def login(request: Request, token: str = Form(""), next: str = Form("/week")) -> Response:
    throttle: Throttle = request.app.state.throttle
    address = client(request)
    if (wait := throttle.wait(address)) > 0:
        return page(request, "login.html", status_code=429, next=local_path(next) or "/week",
                    error=f"Too many wrong tokens from this address: try again in {int(wait // 60) + 1} minutes.",
                    headers={"Retry-After": str(int(wait) + 1)})
    signed = people.sign_in(request.state.library, token.strip())
    if signed is None:
        throttle.failed(address)
        return page(request, "login.html", status_code=401, next=local_path(next) or "/week",
                    error="That token is not valid here (mistyped, revoked, or its person was removed).")
    cookie, _person = signed
    response = RedirectResponse(local_path(next) or "/week", status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=people.SESSION_DAYS * 86400, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    people.sign_out(request.state.library, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def who(library: Any, cookie: str) -> tuple[bool, people.Person | None]:
    """Whether the library is a team's, and who this cookie signs in (run off the event loop: it reads the
    database)."""
    if not people.shared(library):
        return False, None
    return True, people.signed_in(library, cookie)
