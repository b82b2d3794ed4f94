"""Long work for the pages, done once and in the background: computing the item representations and linking
items to the concept map after a large import can take a minute, and no request should wait for it (nor hold
the app's one-request-at-a-time lock while it runs). A page that needs that work answers "preparing" with
the progress, and reloads until it is done; every other page answers meanwhile. Small amounts of work (a
sync, a few hundred items) are still done inline, as before."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import HTMLResponse

from layerwise.errors import LayerwiseError
from layerwise.rank.prepare import prepare, work
from layerwise.web.render import page

if TYPE_CHECKING:
    from layerwise.library import Library


def _threshold() -> int:
    try:
        return int(os.environ.get("LAYERWISE_WEB_BACKGROUND_ABOVE", "20000"))
    except ValueError:
        return 20000


class Warmup:
    """The one background job of an app: bring the representations and the concept links up to date."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.thread: threading.Thread | None = None
        self.done = 0
        self.total = 0
        self.doing = ""
        self.error: str | None = None

    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def work(self) -> int:
        """Items the representations would embed now; linking counts once those are current."""
        return work(self.library)

    def start(self, total: int) -> None:
        if self.busy():
            return
        self.done, self.total, self.error, self.doing = 0, total, None, "indexing your items"
        self.thread = threading.Thread(target=self._run, name="layerwise-warmup", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            prepare(self.library, self)
        except LayerwiseError as exc:
            self.error = str(exc)
        except Exception as exc:  # reported on the next page rather than lost with the thread
            self.error = f"{type(exc).__name__}: {exc}"

    def stage(self, label: str, total: int | None) -> None:  # rank.prepare.Progress: what the page shows
        self.doing = label
        if total:  # linking counts nothing: the page keeps showing what embedding did
            self.done, self.total = 0, total

    def __call__(self, done: int) -> None:
        self.done = done


def ready(request: Request) -> bool:
    """Whether a page can use the representations now without a long wait."""
    warmup: Warmup = request.app.state.warmup
    return not warmup.busy() and warmup.work() <= _threshold()


def preparing(request: Request, what: str) -> HTMLResponse | None:
    """The "preparing" page while the background work runs (or when this request would start a lot of it);
    None when the page can be made now."""
    warmup: Warmup = request.app.state.warmup
    if not warmup.busy():
        if warmup.error:
            error, warmup.error = warmup.error, None
            raise LayerwiseError(f"preparing the library failed: {error}")
        work = warmup.work()
        if work <= _threshold():
            return None
        warmup.start(work)
    response = page(request, "preparing.html", status_code=503, doing=warmup.doing, done=warmup.done,
                    total=warmup.total, what=what, retry=2)
    response.headers["Retry-After"] = "2"
    return response
