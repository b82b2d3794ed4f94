"""`layerwise serve`: the local web app over the same library."""

from __future__ import annotations

import click

from layerwise import people
from layerwise.errors import LayerwiseError
from layerwise.web.app import create_app

LOOPBACK = ("127.0.0.1", "localhost", "::1")
BACKLOG = 2048  # uvicorn's default


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback requires an access token (generated unless --token); a "
                   "team's library always asks each person to sign in.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--token", envvar="LAYERWISE_TOKEN", metavar="TOKEN",
              help="Access token to require (default: none on loopback, a fresh random one otherwise).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, token: str | None) -> None:
    """The web app: inbox triage with the keyboard, this week's plan, a study timer with the note editor,
    the concept map, review, digest and stats. Ctrl-C stops it; everything saved is in the library."""
    import secrets
    import signal
    import socket

    import uvicorn

    library = ctx.obj.library
    library.signs_in = True  # each request acts for the person signed in, the server for nobody
    team = people.shared(library.open())
    if team:  # people sign in with their own tokens (docs/team.md)
        token = None
    elif host not in LOOPBACK and not token:
        token = secrets.token_urlsafe(24)
    app = create_app(library, token=token)
    try:  # bind first, so a taken port is one clear line rather than a server log
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # listening before the URL is printed: a client that reads it and connects at once finds the socket
        # accepting (connections queue until uvicorn serves them), never a refused connection
        sock.listen(BACKLOG)
    except OSError as exc:
        raise LayerwiseError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    click.echo(f"layerwise is serving {library.home.path} at {url}")
    if team:
        click.echo("a team's library: each person signs in with their token (`layerwise user token NAME`)", err=True)
    elif token:
        click.echo("anyone with this URL can use your library: share it only with yourself", err=True)
    click.echo("Ctrl-C to stop", err=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", backlog=BACKLOG)
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on Ctrl-C or SIGTERM and then passes the signal on; for serve, that signal is
    # simply how to stop, so it ends here with "stopped" and exit code 0
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        signal.signal(signal.SIGTERM, previous)
    click.echo("stopped", err=True)


COMMANDS = [serve]
