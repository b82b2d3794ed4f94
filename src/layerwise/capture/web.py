"""Web pages: main text and metadata through trafilatura; the kind guessed from the address and page."""

from __future__ import annotations

import re
import warnings

from layerwise.capture import citations, html_text
from layerwise.capture.kinds import guess_kind
from layerwise.errors import LayerwiseError
from layerwise.records import Item

MAX_BODY = 200_000


def parse(html: bytes, url: str, *, saved: bool = False) -> Item:
    """A page fetched from `url`; or, `saved` to a file, a page whose address is the one it gives as its own,
    else `url` (where it was saved from, "" when unknown)."""
    import trafilatura

    page = html_text.document(html, limit=200_000)
    if saved:
        url = html_text.own_address(page) or url
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    og_type = html_text.meta_property(page, "og:type")
    title = (getattr(doc, "title", None) if doc else None) or html_text.title(page)
    if not title:
        raise LayerwiseError("the page has no title and no readable text", where=url or None)
    text = (getattr(doc, "text", None) or "") if doc else ""
    author = getattr(doc, "author", None) if doc else None
    date = getattr(doc, "date", None) if doc else None
    tags = getattr(doc, "tags", None) if doc else None
    return Item(
        title=title, kind=guess_kind(url, og_type), url=url or None,
        abstract=(getattr(doc, "description", None) if doc else None) or (text[:600] if text else None),
        body=text[:MAX_BODY] or None,
        authors=[a.strip() for a in re.split(r";|\band\b", author) if a.strip()] if author else [],
        published=date if date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else None,
        venue=getattr(doc, "sitename", None) if doc else None,
        categories=[t.strip() for t in re.split(r",", tags) if t.strip()][:20] if isinstance(tags, str) else [],
        extra={"site": getattr(doc, "sitename", None)} if doc and getattr(doc, "sitename", None) else {},
        cites=citations.from_html(html, url),
    )
