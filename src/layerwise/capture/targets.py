"""`layerwise add`: what the user named (an arXiv id or URL, a DOI, a web page, a PDF on disk), fetched
and parsed into an item that is not stored yet."""

from __future__ import annotations

from pathlib import Path

from layerwise import ids
from layerwise.capture import arxiv as arxiv_api
from layerwise.capture import doi as crossref
from layerwise.capture import feeds, files, pdf, web
from layerwise.capture.contract import Head
from layerwise.capture.formats import detect_format
from layerwise.errors import FetchError, LayerwiseError
from layerwise.net import Guard, fetch
from layerwise.records import Item


def resolve_target(target: str, guard: Guard | None = None) -> Item:
    """What `layerwise add` was given, fetched and parsed into an item (not yet stored); with a guard (a shared
    library), web pages only from public addresses."""
    target = target.strip()
    if guard is not None and target.lower().startswith("file:"):
        raise LayerwiseError("a shared library does not capture file: URLs", where=target)
    path = Path(target).expanduser()
    if not target.startswith(("http://", "https://")) and path.exists():
        head = Head(files.head(path), path.name)
        if head.is_html_page or head.is_web_archive:
            return _saved_page(path, head.is_web_archive)
        fmt = detect_format(path)
        if fmt != "pdf":
            raise LayerwiseError(f"this is a {fmt} file; bring it in with `layerwise import {target}`", where=target)
        item = pdf.parse(files.read_bytes(path), target)
        item.add_ref("file", str(path.resolve()))
        return item
    if arxiv := ids.arxiv_id(target):
        return arxiv_api.fetch(arxiv)
    if (doi := ids.doi(target)) and not ids.arxiv_from_doi(doi):
        return crossref.fetch(doi)
    if doi and (arxiv := ids.arxiv_from_doi(doi)):
        return arxiv_api.fetch(arxiv)
    if target.startswith(("http://", "https://")):
        return _fetch_page(target, guard)
    raise LayerwiseError("not an arXiv id, DOI, http(s) URL, or a PDF or saved web page on disk", where=target)


MAX_SAVED_PAGE = 50 * 2**20  # as much as a page fetched from the web may be


def _saved_page(path: Path, archive: bool) -> Item:
    """A web page saved to a file ("Save page as", wget, or an MHTML archive), read as if fetched from the address
    it gives as its own, so adding that address later finds the same item; without one the item has no address."""
    content, address = files.read_bytes(path, MAX_SAVED_PAGE), None
    if archive:
        content, address = _archived_page(content, str(path))
    try:
        item = web.parse(content, address or "", saved=True)
    except LayerwiseError as exc:
        if exc.where:
            raise
        raise LayerwiseError(str(exc), where=str(path)) from None  # the file, as there is no address to name
    item.add_ref("file", str(path.resolve()))
    return item


def _archived_page(data: bytes, where: str) -> tuple[bytes, str | None]:
    """The page in an MHTML archive (its first HTML part, decoded) and the address it was saved from."""
    import email
    import email.policy

    archive = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in archive.walk():
        if part.get_content_type() == "text/html":
            html = part.get_payload(decode=True)
            saved_from = str(archive.get("Snapshot-Content-Location") or part.get("Content-Location") or "").strip()
            if isinstance(html, bytes) and html.strip():
                return html, saved_from if saved_from.startswith(("http://", "https://")) else None
    raise LayerwiseError("a web archive (MHTML) with no HTML page in it", where=where)


def _fetch_page(url: str, guard: Guard | None) -> Item:
    response = fetch(url, guard=guard)
    if response.content.startswith(b"%PDF-") or response.content_type == "application/pdf":
        item = pdf.parse(response.content, url, url=url)
        return item
    if response.content_type in ("application/rss+xml", "application/atom+xml", "application/feed+json") or \
            (response.content.lstrip()[:200].lower().startswith((b"<?xml", b"<rss", b"<feed")) and not feeds.looks_like_html(response.content)):
        raise FetchError("this is a feed; subscribe with `layerwise feed add URL`", where=url)
    if response.content_type and not ("html" in response.content_type or response.content_type.startswith("text/")):
        raise FetchError(f"cannot read {response.content_type} content", where=url)
    item = web.parse(response.content, response.url)
    if response.url != url:
        item.extra["requested_url"] = url
    return item
