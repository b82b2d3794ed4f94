"""Template helpers: Markdown the user wrote, rendered and sanitised; colours and short forms for the pages."""

from __future__ import annotations

from typing import Any

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

