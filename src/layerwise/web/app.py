"""The local web app: server-rendered pages over the same library core as the CLI.

Security, in the order a request meets it:
  person   a team's library (people added with `layerwise user add`): every page but sign-in needs a session,
           opened with a personal access token (web/signin.py); each request acts as its person only;
  host     bound to loopback, only requests addressed to loopback names are served (no DNS rebinding);
  token    bound to another address, every request needs the access token (`?token=` once, then a cookie);
  csrf     every POST carries a token derived from a secret kept in the home (forms: a hidden field, scripts:
           the X-CSRF-Token header), so another site cannot make the browser act on the library;
  content  captured text is escaped by the templates; Markdown the user wrote is rendered and then cleaned by
           nh3 (the Ammonia sanitiser) before it reaches a page.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from layerwise.errors import LayerwiseError, NotFound
from layerwise.web import concepts, reinforce, render, signin, study, triage, weekly
from layerwise.web.warmup import Warmup

if TYPE_CHECKING:
    from layerwise.library import Library

HERE = Path(__file__).resolve().parent
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
TOKEN_COOKIE = "layerwise_token"
SECRET_FILE = "web-secret"
# Scripts only from the app's own files: even markup that slipped past escaping and sanitising cannot run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NAV = (("inbox", "Inbox"), ("week", "This week"), ("study", "Study"), ("notes", "Notes"), ("map", "Concept map"),
       ("review", "Review"), ("digest", "Digest"), ("stats", "Stats"))


def csrf_secret(library: Library) -> bytes:
    """A secret kept in the home (readable by the user only), so pages open before a restart still post."""
    path = library.home.path / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # created readable by the user only, and only once if two servers start together
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    secret = path.read_bytes().strip()
    if len(secret) < 32:
        raise LayerwiseError(f"the web app's secret is damaged: delete {path} and start again")
    return secret


def create_app(library: Library, token: str | None = None, allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS) -> FastAPI:
    """The app over one library. With a token, every request must carry it and any Host is accepted."""
    app = FastAPI(title="layerwise", docs_url=None, redoc_url=None, openapi_url=None)
    library.signs_in = True  # the server acts for nobody: each request for the person signed in (team mode)
    app.state.library = library
    app.state.throttle = signin.Throttle()
    app.state.warmup = Warmup(library)
    app.state.lock = threading.Lock()
    app.state.token = token
    secret = csrf_secret(library)
    app.state.csrf = hmac.new(secret, b"csrf", sha256).hexdigest()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    render.install(templates.env)
    templates.env.globals.update(nav=NAV, csrf=app.state.csrf)
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        session = request.cookies.get(signin.SESSION_COOKIE, "")
        team, person = await anyio.to_thread.run_sync(signin.who, library, session)
        request.state.library, request.state.person = (library.as_person(person), person) if person else (library, None)
        # a person's forms carry a token of their own session: another member cannot forge one for them
        request.state.csrf = hmac.new(secret, session.encode(), sha256).hexdigest() if person else app.state.csrf
        if team:  # a team's library: every page but sign-in needs a person signed in, whatever the address
            if person is None and not request.url.path.startswith(signin.OPEN_PATHS):
                if request.method == "GET":
                    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
                return PlainTextResponse("sign in first: this library is shared by a team", status_code=401)
        elif token is None and request.url.hostname not in allowed_hosts:
            return PlainTextResponse("layerwise serves this address only on 127.0.0.1 or localhost", status_code=421)
        elif token is not None:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given, token):
                response = RedirectResponse(request.url.remove_query_params("token"), status_code=303)
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                return response
            if not hmac.compare_digest(request.cookies.get(TOKEN_COOKIE, ""), token):
                return PlainTextResponse("an access token is needed: open the URL `layerwise serve` printed",
                                         status_code=401)
        if request.method == "POST":
            sent = request.headers.get("x-csrf-token")
            if sent is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                sent = parse_qs((await request.body()).decode("utf-8", "replace")).get("csrf", [""])[0]
            if not sent or not hmac.compare_digest(sent, request.state.csrf):
                return PlainTextResponse("refused: this form did not come from layerwise (reload the page)",
                                         status_code=403)
        # One request at a time touches the library (the CLI may write too: SQLite WAL and busy timeouts).
        await anyio.to_thread.run_sync(app.state.lock.acquire)
        try:
            response = await call_next(request)
        finally:
            app.state.lock.release()
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        return templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "message": message},
                                          status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(str(e.get("loc", ("", "?"))[-1]) for e in exc.errors())
        return templates.TemplateResponse(request, "error.html",
                                          {"status": 400, "message": f"missing or malformed: {fields}"}, status_code=400)

    @app.exception_handler(LayerwiseError)
    async def user_error(request: Request, exc: LayerwiseError) -> Response:
        status = 404 if isinstance(exc, NotFound) else 400
        return templates.TemplateResponse(request, "error.html", {"status": status, "message": str(exc)},
                                          status_code=status)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/week", status_code=303)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    for module in (signin, triage, weekly, study, concepts, reinforce):
        app.include_router(module.router)
    return app
