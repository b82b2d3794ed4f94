"""`similar`: the default ranker over a real library, --among semantics, the cached index."""

import json
from pathlib import Path

import pytest

from conftest import data_file
from layerwise.errors import LayerwiseError
from layerwise.rank.similar import similar


@pytest.fixture
def csfcube(sqlite_library):
    sqlite_library.import_file(str(data_file("relevance", "csfcube-dev", "corpus.jsonl.gz")), source="csfcube",
                               mapping={"id": "paper_id", "title": "title", "text": "abstract"})
    return sqlite_library


def _judged(query):
    import csv

    path = data_file("relevance", "csfcube-dev", "qrels.tsv")
    with open(path, encoding="utf-8") as f:
        return {r["candidate_id"]: int(r["relevance"]) for r in csv.DictReader(f, delimiter="\t")
                if r["query_id"] == query and r["facet"] == "method"}


def test_among_ranks_exactly_the_listed_items_and_relevant_ones_rise(csfcube):
    judged = _judged("11310392")
    result = similar(csfcube, "csfcube:11310392", among=[f"csfcube:{c}" for c in judged], limit=None)
    refs = [r.ref for r in result.results]
    assert len(refs) == len(set(refs)) and set(refs) <= {f"csfcube:{c}" for c in judged}
    assert len(refs) >= len(judged) - 2  # a few corpus duplicates are one item
    scores = [r.score for r in result.results]
    assert scores == sorted(scores, reverse=True)
    relevance = [judged[r.removeprefix("csfcube:")] for r in refs]
    half = len(relevance) // 2
    assert sum(relevance[:half]) > sum(relevance[half:])  # expert-judged relevant papers come first


def test_unknown_duplicate_and_self_references_are_reported(csfcube):
    result = similar(csfcube, "csfcube:11310392",
                     among=["csfcube:10010426", "csfcube:10010426", "csfcube:nope", "csfcube:11310392"], limit=None)
    assert [r.ref for r in result.results] == ["csfcube:10010426"]
    assert result.unknown == ["csfcube:nope"] and len(result.duplicates) == 2
    with pytest.raises(LayerwiseError, match="names no item"):
        similar(csfcube, "csfcube:11310392", among=["csfcube:nope"])


def test_whole_library_similar_and_index_rebuilt_after_a_change(csfcube, tmp_path):
    top = similar(csfcube, "csfcube:10010426", limit=5).results
    assert len(top) == 5 and all(r.item_id != csfcube.resolve("csfcube:10010426") for r in top)
    meta = json.loads((Path(csfcube.home.path) / "index" / "meta.json").read_text())
    extra = tmp_path / "more.jsonl"
    extra.write_text(json.dumps({"id": "x1", "title": "Factual versus emotional argument styles in online debate forums",
                                 "abstract": "We classify factual and feeling-based arguments in debate forum posts."}) + "\n")
    csfcube.import_file(str(extra), source="more")
    top = similar(csfcube, "csfcube:10010426", limit=3).results
    assert json.loads((Path(csfcube.home.path) / "index" / "meta.json").read_text()) != meta
    assert top[0].ref == "more:x1"  # the new, closely related item is found at once


def test_cli_similar_json_and_warnings(cli, tmp_path):
    cli("import", str(data_file("relevance", "csfcube-dev", "corpus.jsonl.gz")), "--source", "csfcube",
        "--id-field", "paper_id", "--title-field", "title", "--text-field", "abstract")
    among = tmp_path / "among.txt"
    among.write_text("csfcube:10010426\n# a comment\ncsfcube:11310392\ncsfcube:missing\n\n")
    result = cli("similar", "csfcube:2468783", "--among", str(among), "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert [set(d) for d in data] == [{"ref", "score"}] * 2
    assert {d["ref"] for d in data} == {"csfcube:10010426", "csfcube:11310392"}
    assert "1 references in --among match no item" in result.err
    assert cli("similar", "csfcube:does-not-exist").code == 2


def test_index_embeds_each_item_once(sqlite_library, tmp_path, monkeypatch):
    from sqlalchemy import text

    from layerwise.represent import dense, index

    library = sqlite_library
    from layerwise.sample import SAMPLE_PATH

    library.import_file(str(SAMPLE_PATH), source="arxiv")
    first = index.load_index(library)
    encoded = []
    real = dense.encoder_for

    class Counting:  # a proxy: the real encoder is cached per process and must stay untouched
        def __init__(self, encoder):
            self.encoder, self.name = encoder, encoder.name

        def encode(self, texts):
            encoded.extend(texts)
            return self.encoder.encode(texts)

    def counting(config):
        return Counting(real(config))

    monkeypatch.setattr(dense, "encoder_for", counting)
    assert len(index.load_index(library).ids) == len(first.ids) and encoded == []  # unchanged: nothing to do
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "n1", "title": "Speculative decoding with tiny draft models on CPUs"}) + "\n")
    library.import_file(str(path), source="one")
    updated = index.load_index(library)
    assert len(encoded) == 1 and len(updated.ids) == len(first.ids) + 1
    assert similar(library, "one:n1", limit=1).results  # the new item is searchable at once
    with library.store.begin() as conn:
        conn.execute(text("DELETE FROM items WHERE id = :i"), {"i": library.resolve("one:n1")})
    assert len(index.load_index(library).ids) == len(first.ids)
