"""HTML fragments (feed summaries) to plain text: tags dropped, scripts and styles dropped with their
content, entities decoded. What is stored is text, so nothing from a feed can run where it is shown."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "pre",
          "section", "article", "table", "hr", "figure"}
_DROP = {"script", "style", "noscript", "template", "iframe", "object", "svg", "math", "head"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _DROP:
            self.dropping += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP and self.dropping:
            self.dropping -= 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(data)


def to_text(html: str | None) -> str | None:
    if not html:
        return None
    if "<" not in html and "&" not in html:
        return html.strip() or None
    parser = _Text()
    parser.feed(html)
    parser.close()
    paragraphs = [" ".join(p.split()) for p in "".join(parser.parts).split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p) or None
