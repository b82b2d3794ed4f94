"""The concept map: the bundled map's structure, validation on small hand-built maps, layers, frontier."""

import json
import textwrap

import pytest

from layerwise.concepts import graph, progress
from layerwise.concepts.overlay import OVERLAY, concept_map
from layerwise.errors import LayerwiseError


def test_bundled_map_is_valid_and_has_the_seed_chains():
    cmap = graph.load()
    for area in graph.AREAS:
        assert any(c.area == area for c in cmap.concepts.values()), area
    chain = [("tree", "graph"), ("dag", "tree"), ("airflow-dag", "dag"), ("spark-execution-plan", "dag"),
             ("autograd-graph", "dag"), ("ndarray", "array"), ("dataframe", "ndarray"), ("tensor", "dataframe")]
    for later, earlier in chain:
        assert earlier in cmap.prerequisites(later), f"{earlier} -> {later}"
    assert "graph" in cmap.concepts["dag"].links["is-a"]
    assert "airflow-dag" in cmap.concepts["dag"].links["used-in"]
    undirected = {s: set() for s in cmap.concepts}
    for slug in cmap.concepts:
        for _, target in cmap.links_out(slug):
            undirected[slug].add(target)
            undirected[target].add(slug)
    seen, stack = set(), ["graph"]
    while stack:
        s = stack.pop()
        if s not in seen:
            seen.add(s)
            stack.extend(undirected[s])
    lonely = set(cmap.concepts) - seen
    assert not lonely, f"concepts not linked into the map: {sorted(lonely)}"


def test_bundled_map_covers_both_halves_of_the_job_with_starting_resources():
    cmap = graph.load()
    assert len(cmap.concepts) >= 200
    areas = [c.area for c in cmap.concepts.values()]
    assert min(areas.count(a) for a in graph.AREAS) >= 40
    for c in cmap.concepts.values():
        assert c.description and len(c.description) < 200, c.slug
    for slug in ("git", "sql", "command-line", "concurrency", "memory-mapped-files", "distributed-systems",
                 "feature-store", "model-deployment", "monitoring", "ci-cd-for-ml", "mlops", "recommender-systems",
                 "evaluation", "reading-papers", "transformers", "statistics", "linear-algebra", "python"):
        assert slug in cmap.concepts, slug
    # every alias belongs to one concept, so a matched phrase is never ambiguous
    owners = {}
    for c in cmap.concepts.values():
        for alias in {a.lower() for a in c.aliases}:
            assert owners.setdefault(alias, c.slug) == c.slug, f"{alias!r}: {owners[alias]} and {c.slug}"
    titles = " | ".join(r.title for r in cmap.resources)
    for classic in ("The Elements of Statistical Learning", "Deep Learning", "Practical Deep Learning", "CS224n",
                    "Attention Is All You Need", "Illustrated Transformer", "Illustrated BERT", "Introduction to Algorithms",
                    "Machine Learning Yearning", "CS329S", "Reading Research Papers", "The Programmer's Brain",
                    "Project Euler"):
        assert classic in titles, classic
    kinds: dict[str, set[str]] = {}
    for r in cmap.resources:
        for slug in r.concepts:
            kinds.setdefault(slug, set()).add(r.kind)
    for slug in ("graph", "array", "linear-algebra", "probability", "statistics", "calculus", "optimization", "python",
                 "git", "sql", "command-line", "big-o", "neural-networks", "transformers", "reading-papers"):
        assert len(kinds.get(slug, ())) >= 2, f"{slug} has resources of one kind only: {kinds.get(slug)}"


def _write(tmp_path, body):
    path = tmp_path / "map.toml"
    path.write_text(textwrap.dedent(body))
    return path


