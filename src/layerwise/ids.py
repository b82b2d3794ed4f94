"""Canonical identifiers, so that one work found in several places becomes one item.

arXiv ids lose their version, DOIs are lower-cased without resolver prefix, URLs lose tracking
parameters and cosmetic differences, titles become an alphanumeric key for near-duplicate matching.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_NEW_ARXIV = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_OLD_ARXIV = re.compile(r"\b([a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\b")
_ARXIV_HOSTS = {"arxiv.org", "export.arxiv.org", "www.arxiv.org", "alphaxiv.org", "www.alphaxiv.org"}
_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)
# a plain web address: lower-case host without port or user, a path without whitespace, no query, no fragment
_PLAIN_URL = re.compile(r"https?://([a-z0-9.-]+)(/[^?#\s]*)?")
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref_src|ref|source|igshid|si)$", re.IGNORECASE)


def split_url(url: str) -> SplitResult | None:
    """The parts of a URL, or None when it cannot be one (an unclosed IPv6 bracket, a port out of range):
    captured text is never trusted to be well formed."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (checks the port; raises ValueError when it is not a number in range)
    except ValueError:
        return None
    return parts


def join_url(base: str, href: str) -> str | None:
    """`href` as an address from the page at `base`, or None when either cannot be one (as `split_url`)."""
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def host_of(url: str | None) -> str:
    """The lower-cased host of a URL, or "" when there is none."""
    parts = split_url(url) if url else None
    return (parts.hostname or "").lower() if parts else ""


def arxiv_id(text: str | None) -> str | None:
    """The version-less arXiv id in a bare id, an `arXiv:` reference, or an arxiv.org URL."""
    if not text:
        return None
    text = text.strip()
    if text.lower().startswith("arxiv:"):
        text = text[6:].strip()
    if "://" in text:
        if "arxiv.org" not in text.lower():  # no arXiv host can be in it: spares parsing most URLs
            return None
        parts = split_url(text)
        if parts is None or parts.hostname not in _ARXIV_HOSTS:
            return None
        text = parts.path
        for prefix in ("/abs/", "/pdf/", "/html/", "/format/"):
            if text.startswith(prefix):
                text = text[len(prefix):]
                break
        else:
            return None
        text = text.removesuffix(".pdf")
        return _bare_arxiv(text)
    return _bare_arxiv(text, whole=True)


def _bare_arxiv(text: str, whole: bool = False) -> str | None:
    for pattern in (_NEW_ARXIV, _OLD_ARXIV):
        match = pattern.fullmatch(text) if whole else pattern.search(text)
        if match is None and whole:
            match = pattern.fullmatch(re.sub(r"v\d+$", "", text))
        if match:
            return match.group(1)
    return None


def doi(text: str | None) -> str | None:
    """A normalised DOI (lower case, no resolver prefix) from a bare DOI, `doi:` or a doi.org URL."""
    if not text:
        return None
    text = text.strip()
    if "://" in text:
        if "doi.org" not in text.lower():  # no resolver's host can be in it: spares parsing most URLs
            return None
        parts = split_url(text)
        if parts is None or not (parts.hostname or "").endswith("doi.org"):
            return None
        text = parts.path.lstrip("/")
    text = re.sub(r"^doi:\s*", "", text, flags=re.IGNORECASE)
    match = _DOI.fullmatch(text)
    if not match:
        return None
    return match.group(1).rstrip(".,;").lower()


def arxiv_from_doi(normalised_doi: str | None) -> str | None:
    """arXiv's own DOIs (10.48550/arxiv.2503.11731) name an arXiv paper."""
    if normalised_doi and normalised_doi.startswith("10.48550/arxiv."):
        return arxiv_id(normalised_doi.removeprefix("10.48550/arxiv."))
    return None


def canonical_url(url: str | None) -> str | None:
    """One spelling per web address: https, no www., no fragment, no tracking parameters, no trailing /."""
    if not url:
        return None
    url = url.strip()
    # most addresses are already plain (lower-case host, no port, query or fragment): spelled here without
    # parsing them, the same as `_canonical_parsed` spells them (tests/test_ids.py holds the two equal)
    plain = _PLAIN_URL.fullmatch(url)
    if plain is None:
        return _canonical_parsed(url)
    host, path = plain.group(1).removeprefix("www."), plain.group(2) or ""
    path = (re.sub(r"/{2,}", "/", path) if "//" in path else path).rstrip("/")
    return f"https://{host}{path}"


def _canonical_parsed(url: str) -> str | None:
    parts = split_url(url)
    hostname = parts.hostname if parts is not None else None  # each read of a part parses it again
    if parts is None or parts.scheme not in ("http", "https") or not hostname:
        return None
    host, port = hostname.lower().removeprefix("www."), parts.port
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    query = parts.query and urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                                             if not _TRACKING.match(k)))
    path = (re.sub(r"/{2,}", "/", parts.path) if "//" in parts.path else parts.path).rstrip("/")
    if host in ("youtube.com", "m.youtube.com") and path == "/watch":
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k == "v"])
    return urlunsplit(("https", host, path, query, ""))


_LATEX_CMD = re.compile(r"\\[a-zA-Z]+\*?")
# what reading lists add to a title to say what a link is: "(Paper)", "[Video]", "(pdf)"
_LABELS = re.compile(r"[(\[]\s*(paper|pdf|code|video|slides?|blog( post)?|post|talk|podcast|arxiv|html|link|website|"
                     r"project( page)?|demo|github|repo)\s*[)\]]", re.IGNORECASE)
_NON_ALNUM_ASCII = re.compile(r"[^a-z0-9]+")


def title_key(title: str | None) -> str | None:
    """An accent-, case-, LaTeX- and punctuation-free key: near-identical titles share it."""
    if not title:
        return None
    text = _LATEX_CMD.sub(" ", _LABELS.sub(" ", title) if "(" in title or "[" in title else title)
    if text.isascii():  # the common case, ten times faster than the Unicode path below
        return _NON_ALNUM_ASCII.sub("", text.lower()) or None
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    key = "".join(ch for ch in text if ch.isalnum())
    return key or None


def title_words(title: str | None) -> int:
    return len(re.findall(r"\w+", title or ""))


def slug(text: str, max_len: int = 60) -> str:
    """A lower-case, hyphenated name that is safe in file names and references."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:max_len].rstrip("-") or "untitled"
