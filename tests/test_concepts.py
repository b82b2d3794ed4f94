"""The concept map: the bundled map's structure, validation on small hand-built maps, layers, frontier."""

import json
import textwrap

import pytest

from layerwise.concepts import graph, progress
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
    lonely = set(cmap.concepts) - seen - {"reading-papers", "git", "big-o"}
    assert not lonely, f"concepts not linked into the map: {sorted(lonely)}"


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
    overlay = library.home.path / progress.OVERLAY
    overlay.parent.mkdir(parents=True, exist_ok=True)
    overlay.write_text('hide = ["reading-papers"]\n[[concept]]\nslug = "vector-db"\nname = "Vector database"\narea = "envelope"\n'
                       'description = "An index for nearest-neighbour search"\nprerequisite = ["embeddings"]\n'
                       '[[link]]\nfrom = "rag"\ntype = "prerequisite"\nto = "vector-db"\n'
                       '[[link]]\nfrom = "tensor"\ntype = "prerequisite"\nto = "dataframe"\nremove = true\n')
    cmap = progress.concept_map(library)
    assert "vector-db" in cmap.prerequisites("rag") and "dataframe" not in cmap.prerequisites("tensor")
    assert "reading-papers" not in cmap.concepts
    overlay.write_text('[[link]]\nfrom = "graph"\ntype = "prerequisite"\nto = "dag"\n')
    with pytest.raises(LayerwiseError, match="prerequisite cycle: .*graph"):
        progress.concept_map(library)


def test_layers_history_coverage_and_frontier_wide_before_deep(library):
    first = [e.slug for e in progress.frontier(library, None)]
    assert set(first) == {s for s, c in progress.concept_map(library).concepts.items() if not c.links.get("prerequisite")}
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