def test_validation_names_the_concepts(tmp_path):
    base = '[[concept]]\nslug = "a"\nname = "A"\narea = "foundation"\n'
    with pytest.raises(LayerwiseError, match="duplicate concept slug 'a'"):
        graph.load(bundled=_write(tmp_path, base + base))
    with pytest.raises(LayerwiseError, match="'a' links \\(prerequisite\\) to unknown concept 'zzz'"):
        graph.load(bundled=_write(tmp_path, base + 'prerequisite = ["zzz"]\n'))
    cyclic = base + 'prerequisite = ["b"]\n[[concept]]\nslug = "b"\nname = "B"\narea = "letter"\nprerequisite = ["c"]\n' \
        '[[concept]]\nslug = "c"\nname = "C"\narea = "letter"\nprerequisite = ["a"]\n'
    with pytest.raises(LayerwiseError, match="prerequisite cycle: a -> b -> c -> a"):
        graph.load(bundled=_write(tmp_path, cyclic))
    with pytest.raises(LayerwiseError, match="not valid TOML"):
        graph.load(bundled=_write(tmp_path, "[[concept]\n"))


def test_overlay_adds_removes_hides_and_a_user_cycle_is_refused(library, tmp_path):
    overlay = library.home.path / OVERLAY
    overlay.parent.mkdir(parents=True, exist_ok=True)
    overlay.write_text('hide = ["reading-papers"]\n[[concept]]\nslug = "vector-db"\nname = "Vector database"\narea = "envelope"\n'
                       'description = "An index for nearest-neighbour search"\nprerequisite = ["embeddings"]\n'
                       '[[link]]\nfrom = "rag"\ntype = "prerequisite"\nto = "vector-db"\n'
                       '[[link]]\nfrom = "tensor"\ntype = "prerequisite"\nto = "dataframe"\nremove = true\n')
    cmap = concept_map(library)
    assert "vector-db" in cmap.prerequisites("rag") and "dataframe" not in cmap.prerequisites("tensor")
    assert "reading-papers" not in cmap.concepts
    overlay.write_text('[[link]]\nfrom = "graph"\ntype = "prerequisite"\nto = "dag"\n')
    with pytest.raises(LayerwiseError, match="prerequisite cycle: .*graph"):
        graph.load(overlay)
    # the map stays usable: the bundled map, and one line naming the problem
    cmap = concept_map(library)
    assert "dag" not in cmap.prerequisites("graph") and "vector-db" not in cmap.concepts
    assert "prerequisite cycle: " in cmap.warning and "concepts.toml are ignored" in cmap.warning


def test_cli_broken_overlay_warns_and_the_map_still_works(cli):
    import os
    from pathlib import Path

    cli("overview")
    overlay = Path(os.environ["LAYERWISE_HOME"]) / "concepts.toml"
    overlay.write_text("[[concept]\nslug = 'x'\n")
    result = cli("map", "show", "dag")
    assert result.code == 0 and "Directed acyclic graph" in result.out
    assert result.err.count("warning:") == 1 and "not valid TOML" in result.err and "Traceback" not in result.err
    assert cli("map", "show", "no-such-slug").code == 2
    # an editor that saves Windows-1252: TOML is UTF-8, so the file is set aside (the map) or named (the
    # config, which every command reads), never an internal error
    overlay.write_bytes('[[concept]]\nslug = "caf\xe9"\n'.encode("cp1252"))
    result = cli("map", "show", "dag")
    assert result.code == 0 and "not valid TOML ('utf-8' codec can't decode" in result.err
    config = overlay.parent / "config.toml"
    config.write_bytes('name = "caf\xe9"\n'.encode("cp1252"))
    result = cli("list")
    assert result.code == 2 and result.err.startswith(f"error: {config}: config is not valid TOML")


def test_layers_history_coverage_and_frontier_wide_before_deep(library):
    first = [e.slug for e in progress.frontier(library, None)]
    assert set(first) == {s for s, c in concept_map(library).concepts.items() if not c.links.get("prerequisite")}
    assert "dag" not in first
    progress.mark(library, "graph", "skimmed")
    assert "tree" not in [e.slug for e in progress.frontier(library, None)]  # skimmed is not enough
    progress.mark(library, "graph", "explored")
    entries = {e.slug: e for e in progress.frontier(library, None)}
    assert "tree" in entries and "Graph" in entries["tree"].reason and "graph" not in entries
    order = [e.slug for e in progress.frontier(library, None)]
    assert order.index("array") < order.index("tree")  # foundations without prerequisites before depth
    assert [h["layer"] for h in progress.history(library, "graph")] == ["skimmed", "explored"]
    assert progress.coverage(library)["foundation"]["explored"] == 1
    with pytest.raises(LayerwiseError, match="no concept 'nope'"):
        progress.mark(library, "nope", "explored")


