"""A neighbourhood of the concept map laid out for an SVG in the page: the chosen concept in the middle, each
ring one link further away, and each ring ordered by where its neighbours sit in the ring inside it, so links
cross little. Pure Python: the page needs no Graphviz."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from layerwise.concepts.render import neighbourhood

if TYPE_CHECKING:
    from layerwise.concepts.graph import ConceptMap

RING = 190  # pixels between rings
MIN_GAP = 120  # pixels between neighbours on a ring (rings grow to keep labels apart)
MAX_NODES = 60  # readable for a few dozen nodes
STRETCH = 1.6  # rings are ellipses, wider than tall, because labels are: neighbours at the top never overlap


@dataclass
class Node:
    slug: str
    name: str
    area: str
    layer: str
    ring: int
    x: float
    y: float
    frontier: bool
    centre: bool


@dataclass
class Edge:
    source: str
    target: str
    kind: str
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class Layout:
    nodes: list[Node]
    edges: list[Edge]
    box: tuple[float, float, float, float]  # the SVG viewBox: x, y, width, height


def radial(cmap: ConceptMap, centre: str, depth: int, layers: dict[str, str], frontier: set[str]) -> Layout:
    slugs = neighbourhood(cmap, centre, depth)[:MAX_NODES]
    kept = set(slugs)
    neighbours: dict[str, set[str]] = {s: set() for s in slugs}
    links = []
    for s in slugs:
        for kind, t in cmap.links_out(s):
            if t in kept:
                neighbours[s].add(t)
                neighbours[t].add(s)
                links.append((s, t, kind))
    ring_of = {centre: 0}
    for s in slugs:  # neighbourhood() lists slugs breadth first, so a ring's inner neighbours come before it
        if s != centre:
            ring_of[s] = 1 + min((ring_of[n] for n in neighbours[s] if n in ring_of), default=depth - 1)
    angle = {centre: 0.0}
    position = {centre: (0.0, 0.0)}
    for ring in range(1, max(ring_of.values(), default=0) + 1):
        members = [s for s in slugs if ring_of[s] == ring]

        def inner_angle(slug: str, ring: int = ring) -> float:
            inner = [angle[n] for n in neighbours[slug] if ring_of.get(n) == ring - 1 and n in angle]
            if not inner:
                return 0.0
            return math.atan2(sum(math.sin(a) for a in inner), sum(math.cos(a) for a in inner)) % (2 * math.pi)

        members.sort(key=lambda s: (inner_angle(s), s))
        radius = max(RING * ring, MIN_GAP * len(members) / (2 * math.pi))
        for n, slug in enumerate(members):
            a = 2 * math.pi * n / len(members) + (math.pi / len(members) if ring % 2 else 0)
            angle[slug] = a
            position[slug] = (STRETCH * radius * math.cos(a), radius * math.sin(a))
    nodes = [Node(s, cmap.concepts[s].name, cmap.concepts[s].area, layers.get(s, "none"), ring_of[s],
                  round(position[s][0], 1), round(position[s][1], 1), s in frontier, s == centre) for s in slugs]
    edges = [Edge(s, t, kind, *position[s], *position[t]) for s, t, kind in links]
    width = max((abs(n.x) for n in nodes), default=0) + 90
    height = max((abs(n.y) for n in nodes), default=0) + 40
    return Layout(nodes, edges, (-width, -height, 2 * width, 2 * height))
