"""Pictures of the concept map: a neighbourhood of a concept (or an area, or the whole map) as Graphviz DOT or
Mermaid text, and as SVG or PNG through Graphviz's `dot`. Nodes are coloured by the user's layer and the
frontier is outlined; each link type has its own line style."""

from __future__ import annotations

import shutil
import subprocess
from collections import deque

from layerwise.concepts.graph import ConceptMap
from layerwise.errors import LayerwiseError, NotFound
from layerwise.vocab import CONCEPT_LAYERS as LAYERS

FORMATS = ("dot", "mermaid", "svg", "png")
LAYER_COLOURS = {"none": "#ffffff", "skimmed": "#fff3c4", "explored": "#c8e6c9", "deepened": "#81c784", "built": "#388e3c"}
EDGE_STYLES = {  # graphviz attributes per link type
    "prerequisite": 'color="#333333"',
    "is-a": 'style=dashed, arrowhead=empty, color="#555555"',
    "part-of": 'style=dotted, arrowhead=diamond, color="#555555"',
    "used-in": 'color="#1f6fb2", penwidth=1.6',
    "related": 'style=dashed, dir=none, color="#999999"',
}
MERMAID_ARROWS = {"prerequisite": "-->", "is-a": "-.->", "part-of": "-.->", "used-in": "==>", "related": "---"}


def neighbourhood(cmap: ConceptMap, slug: str | None, depth: int, area: str | None = None) -> list[str]:
    """Slugs within `depth` links (either direction) of `slug`; without a slug, every concept (of one area)."""
    if slug is None:
        return [s for s, c in cmap.concepts.items() if area is None or c.area == area]
    if slug not in cmap.concepts:
        raise NotFound(f"no concept {slug!r} (see `layerwise map frontier`)")
    neighbours: dict[str, set[str]] = {s: set() for s in cmap.concepts}
    for s in cmap.concepts:
        for _, target in cmap.links_out(s):
            neighbours[s].add(target)
            neighbours[target].add(s)
    seen = {slug: 0}
    queue = deque([slug])
    while queue:
        s = queue.popleft()
        if seen[s] == depth:
            continue
        for t in sorted(neighbours[s]):
            if t not in seen:
                seen[t] = seen[s] + 1
                queue.append(t)
    return [s for s in seen if area is None or cmap.concepts[s].area == area or s == slug]


def _edges(cmap: ConceptMap, slugs: list[str]) -> list[tuple[str, str, str]]:
    chosen = set(slugs)
    return [(s, kind, t) for s in slugs for kind, t in cmap.links_out(s) if t in chosen]


def to_dot(cmap: ConceptMap, slugs: list[str], layers: dict[str, str], frontier: set[str], focus: str | None) -> str:
    lines = ["digraph concepts {", '  rankdir=BT; node [shape=box, style="rounded,filled", fontname="Helvetica", '
             'fontsize=11]; edge [fontname="Helvetica", fontsize=9];']
    for s in slugs:
        c = cmap.concepts[s]
        layer = layers.get(s, "none")
        extra = ', penwidth=2.5, color="#e65100"' if s in frontier else ""
        extra += ", fontsize=13" if s == focus else ""
        font = ', fontcolor="#ffffff"' if layer == "built" else ""
        label = f"{c.name}\\n{c.area} · {layer}".replace('"', "'")
        lines.append(f'  "{s}" [label="{label}", fillcolor="{LAYER_COLOURS[layer]}"{font}{extra}];')
    for s, kind, t in _edges(cmap, slugs):
        # an arrow points from what comes first to what builds on it, so prerequisites sit at the bottom
        if kind == "prerequisite":
            lines.append(f'  "{t}" -> "{s}" [{EDGE_STYLES[kind]}];')
        else:
            lines.append(f'  "{s}" -> "{t}" [label="{kind}", {EDGE_STYLES[kind]}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(cmap: ConceptMap, slugs: list[str], layers: dict[str, str], frontier: set[str]) -> str:
    ids = {s: f"c{n}" for n, s in enumerate(slugs)}
    lines = ["flowchart BT"]
    for s in slugs:
        name = cmap.concepts[s].name.replace('"', "'")
        lines.append(f'  {ids[s]}["{name}<br/>{layers.get(s, "none")}"]')
    for s, kind, t in _edges(cmap, slugs):
        arrow = MERMAID_ARROWS[kind]
        if kind == "prerequisite":
            lines.append(f"  {ids[t]} {arrow} {ids[s]}")
        else:
            lines.append(f"  {ids[s]} {arrow}|{kind}| {ids[t]}")
    for layer in LAYERS:
        members = [ids[s] for s in slugs if layers.get(s, "none") == layer]
        if members:
            colour = LAYER_COLOURS[layer]
            lines.append(f"  classDef {layer} fill:{colour},stroke:#333")
            lines.append(f"  class {','.join(members)} {layer}")
    if any(s in frontier for s in slugs):
        lines.append("  classDef frontier stroke:#e65100,stroke-width:3px")
        lines.append(f"  class {','.join(ids[s] for s in slugs if s in frontier)} frontier")
    return "\n".join(lines) + "\n"


def render_image(dot: str, fmt: str) -> bytes:
    """SVG or PNG from DOT through Graphviz."""
    exe = shutil.which("dot")
    if exe is None:
        raise LayerwiseError("drawing svg or png needs Graphviz (`apt install graphviz` or `brew install graphviz`); "
                             "--format dot or mermaid work without it")
    try:
        done = subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        raise LayerwiseError("Graphviz took over two minutes; draw a smaller neighbourhood (--depth 1)") from None
    if done.returncode != 0:
        raise LayerwiseError(f"Graphviz failed: {done.stderr.decode(errors='replace').strip().splitlines()[-1:]}")
    return done.stdout
