"""arXiv through its API (Atom), as documented at https://info.arxiv.org/help/api/user-manual.html."""

from __future__ import annotations

import os
from urllib.parse import urlencode

from layerwise import ids
from layerwise.capture import files
from layerwise.errors import FetchError, NotFound
from layerwise.net import fetch as http_get
from layerwise.records import Item

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


def api_url() -> str:
    return os.environ.get("LAYERWISE_ARXIV_API", "https://export.arxiv.org/api/query")


def fetch(arxiv_id: str) -> Item:
    url = f"{api_url()}?{urlencode({'id_list': arxiv_id, 'max_results': 1})}"
    response = http_get(url)
    items = parse(response.content, url)
    if not items:
        raise NotFound(f"arXiv has no paper {arxiv_id}", where=url)
    return items[0]


def parse(data: bytes, where: str) -> list[Item]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = files.xml_root(data)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise FetchError(f"arXiv API answered with something that is not Atom ({exc})", where=where) from None
    items = []
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id", "")
        if "/api/errors" in entry_id:
            raise FetchError(f"arXiv API error: {entry.findtext(f'{ATOM}summary', '').strip()}", where=where)
        arxiv_id = ids.arxiv_id(entry_id)
        title = entry.findtext(f"{ATOM}title")
        if not arxiv_id or not title:
            continue
        categories = [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
        primary = entry.find(f"{ARXIV}primary_category")
        if primary is not None and primary.get("term") in categories:
            categories.remove(primary.get("term", ""))
            categories.insert(0, primary.get("term", ""))
        published = entry.findtext(f"{ATOM}published", "")[:10] or None
        extra = {"updated": entry.findtext(f"{ATOM}updated", "")[:10] or None,
                 "comment": entry.findtext(f"{ARXIV}comment"),
                 "pdf": next((link.get("href") for link in entry.findall(f"{ATOM}link") if link.get("title") == "pdf"), None)}
        items.append(Item(
            title=title, kind="paper", abstract=entry.findtext(f"{ATOM}summary"),
            authors=[a.findtext(f"{ATOM}name", "") for a in entry.findall(f"{ATOM}author")],
            published=published, arxiv_id=arxiv_id, url=f"https://arxiv.org/abs/{arxiv_id}",
            doi=entry.findtext(f"{ARXIV}doi"), venue=entry.findtext(f"{ARXIV}journal_ref"),
            categories=[c for c in categories if c], extra={k: v for k, v in extra.items() if v}))
    return items
