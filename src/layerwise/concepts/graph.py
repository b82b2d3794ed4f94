"""Loading and validating a concept map (the bundled TOML file, plus the user's overlay in the home).

A map is a list of concepts: slug, name, area (letter, envelope, foundation), aliases, a description, and
typed links to other slugs: prerequisite, is-a, part-of, used-in, related; plus starting resources (a book,
a course, a paper, an exercise) for its concepts. Validation names the concepts involved: unknown link
targets, duplicate slugs, and prerequisite cycles (spelled out A -> B -> A).
"""

from __future__ import annotations

import copy
import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layerwise.errors import LayerwiseError
from layerwise.vocab import AREAS

LINK_TYPES = ("prerequisite", "is-a", "part-of", "used-in", "related")
BUNDLED = Path(__file__).resolve().parent.parent / "data" / "concept-map.toml"


@dataclass
class Concept:
    slug: str
    name: str
    area: str
    description: str
    aliases: list[str] = field(default_factory=list)
    links: dict[str, list[str]] = field(default_factory=dict)  # link type -> target slugs
    match: str = "any"  # where linking looks for the names: "any" (title and abstract) or "title"


@dataclass
class Resource:
    """A starting resource the map recommends for some concepts; it becomes an item in every library."""

    title: str
    kind: str
    url: str
    concepts: list[str]
    why: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None


@dataclass
class ConceptMap:
    concepts: dict[str, Concept]
    resources: list[Resource] = field(default_factory=list)
    warning: str | None = None  # the user's overlay could not be used; said once, the bundled map stands

    def links_out(self, slug: str) -> list[tuple[str, str]]:
        return [(kind, target) for kind, targets in self.concepts[slug].links.items() for target in targets]

    def links_in(self, slug: str) -> list[tuple[str, str]]:
        return [(kind, c.slug) for c in self.concepts.values() for kind, targets in c.links.items() if slug in targets]

    def prerequisites(self, slug: str) -> list[str]:
        return self.concepts[slug].links.get("prerequisite", [])

    def dependents(self, slug: str) -> list[str]:
        """Concepts that need this one (transitively): what learning it unlocks."""
        direct: dict[str, list[str]] = {}
        for c in self.concepts.values():
            for p in c.links.get("prerequisite", []):
                direct.setdefault(p, []).append(c.slug)
        seen: set[str] = set()
        stack = list(direct.get(slug, []))
        while stack:
            s = stack.pop()
            if s not in seen:
                seen.add(s)
                stack.extend(direct.get(s, []))
        return sorted(seen)

    def depth(self, slug: str) -> int:
        """Length of the longest prerequisite chain below a concept: 0 for a foundation with none."""
        memo: dict[str, int] = {}

        def walk(s: str) -> int:
            if s not in memo:
                memo[s] = 1 + max((walk(p) for p in self.prerequisites(s)), default=-1)
            return memo[s]

        return walk(slug)


def _parse(data: dict[str, Any], where: str) -> list[Concept]:
    out = []
    for n, raw in enumerate(data.get("concept", []), 1):
        try:
            links = {kind: list(raw.get(kind.replace("-", "_"), [])) for kind in LINK_TYPES}
            out.append(Concept(slug=str(raw["slug"]), name=str(raw["name"]), area=str(raw["area"]),
                               description=str(raw.get("description", "")), aliases=list(raw.get("aliases", [])),
                               links={k: v for k, v in links.items() if v}, match=str(raw.get("match", "any"))))
        except (KeyError, TypeError) as exc:
            raise LayerwiseError(f"concept {n} lacks or misuses a field ({exc})", where=where) from None
    return out


def _parse_resources(data: dict[str, Any], where: str) -> list[Resource]:
    out = []
    for n, raw in enumerate(data.get("resource", []), 1):
        try:
            out.append(Resource(title=str(raw["title"]), kind=str(raw["kind"]), url=str(raw["url"]),
                                concepts=[str(s) for s in raw["concepts"]], why=str(raw.get("why", "")),
                                authors=[str(a) for a in raw.get("authors", [])], year=raw.get("year")))
        except (KeyError, TypeError) as exc:
            raise LayerwiseError(f"resource {n} lacks or misuses a field ({exc})", where=where) from None
    return out