def test_cli_map(cli):
    assert json.loads(cli("map", "--json").out)["letter"]["none"] > 5
    assert cli("map", "mark", "graph", "explored").code == 0
    shown = json.loads(cli("map", "show", "dag", "--json").out)
    assert {"type": "is-a", "to": "graph"} in shown["links_out"] and shown["layer"] == "none"
    assert any(e["slug"] == "tree" for e in json.loads(cli("map", "frontier", "--json", "-n", "50").out))
    assert cli("map", "show", "nope").code == 2
    assert cli("map", "mark", "graph", "mastered").code == 2


def test_overlay_resources_and_a_bad_resource_are_checked(tmp_path):
    ok = 'hide = ["project-euler-free"]\n[[resource]]\ntitle = "My notes on DAGs"\nkind = "post"\nurl = "https://example.org/dags"\n' \
         'concepts = ["dag"]\n'
    cmap = graph.load(_write(tmp_path, ok))
    assert cmap.resources[-1].title == "My notes on DAGs"
    bad = '[[resource]]\ntitle = "X"\nkind = "post"\nurl = "https://example.org/x"\nconcepts = ["nope"]\n'
    with pytest.raises(LayerwiseError, match="resource 'X' names unknown concept 'nope'"):
        graph.load(_write(tmp_path, bad))
    with pytest.raises(LayerwiseError, match="resource 1 lacks or misuses a field"):
        graph.load(_write(tmp_path, '[[resource]]\ntitle = "X"\n'))


def test_starting_resources_become_items_linked_to_their_concepts(library):
    from layerwise.concepts import linking, resources
    from layerwise.concepts.overlay import concept_map

    added = resources.ensure(library)
    assert added == len(concept_map(library).resources)
    assert resources.ensure(library) == 0  # idempotent
    euler = library.get("map:project-euler")
    assert euler.kind == "exercise" and euler.url == "https://projecteuler.net/"
    linked = linking.items_for(library, "transformers", limit=10)
    titles = {i.title: state for i, _, state in linked}
    assert titles["Attention Is All You Need"] == "confirmed"
    assert "The Illustrated Transformer" in titles
    why = resources.reasons(library, [i.id for i, _, _ in linked])
    assert any("three passes" in w for w in why.values())
    # an arXiv resource merges with the same paper captured another way instead of duplicating it
    assert library.get("arXiv:1706.03762").title == "Attention Is All You Need"


def test_linking_is_incremental_and_follows_map_changes(library, tmp_path):
    from layerwise.concepts import linking
    from layerwise.records import Item

    library.ingest([Item(title="Probability of a transformer", abstract="With high probability the tree search ends.")])
    linking.ensure_linked(library)
    slugs = _links(library)
    assert ("Probability of a transformer", "transformers") in slugs
    assert ("Probability of a transformer", "probability") in slugs  # generic names count in titles only
    assert not any(s == "tree" for _, s in slugs)
    library.ingest([Item(title="Scaling laws for two-tower models", abstract="We fit a dual encoder.")])
    linking.ensure_linked(library)  # links only the new item
    assert ("Scaling laws for two-tower models", "two-tower-model") in _links(library)
    assert ("Scaling laws for two-tower models", "scaling-laws") in _links(library)
    overlay = library.home.path / "concepts.toml"
    overlay.write_text('[[concept]]\nslug = "dual-encoders"\nname = "Dual encoders"\narea = "letter"\n'
                       'aliases = ["fit a dual"]\n')
    linking.ensure_linked(library)  # the map changed: everything relinks
    assert ("Scaling laws for two-tower models", "dual-encoders") in _links(library)


