"""A one-screen picture of the library: what is in it, from where, and what to do next."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from layerwise.library import Library
from layerwise.store import feeds as feed_rows
from layerwise.store import graph
from layerwise.store import statuses as status_rows


def overview(library: Library, top: int = 8) -> dict[str, Any]:
    store = library.store
    with store.begin() as conn:
        kinds = store.counts(conn, "kind")
        statuses = dict(status_rows.counts(conn))
        sources = store.source_counts(conn)
        tags = store.tag_counts(conn)[:top]
        categories: Counter[str] = Counter()
        for value in store.column_values(conn, "categories"):
            for category in json.loads(value or "[]")[:1]:  # the primary category only
                categories[category] += 1
        months: Counter[str] = Counter(v[:7] for v in store.column_values(conn, "published") if v and len(v) >= 7)
        feeds = feed_rows.all_feeds(conn)
        recent_ids, total = store.find(conn, limit=5)
        recent = store.items(conn, recent_ids)
        references = graph.summary(conn)
    return {
        "items": total,
        "by_kind": dict(kinds),
        "by_status": statuses,
        "by_source": dict(sources[:top]),
        "top_categories": dict(categories.most_common(top)),
        "by_month": dict(sorted(months.items())[-12:]),
        "tags": dict(tags),
        "feeds": len(feeds),
        "feeds_failing": sum(1 for f in feeds if f.last_error),
        "recent": [{"id": i.id, "title": i.title, "kind": i.kind} for i in recent],
        "graph": references,
    }
