"""Rendering pages: the template response every route returns, safe redirects, and the template helpers
(Markdown the user wrote, rendered and sanitised; colours and short forms)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from layerwise.concepts.render import LAYER_COLOURS


def markdown(text: str | None) -> Markup:
    """Markdown to HTML, then through nh3 (Ammonia): whatever HTML a note or a pasted snippet carries, no script,
    event handler or javascript: URL survives."""
    import nh3
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": True, "linkify": False}).render(text or "")
    return Markup(nh3.clean(html, url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer"))


def minutes(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def install(env: Any) -> None:
    env.filters["markdown"] = markdown
    env.filters["clock"] = minutes
    env.globals["layer_colours"] = LAYER_COLOURS


def page(request: Request, name: str, status_code: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> HTMLResponse:
    """Render a template with the current page's name for the navigation, and who is signed in (team mode)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, {"page": name.split(".")[0].split("_")[0],
                                                      "person": getattr(request.state, "person", None),
                                                      "csrf": getattr(request.state, "csrf", None) or
                                                      request.app.state.csrf, **context},
                                      status_code=status_code, headers=headers)


def local_path(path: str) -> str:
    """The path itself when it stays within the app, else "" (a form's `back` must never lead off-site)."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else ""