def _links(library):
    from sqlalchemy import text

    with library.store.begin() as conn:
        return {(r[0], r[1]) for r in conn.execute(text(
            "SELECT i.title, c.slug FROM item_concepts c JOIN items i ON i.id = c.item_id WHERE c.state = 'auto'"))}


def test_render_draws_a_neighbourhood_coloured_by_layer(cli, tmp_path):
    import shutil
    import xml.etree.ElementTree as ET

    from layerwise.concepts import render

    cmap = graph.load()
    assert set(render.neighbourhood(cmap, "dag", 1)) >= {"dag", "tree", "graph", "airflow-dag", "topological-sort"}
    assert len(render.neighbourhood(cmap, "dag", 0)) == 1
    assert all(cmap.concepts[s].area == "envelope" for s in render.neighbourhood(cmap, None, 0, "envelope"))
    cli("map", "mark", "graph", "explored")
    dot = cli("map", "render", "dag").out
    assert dot.startswith("digraph") and '"graph" [label="Graph\\nfoundation · explored", fillcolor="#c8e6c9"' in dot
    assert '"tree" -> "dag"' in dot  # prerequisites point to what builds on them
    assert 'penwidth=2.5' in dot.split('"tree" [')[1].split("\n")[0]  # tree is on the frontier now
    mermaid = cli("map", "render", "dag", "--format", "mermaid").out
    assert mermaid.startswith("flowchart BT") and "class " in mermaid and "explored" in mermaid
    if shutil.which("dot") is None:
        assert cli("map", "render", "dag", "--format", "svg").code == 2  # a clear error, not a traceback
        pytest.fail("Graphviz is required for the full suite (scripts/system-deps.sh installs it)")
    out = tmp_path / "dag.svg"
    result = cli("map", "render", "dag", "--depth", "2", "--format", "svg", "-o", str(out))
    assert result.code == 0
    svg = ET.parse(out).getroot()
    assert svg.tag.endswith("svg") and "Directed acyclic graph" in out.read_text()
    png = tmp_path / "dag.png"
    assert cli("map", "render", "dag", "--format", "png", "-o", str(png)).code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli("map", "render", "nope").code == 2


def test_items_link_to_concepts_and_user_decisions_stick(library):
    from layerwise.concepts import linking
    from layerwise.sample import SAMPLE_PATH

    library.import_file(str(SAMPLE_PATH), source="arxiv")
    rag = linking.items_for(library, "rag", limit=20)  # the first call links the library
    assert len(rag) >= 10
    assert all("rag" in i.title.lower() or "retrieval" in (i.title + (i.abstract or "")).lower() for i, _, _ in rag)
    assert {c for _, c, _ in rag} <= {linking.TITLE_CONFIDENCE, linking.ABSTRACT_CONFIDENCE}
    wrong = rag[0][0]
    linking.set_link(library, str(wrong.id), "rag", "removed")
    other = library.find("speculative decoding", limit=1)[0][0]
    linking.set_link(library, str(other.id), "rag", "confirmed")
    linking.link_all(library)  # relinking keeps both decisions
    ids = [i.id for i, _, _ in linking.items_for(library, "rag", limit=100)]
    assert wrong.id not in ids and ids[0] == other.id
    with pytest.raises(LayerwiseError, match="no concept"):
        linking.set_link(library, str(other.id), "nope", "confirmed")


def test_cli_map_show_lists_items_by_kind(cli):
    cli("demo")
    shown = json.loads(cli("map", "show", "rag", "--json", "--items", "5").out)
    assert shown["items"]["paper"] and len(shown["items"]["paper"]) == 5
    assert "links over" in cli("map", "link").out
    ref = str(shown["items"]["paper"][0]["id"])
    assert cli("map", "unlink", ref, "rag").code == 0
    assert all(r["id"] != int(ref) for r in json.loads(cli("map", "show", "rag", "--json").out)["items"]["paper"])