def _read(path: Path) -> dict[str, Any]:
    """The parsed file, parsed again only when it changes (a long-running server reads the map per request)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise LayerwiseError(f"cannot read the map: {exc.strerror}", where=str(path)) from None
    return copy.deepcopy(_parsed(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # TOML is UTF-8: an editor may save another
        raise LayerwiseError(f"not valid TOML ({exc})", where=path) from None
    except OSError as exc:
        raise LayerwiseError(f"cannot read the map: {exc.strerror}", where=path) from None


def build(concepts: list[Concept], where: str, resources: list[Resource] | None = None) -> ConceptMap:
    by_slug: dict[str, Concept] = {}
    for c in concepts:
        if c.slug in by_slug:
            raise LayerwiseError(f"duplicate concept slug {c.slug!r}", where=where)
        if c.match not in ("any", "title"):
            raise LayerwiseError(f"concept {c.slug!r} has match {c.match!r}; use any or title", where=where)
        if c.area not in AREAS:
            raise LayerwiseError(f"concept {c.slug!r} has area {c.area!r}; use one of {', '.join(AREAS)}", where=where)
        by_slug[c.slug] = c
    for c in concepts:
        for kind, target in ((k, t) for k, ts in c.links.items() for t in ts):
            if target not in by_slug:
                raise LayerwiseError(f"concept {c.slug!r} links ({kind}) to unknown concept {target!r}", where=where)
    for r in resources or []:
        for slug in r.concepts:
            if slug not in by_slug:
                raise LayerwiseError(f"resource {r.title!r} names unknown concept {slug!r}", where=where)
    cycle = find_cycle(by_slug)
    if cycle:
        raise LayerwiseError(f"prerequisite cycle: {' -> '.join(cycle)}", where=where)
    return ConceptMap(by_slug, list(resources or []))


def find_cycle(concepts: dict[str, Concept]) -> list[str] | None:
    """A prerequisite cycle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(slug: str) -> list[str] | None:
        state[slug] = 1
        path.append(slug)
        for p in concepts[slug].links.get("prerequisite", []):
            if state.get(p) == 1:
                return path[path.index(p):] + [p]
            if state.get(p) is None and (found := visit(p)):
                return found
        path.pop()
        state[slug] = 2
        return None

    for slug in concepts:
        if slug not in state and (found := visit(slug)):
            return found
    return None


def _unique(concepts: list[Concept], where: str) -> dict[str, Concept]:
    by_slug: dict[str, Concept] = {}
    for c in concepts:
        if c.slug in by_slug:
            raise LayerwiseError(f"duplicate concept slug {c.slug!r}", where=where)
        by_slug[c.slug] = c
    return by_slug


def load(overlay: Path | None = None, bundled: Path = BUNDLED) -> ConceptMap:
    """The bundled map with the user's overlay applied: added concepts, added or removed links, hidden concepts.

    Overlay format (TOML; top-level keys such as `hide = ["slug"]` must come before the first table):
    [[concept]] tables like the bundled ones, [[link]] tables with from, type, to and optional
    remove = true, and [[resource]] tables like the bundled ones."""
    base = _read(bundled)
    concepts = _unique(_parse(base, str(bundled)), str(bundled))
    resources = _parse_resources(base, str(bundled))
    where = str(bundled)
    if overlay is not None and overlay.exists():
        where = str(overlay)
        data = _read(overlay)
        concepts.update(_unique(_parse(data, where), where))  # an overlay concept replaces a bundled one
        resources += _parse_resources(data, where)
        for link in data.get("link", []):
            try:
                source, kind, target = link["from"], link["type"], link["to"]
            except KeyError as exc:
                raise LayerwiseError(f"a [[link]] needs from, type and to ({exc})", where=where) from None
            if source not in concepts:
                raise LayerwiseError(f"[[link]] from unknown concept {source!r}", where=where)
            if kind not in LINK_TYPES:
                raise LayerwiseError(f"[[link]] type {kind!r}; use one of {', '.join(LINK_TYPES)}", where=where)
            targets = concepts[source].links.setdefault(kind, [])
            if link.get("remove"):
                if target in targets:
                    targets.remove(target)
            elif target not in targets:
                targets.append(target)
        for slug in data.get("hide", []):
            concepts.pop(slug, None)
            for c in concepts.values():
                for kind in c.links:
                    c.links[kind] = [t for t in c.links[kind] if t != slug]
            for r in resources:
                r.concepts = [t for t in r.concepts if t != slug]
    return build(list(concepts.values()), where, [r for r in resources if r.concepts])
