"""Which item a reference names: the library's own id, `SOURCE:ID`, an arXiv id, a DOI, a URL, or `pick:N`."""

from __future__ import annotations

import re

from layerwise import ids
from layerwise.errors import NotFound
from layerwise.store import Store
from layerwise.store import profile as plan_rows
from layerwise.times import iso_week


def resolve(store: Store, ref: str) -> int:
    """An item id from the library's own id, `SOURCE:ID`, an arXiv id, a DOI, a URL, or `pick:N` (the
    pick numbered N in this week's plan, as `layerwise week` shows it)."""
    ref = ref.strip()
    if match := re.fullmatch(r"pick:(\d+)", ref, re.IGNORECASE):
        return _pick(store, int(match.group(1)))
    with store.reading() as conn:
        if re.fullmatch(r"#?\d+", ref):
            item_id = int(ref.lstrip("#"))
            if store.items(conn, [item_id]):
                return item_id
            raise NotFound(f"no item with id {item_id}")
        source, sep, external = ref.partition(":")
        if sep and re.fullmatch(r"[A-Za-z0-9][\w\-.]*", source) and source.lower() not in ("http", "https"):
            if owner := store.ref_owner(conn, source, external):
                return owner
        if arxiv := ids.arxiv_id(ref):
            if owner := store.ref_owner(conn, "arxiv", arxiv):
                return owner
        if doi := ids.doi(ref):
            if owner := store.ref_owner(conn, "doi", doi):
                return owner
        if url := ids.canonical_url(ref):
            owners = store.ids_where(conn, "canonical_url", url)
            if owners:
                return owners[0]
        owners = store.ref_owner_any_source(conn, ref)
        if len(owners) == 1:
            return owners[0]
    raise NotFound(f"no item matches {ref!r} (use an id from `layerwise list`, SOURCE:ID, an arXiv id, a DOI or a URL)")

def _pick(store: Store, position: int) -> int:
    with store.reading() as conn:
        picks = [p for p in plan_rows.picks(conn, iso_week()) if p.state != "skipped"]
    if not picks:
        raise NotFound("this week has no plan yet: `layerwise week` makes it")
    found = next((p for p in picks if p.position == position), None)
    if found is None:
        raise NotFound(f"this week's plan has no pick {position} (see `layerwise week`)")
    return found.item_id
