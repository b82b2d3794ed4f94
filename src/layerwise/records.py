"""The item: one resource in the library, and the shape every importer produces."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from layerwise import ids
from layerwise.vocab import KINDS, STATUSES  # noqa: F401 (named here for readers of records)


@dataclass
class Item:
    title: str
    kind: str = "paper"
    abstract: str | None = None
    body: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # ISO date, possibly only YYYY or YYYY-MM
    year: int | None = None
    venue: str | None = None
    url: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    canonical_url: str | None = None
    title_key: str | None = None
    categories: list[str] = field(default_factory=list)
    status: str = "inbox"
    extra: dict[str, Any] = field(default_factory=dict)
    refs: list[tuple[str, str]] = field(default_factory=list)  # (source, the source's own id)
    tags: list[str] = field(default_factory=list)
    cited_by: int | None = None  # citations counted by an outside source (OpenAlex, Google Scholar, a dump)
    cites: list[Cite] = field(default_factory=list)  # what the record points at, stored as the reference graph
    endorsed_by: tuple[str, str | None] | None = None  # (curated list, context) that recommends this record
    mentioned: bool = False  # only cited so far: a placeholder that a captured record completes
    id: int | None = None
    added_at: str | None = None
    updated_at: str | None = None

    @property
    def library_id(self) -> int:
        """The id of an item read from the library (a record not stored yet has none)."""
        if self.id is None:
            raise ValueError(f"{self.title!r} is not in the library yet")
        return self.id

    def normalise(self) -> Item:
        """Clean text fields and derive the canonical ids used for dedupe."""
        self.title = clean_text(self.title) or ""
        self.abstract = clean_text(self.abstract, keep_paragraphs=True)
        self.authors = [a for a in (clean_text(a) for a in self.authors) if a]
        self.venue = clean_text(self.venue)
        self.doi = ids.doi(self.doi) or ids.doi(self.url)
        self.arxiv_id = (ids.arxiv_id(self.arxiv_id) or ids.arxiv_from_doi(self.doi)
                         or ids.arxiv_id(self.url))
        if self.doi and ids.arxiv_from_doi(self.doi):
            self.doi = None  # arXiv's own DOI is the arXiv id again, not a publisher DOI
        if self.arxiv_id and not self.url:
            self.url = f"https://arxiv.org/abs/{self.arxiv_id}"
        if self.doi and not self.url:
            self.url = f"https://doi.org/{self.doi}"
        self.canonical_url = ids.canonical_url(self.url)
        self.title_key = ids.title_key(self.title)
        if self.year is None and self.published and re.match(r"\d{4}", self.published):
            self.year = int(self.published[:4])
        self.categories = list(dict.fromkeys(c.strip() for c in self.categories if c and c.strip()))
        self.tags = list(dict.fromkeys(t.strip().lower() for t in self.tags if t and t.strip()))
        if self.arxiv_id:
            self.add_ref("arxiv", self.arxiv_id)
        if self.doi:
            self.add_ref("doi", self.doi)
        return self

    def add_ref(self, source: str, ref: str) -> None:
        pair = (source, str(ref))
        if pair not in self.refs:
            self.refs.append(pair)

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "title": self.title, "abstract": self.abstract,
            "body": self.body, "authors": to_json(self.authors),
            "published": self.published, "year": self.year, "venue": self.venue, "url": self.url,
            "arxiv_id": self.arxiv_id, "doi": self.doi, "canonical_url": self.canonical_url,
            "title_key": self.title_key, "categories": to_json(self.categories),
            "status": self.status, "extra": to_json(self.extra),
            "cited_by": self.cited_by, "added_at": self.added_at, "updated_at": self.updated_at,
        }

    @classmethod
    def from_row(cls, row: Any) -> Item:
        m = dict(row)
        m.pop("search", None)
        for key, empty in (("authors", "[]"), ("categories", "[]"), ("extra", "{}")):
            m[key] = json.loads(m.get(key) or empty)
        return cls(**m)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape shown by `--json` and written by the JSONL export."""
        data = self.to_row()
        data.update(authors=self.authors, categories=self.categories, extra=self.extra,
                    refs=[f"{s}:{r}" for s, r in self.refs], tags=self.tags, mentioned=self.mentioned)
        for key in ("canonical_url", "title_key"):
            data.pop(key)
        return data


@dataclass(frozen=True)
class Cite:
    """A reference from a record to another work: `target` is its key (arxiv:ID, doi:DOI or url:CANONICAL-URL),
    `context` the words around it (the link text, the reference string)."""

    target: str
    context: str | None = None
    title: str | None = None  # the cited work's title, when the reference spells it out
    year: int | None = None
    origin: str = "link"  # where it was found: page, feed, pdf, openalex

    @property
    def scheme(self) -> str:
        return self.target.partition(":")[0]

    @property
    def value(self) -> str:
        return self.target.partition(":")[2]


@dataclass(frozen=True)
class Skip:
    """A record an importer could not use, with where it was and why."""

    where: str
    reason: str


# one encoder for every row: `json.dumps` with options builds a new one per call (a second of a 170k import)
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def to_json(value: Any) -> str:
    """A row's JSON text; an empty list or object, as most records' `extra` is, without the encoder's Python."""
    if not value and isinstance(value, (list, dict)):
        return "[]" if isinstance(value, list) else "{}"
    return _encode(value)


def clean_text(text: str | None, keep_paragraphs: bool = False) -> str | None:
    if text is None:
        return None
    text = str(text)
    # clean already, or only wrapped into lines (most names, titles and abstracts): printable text holds no
    # whitespace but " ", so with single spaces between words it is what splitting and joining would give
    flat = text.replace("\n", " ") if keep_paragraphs else text
    if flat.isprintable() and "  " not in flat and flat[:1] != " " and flat[-1:] != " ":
        return flat or None
    text = text.replace("\x00", "")
    if keep_paragraphs:
        paragraphs = [(" ".join(p.split())) for p in re.split(r"\n\s*\n", text)]
        text = "\n\n".join(p for p in paragraphs if p)
    else:
        text = " ".join(text.split())
    return text or None
