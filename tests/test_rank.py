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


def _sync(library, tmp_path, name, titles):
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"id": f"{name}{n}", "title": t}) + "\n" for n, t in enumerate(titles)))
    library.import_file(str(path), source=name)


def _fresh_process(library):
    from layerwise.represent import index

    index._CACHE.clear()  # what a new process starts with
    return index


def test_a_sync_appends_a_chunk_and_a_change_compacts_the_index(sqlite_library, tmp_path, monkeypatch):
    """The index grows by chunks of the new items, and by an overlay of changed ones; too many chunks join the
    appended ones, and a removed item rewrites it whole (issue 16)."""
    import sqlite3

    import numpy as np

    from layerwise.represent import chunks, index
    from layerwise.sample import SAMPLE_PATH

    library = sqlite_library
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    monkeypatch.setattr(chunks, "GROWTH", 1.0)
    monkeypatch.setattr(chunks, "ROOM", 2)  # the embeddings file is full after two more rows, then grows
    first = index.load_index(library)
    folder = Path(library.home.path) / "index"
    _sync(library, tmp_path, "a", ["Paged attention for serving large language models"])
    _sync(library, tmp_path, "b", ["Quantized KV caches", "Speculative decoding with draft heads"])
    index.load_index(library)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["chunks"][0] == "c0" and len(meta["chunks"]) == 2 and meta["sizes"] == [len(first.ids), 3]
    assert meta["rows"] == len(first.ids) + 3 and meta["capacity"] >= meta["rows"]  # it grew past its room
    reread = _fresh_process(library).load_index(library)  # read back from the chunks
    assert len(reread.ids) == len(first.ids) + 3 and similar(library, "b:b1", limit=1).results
    assert reread.dense.shape == (len(reread.ids), first.dense.shape[1]) and reread.tfidf.shape[0] == len(reread.ids)
    assert type(reread.tfidf).__name__ == "Stacked"  # the chunks are read as they are, not joined
    monkeypatch.setattr(index, "MAX_CHUNKS", 2)
    c0 = (folder / "c0" / "ids.npy").stat().st_mtime_ns
    _sync(library, tmp_path, "c", ["Continuous batching"])
    joined = index.load_index(library)  # the appended chunks are joined into one; the first is not rewritten
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["chunks"][0] == "c0" and len(meta["chunks"]) == 2 and meta["sizes"] == [len(first.ids), 4]
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == meta["chunks"]
    assert (folder / "c0" / "ids.npy").stat().st_mtime_ns == c0
    reread = _fresh_process(library).load_index(library)
    assert reread.ids.tolist() == joined.ids.tolist() and len(reread.ids) == len(first.ids) + 4
    assert (reread.tfidf[list(range(len(reread.ids)))] != joined.tfidf[list(range(len(joined.ids)))]).nnz == 0
    assert similar(library, "c:c0", limit=1).results
    joined_chunks, before = meta["chunks"], np.array(joined.dense[joined.position[library.resolve("a:a0")]])
    # the change below lands in the very second the index saw last (change stamps count microseconds)
    second = json.loads((folder / "meta.json").read_text())["changed"][:19]
    monkeypatch.setattr("layerwise.ingest.change_stamp", lambda: f"{second}.999999Z")
    path = tmp_path / "a-abstract.jsonl"  # a change: the paper gets its abstract
    path.write_text(json.dumps({"id": "a0", "title": "Paged attention for serving large language models",
                                "abstract": "Key-value cache blocks paged like virtual memory."}) + "\n")
    assert library.import_file(str(path), source="a").merged == 1
    changed = index.load_index(library)  # written beside the rows it replaces, the chunks untouched
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["chunks"] == json.loads(json.dumps(joined_chunks)) and meta["overlay"].startswith("o-")
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == sorted([*joined_chunks, meta["overlay"]])
    row = changed.position[library.resolve("a:a0")]
    assert row == joined.position[library.resolve("a:a0")] and changed.ids.tolist() == joined.ids.tolist()
    assert changed.tfidf[row].nnz > joined.tfidf[row].nnz  # its words are in
    assert not np.allclose(changed.dense[row], before)  # and its embedding is the new text's
    reread = _fresh_process(library).load_index(library)
    assert (reread.tfidf.tocsr() != changed.tfidf.tocsr()).nnz == 0 and np.array_equal(reread.dense, changed.dense)
    assert similar(library, "a:a0", limit=1).results
    # a removed item rewrites the index whole: one chunk again, no overlay
    with sqlite3.connect(library.database_file) as conn:
        conn.execute("DELETE FROM items WHERE id = ?", (library.resolve("c:c0"),))
    conn.close()
    rewritten = index.load_index(library)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["chunks"] == ["c0"] and not meta["overlay"] and len(rewritten.ids) == len(first.ids) + 3
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["c0"]
    row = rewritten.position[library.resolve("a:a0")]
    assert np.array_equal(rewritten.tfidf[row].toarray(), changed.tfidf[changed.position[library.resolve("a:a0")]].toarray())


def test_the_chunks_tf_idf_rows_score_as_the_joined_matrix_would():
    """An index of several chunks is scored chunk by chunk, never joined (issue 16): every operation ranking
    uses gives what the joined matrix gives."""
    import numpy as np
    from scipy import sparse

    from layerwise.represent.stacked import Stacked, stack

    rng = np.random.default_rng(7)
    parts = [sparse.random(n, 40, density=0.2, format="csr", dtype=np.float32, random_state=rng) for n in (30, 0, 7, 1)]
    joined, chunked = sparse.vstack(parts).tocsr(), stack(parts)
    assert isinstance(chunked, Stacked) and chunked.shape == joined.shape == (38, 40)
    vector = rng.random(40).astype(np.float32)
    assert np.allclose(chunked @ vector, joined @ vector)
    other = sparse.random(40, 3, density=0.5, format="csr", random_state=rng)
    assert np.allclose((chunked @ other).toarray(), (joined @ other).toarray())
    rows = [37, 0, 31, 30, 5, 36, 0]  # across chunks, out of order, repeated
    assert np.array_equal(chunked[rows].toarray(), joined[rows].toarray())
    assert np.array_equal(chunked[np.int64(31)].toarray(), joined[31].toarray())
    assert chunked[[]].shape == (0, 40) and np.array_equal(chunked.tocsr().toarray(), joined.toarray())
    assert np.shares_memory(stack([parts[0]]).tocsr().data, parts[0].data)  # one chunk: its arrays as they are, no copy
    # the products `similar` does in NumPy (no SciPy in its process), with and without the chunks' postings
    sparse_vector = np.where(rng.random(40) < 0.2, vector, 0).astype(np.float32)  # a query: a few terms
    with_postings = Stacked([c.with_postings() for c in chunked.chunks])
    for matrix in (chunked, with_postings):
        for query in (vector, sparse_vector, np.zeros(40, np.float32)):
            assert np.allclose(matrix.dot(query), joined @ query, atol=1e-6)
            assert np.allclose(matrix.take(rows).dot(query), joined[rows] @ query, atol=1e-6)
        assert np.allclose(matrix.mean(rows), np.asarray(joined[rows].mean(axis=0)).ravel())
        assert np.array_equal(matrix.row(31), joined[31].toarray().ravel())
        assert matrix.take([]).rows == 0 and matrix.take([]).dot(vector).shape == (0,)
    postings = with_postings.chunks[0].postings
    assert postings is not None and np.array_equal(postings.indptr, parts[0].tocsc().indptr)
    from layerwise.represent.stacked import Csr, Postings, fill_postings

    by_term, entries = parts[0].tocsc(), parts[0].nnz  # sorted by term a few rows at a time: what SciPy gives
    for threads in (1, 2, 3):  # blocks sorted side by side land in the same places
        blocked = Postings(np.zeros(41, np.int64), np.zeros(entries, np.int32), np.zeros(entries, np.float32))
        fill_postings(Csr.of(parts[0]), blocked, block=4, threads=threads)
        assert [np.array_equal(a, b) for a, b in zip(blocked, (by_term.indptr, by_term.indices, by_term.data))] == [True] * 3
    # a rewrite keeps some rows (ascending, across chunks) and appends others, copying run by run
    extra = sparse.random(3, 40, density=0.3, format="csr", dtype=np.float32, random_state=rng)
    for kept in ([0, 1, 2, 29, 30, 31, 36, 37], list(range(38)), [], [37]):
        rewritten = chunked.rewrite(np.array(kept, dtype=np.int64), extra).scipy()
        assert (rewritten != sparse.vstack([joined[kept], extra]).tocsr()).nnz == 0 and rewritten.shape == (len(kept) + 3, 40)


def test_similar_in_a_new_process_needs_neither_sqlalchemy_nor_scipy(sqlite_library):
    """Cold start (issue 16): `similar REF` on a SQLite library reads it through the sqlite3 module and scores the
    tf-idf rows in NumPy, so a new process imports neither SQLAlchemy nor SciPy. An index written before the
    chunks kept their postings gets them on first read, and ranks the same."""
    import os
    import subprocess
    import sys

    from layerwise.sample import SAMPLE_PATH

    library = sqlite_library
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    expected = [(r.ref, r.score) for r in similar(library, "1", limit=8).results]
    postings = sorted((library.home.path / "index" / "c0").glob("postings-*.npy"))
    assert [p.name for p in postings] == ["postings-data.npy", "postings-indptr.npy", "postings-rows.npy"]
    for path in postings:
        path.unlink()
    code = ("import json, sys\nfrom layerwise.cli.main import main\ntry:\n    main(['similar', '1', '-n', '8', '--json'])\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print(json.dumps([m for m in ('sqlalchemy', 'scipy', 'sklearn', 'alembic') if m in sys.modules]), file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if k != "LAYERWISE_DATABASE_URL"} | {"LAYERWISE_HOME": str(library.home.path)}
    for _ in range(2):  # the first run makes the postings again (in NumPy, into their files), the second reads them
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stderr.strip().splitlines()[-1]) == []
        assert [(r["ref"], r["score"]) for r in json.loads(run.stdout)] == expected
        assert all(p.exists() for p in postings)


def test_the_vocabulary_is_kept_a_term_a_line_and_one_kept_as_json_before_is_read_and_kept(sqlite_library, tmp_path):
    import sqlite3

    from layerwise.represent.lexical import read_vocabulary, write_vocabulary
    from layerwise.sample import SAMPLE_PATH

    for vocabulary in ({"attention": 0, "graph": 1, "résumé": 2, "注意": 3}, {"b": 1, "a": 0}, {}):
        write_vocabulary(tmp_path / "terms.txt", vocabulary)
        assert read_vocabulary(tmp_path / "terms.txt") == vocabulary
    library = sqlite_library
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    folder = library.home.path / "index"
    written = _fresh_process(library).load_index(library)
    assert sorted(p.name for p in folder.glob("vocabulary.*")) == ["vocabulary.txt"]
    vocabulary, query = written.vocabulary, written.vectorize(["attention for graph neural networks"])
    assert len(vocabulary) > 1000 and sorted(vocabulary.values()) == list(range(len(vocabulary))) and query.nnz
    # an index written before this format: its vocabulary a JSON object, read as it is
    (folder / "vocabulary.json").write_text(json.dumps(vocabulary))
    (folder / "vocabulary.txt").unlink()
    older = _fresh_process(library).load_index(library)
    assert older.vocabulary == vocabulary and (older.vectorize(["attention for graph neural networks"]) != query).nnz == 0
    with sqlite3.connect(library.database_file) as conn:  # a removed item rewrites the index whole, with the
        conn.execute("DELETE FROM items WHERE id = 1")  # vocabulary it has (copied as it is)
    conn.close()
    _fresh_process(library).load_index(library)
    assert sorted(p.name for p in folder.glob("vocabulary.*")) == ["vocabulary.json"]
    assert _fresh_process(library).load_index(library).vocabulary == vocabulary


@pytest.mark.parametrize("crash", ["chunk half-written", "chunk written, meta.json not yet"])
def test_an_update_killed_midway_is_repaired_by_the_next_use_without_a_rebuild(sqlite_library, tmp_path, monkeypatch,
                                                                               crash):
    """The states kill -9 can leave during an index update: the next command embeds only what is missing."""
    import numpy as np

    from layerwise.represent import chunks, dense, index
    from layerwise.sample import SAMPLE_PATH

    library = sqlite_library
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    _sync(library, tmp_path, "m", ["Mixture of experts routing"])
    before = len(index.load_index(library).ids)
    folder = Path(library.home.path) / "index"
    _sync(library, tmp_path, "k", ["Tensor parallel inference", "Prefix caching for chat workloads"])
    change = tmp_path / "m-abstract.jsonl"  # and a change, for the overlay and the embeddings written in place
    change.write_text(json.dumps({"id": "m0", "title": "Mixture of experts routing",
                                  "abstract": "Tokens are routed to experts by a learned gate."}) + "\n")
    assert library.import_file(str(change), source="m").merged == 1

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process stops here; what it wrote so far stays on disk

    if crash == "chunk half-written":
        real_save = chunks.np.save
        monkeypatch.setattr(chunks.np, "save", lambda path, *a: (real_save(path, *a), killed())[1]
                            if str(path).endswith("ids.npy") else real_save(path, *a))
    else:
        monkeypatch.setattr(chunks, "write_meta", killed)
    with pytest.raises(KeyboardInterrupt):
        _fresh_process(library).load_index(library)
    monkeypatch.undo()
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["sizes"] == [before] and not meta.get("overlay")  # the index as it was
    encoded = []
    real = dense.encoder_for

    class Counting:
        def __init__(self, encoder):
            self.encoder, self.name = encoder, encoder.name

        def encode(self, texts):
            encoded.extend(texts)
            return self.encoder.encode(texts)

    monkeypatch.setattr(dense, "encoder_for", lambda config: Counting(real(config)))
    repaired = _fresh_process(library).load_index(library)
    assert len(encoded) == 3 and len(repaired.ids) == before + 2  # no rebuild: the two new items, the changed one
    row = repaired.position[library.resolve("m:m0")]
    text = next(t for t in encoded if "learned gate" in t)  # its new text, embedded over its old row
    assert np.allclose(repaired.dense[row], real(library.home.config()).encode([text])[0], atol=1e-6)
    assert repaired.tfidf[row].nnz > 3
    assert index.index_problem(library) is None


def test_a_change_committed_while_the_index_updates_is_read_at_the_next_use(sqlite_library, tmp_path, monkeypatch):
    """An import may commit while an index update embeds what it read: the update records the state it read
    before its rows, so the next use embeds that change too (issue 16: precise invalidation)."""
    from layerwise.represent import changes, index
    from layerwise.sample import SAMPLE_PATH

    library = sqlite_library
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    _sync(library, tmp_path, "a", ["Paged attention for serving large language models"])
    first = index.load_index(library)
    held = first.tfidf[first.position[library.resolve("a:a0")]].nnz
    _sync(library, tmp_path, "b", ["Quantized KV caches"])
    real = changes.rows_since

    def meanwhile(*args):  # the rows are read; then another process commits a change to a held item
        rows = real(*args)
        path = tmp_path / "a-abstract.jsonl"
        path.write_text(json.dumps({"id": "a0", "title": "Paged attention for serving large language models",
                                    "abstract": "Key-value cache blocks paged like virtual memory."}) + "\n")
        assert library.import_file(str(path), source="a").merged == 1
        return rows

    monkeypatch.setattr(changes, "rows_since", meanwhile)
    during = index.load_index(library)
    assert during.tfidf[during.position[library.resolve("a:a0")]].nnz == held  # read before the change
    monkeypatch.setattr(changes, "rows_since", real)
    after = index.load_index(library)
    assert after.tfidf[after.position[library.resolve("a:a0")]].nnz > held
    assert _fresh_process(library).load_index(library).tfidf[after.position[library.resolve("a:a0")]].nnz > held


def test_an_overlay_of_newer_rows_is_read_in_place_of_the_rows_it_replaces():
    """Changed items (issue 16): their new rows are kept beside the chunks, and every operation ranking uses reads
    them in place of the old ones, as if the matrix had been rewritten."""
    import numpy as np
    from scipy import sparse

    from layerwise.represent.stacked import Stacked

    rng = np.random.default_rng(11)
    parts = [sparse.random(n, 40, density=0.2, format="csr", dtype=np.float32, random_state=rng) for n in (30, 0, 7, 1)]
    replaced = [0, 5, 29, 30, 37]  # chunk edges included
    newer = sparse.random(len(replaced), 40, density=0.3, format="csr", dtype=np.float32, random_state=rng)
    expected = sparse.vstack(parts).tolil()
    expected[replaced] = newer
    expected = expected.tocsr()
    for chunked in (Stacked(parts, newer, replaced),
                    Stacked([sparse.vstack(parts).tocsr()], newer, replaced)):  # one chunk, or several
        vector = rng.random(40).astype(np.float32)
        assert np.allclose(chunked.dot(vector), expected @ vector, atol=1e-6)
        assert np.allclose(chunked @ vector, expected @ vector, atol=1e-6)
        other = sparse.random(40, 2, density=0.5, format="csr", random_state=rng)
        assert np.allclose((chunked @ other).toarray(), (expected @ other).toarray())
        rows = [37, 0, 31, 30, 5, 36, 0, 6]
        assert np.array_equal(chunked[rows].toarray(), expected[rows].toarray())
        assert np.array_equal(chunked[np.int64(29)].toarray(), expected[29].toarray())
        assert np.allclose(chunked.mean(rows), np.asarray(expected[rows].mean(axis=0)).ravel())
        assert np.array_equal(chunked.row(30), expected[30].toarray().ravel())
        assert np.array_equal(chunked.tocsr().toarray(), expected.toarray())
        extra = sparse.random(2, 40, density=0.3, format="csr", dtype=np.float32, random_state=rng)
        kept = np.array([0, 1, 5, 6, 29, 30, 36, 37])
        rewritten = chunked.rewrite(kept, extra).scipy()
        assert (rewritten != sparse.vstack([expected[kept], extra]).tocsr()).nnz == 0
    assert Stacked(parts, newer[:0], []).overlay is None  # nothing replaced: no overlay


def test_tf_idf_fitted_as_texts_stream_by_is_scikit_learns(monkeypatch):
    """Memory at scale (issue 16): the fit counts into compact arrays from a stream read once, and gives what
    scikit-learn's TfidfVectorizer gives on real abstracts (its columns numbered in another order)."""
    import gzip

    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from layerwise.represent import lexical
    from layerwise.represent.lexical import TOKEN_PATTERN, fit_tfidf

    monkeypatch.setattr(lexical, "BLOCK_ROWS", 1000)  # weighted in blocks, the last one short
    with gzip.open(data_file("relevance", "csfcube-dev", "corpus.jsonl.gz"), "rt") as lines:
        texts = [f"{r['title']}. {r.get('abstract') or ''}" for r in map(json.loads, lines)]
    texts += ["", "the of and", "Attention attention ATTENTION is all"]  # no words, only stop words, repeats
    streamed = iter(texts)  # read once, as rows from a database cursor are
    matrix, vocabulary, idf = fit_tfidf(streamed)
    reference = TfidfVectorizer(token_pattern=TOKEN_PATTERN, stop_words="english", sublinear_tf=True,
                                dtype=np.float32)
    expected = reference.fit_transform(texts).tocsr()
    assert set(vocabulary) == set(reference.vocabulary_) and matrix.shape == expected.shape
    theirs = np.empty(len(vocabulary), dtype=np.int64)  # our column -> theirs
    for term, column in vocabulary.items():
        theirs[column] = reference.vocabulary_[term]
    assert sorted(vocabulary.values()) == list(range(len(vocabulary)))
    assert np.allclose(idf, reference.idf_[theirs], rtol=1e-6) and matrix.dtype == np.float32
    assert abs(matrix - expected[:, theirs]).max() < 1e-6 and matrix.has_sorted_indices
    assert matrix[len(texts) - 3].nnz == matrix[len(texts) - 2].nnz == 0
    assert np.allclose(np.linalg.norm(matrix[:len(texts) - 3].toarray(), axis=1), 1, atol=1e-5)


def test_embeddings_are_made_a_batch_at_a_time_into_one_array():
    """Memory at scale (issue 16): texts are embedded a batch at a time into one array, normalised in place,
    with the same vectors as one call over all of them; progress is heard after each batch."""
    import numpy as np

    from layerwise.represent.dense import in_batches, load_encoder

    model = load_encoder().model  # the bundled static model
    texts = [f"paper {n} on speculative decoding and paged attention" for n in range(23)] + [""]
    whole = np.asarray(model.encode(texts), dtype=np.float32)
    whole = whole / np.maximum(np.linalg.norm(whole, axis=1, keepdims=True), 1e-9)
    heard: list[int] = []
    batched = in_batches(model.encode, texts, heard.append, size=5)
    assert batched.dtype == np.float32 and batched.shape == whole.shape
    assert np.allclose(batched, whole, atol=1e-6) and heard == [5, 10, 15, 20, 24]
    assert np.allclose(np.linalg.norm(batched[:-1], axis=1), 1) and not batched[-1].any()  # an empty text: zeros
    assert in_batches(model.encode, []).shape == (0, whole.shape[1])


def test_embedding_by_distinct_words_gives_the_models_own_vectors(monkeypatch):
    """Ingest speed (issue 16): the static model's mean of token vectors, computed a distinct word at a time,
    is model2vec's own encode for real abstracts of both corpora and for texts that test the word splitting
    (punctuation, symbols, CJK, accents, control characters, LaTeX, unknown tokens, past the 512-token limit)."""
    import gzip
    from itertools import islice

    import numpy as np

    from layerwise.represent import dense
    from layerwise.represent.dense import in_batches, load_encoder
    from layerwise.represent.embedded import item_text

    texts = []
    for name in ("arxiv-2025-26.jsonl.gz", "conference-papers.jsonl.gz"):
        with gzip.open(data_file("corpora", name), "rt") as lines:
            records = map(json.loads, islice(lines, 1500))
            texts += [item_text(r["title"], r.get("abstract") or r.get("summary")) for r in records]
    longest = " ".join(sorted(texts, key=len)[-3:])  # past the model's 512 tokens
    texts += ["", "...", "ScanTD: 360° Scanpath Prediction", "O_FT@EvalLLM2025 : étude comparative de modèles",
              "深度学习 的 attention 機制", "a\x00b\tc\u200bd", r"$\ell_1$ regression with $O(n^{\omega})$ time",
              "emoji 🤖 and ∑ x→y", longest, "(" * 700 + " end"]
    encoder = load_encoder()
    assert encoder.vectors is not None  # the bundled model is embedded by words
    ours = encoder.encode(texts)
    theirs = in_batches(lambda batch: encoder.model.encode(batch), texts)
    empty = texts.index("")
    assert not ours[empty].any() and not theirs[empty].any()  # nothing to embed: zeros both ways
    cosines = np.delete((ours * theirs).sum(axis=1), empty)
    assert len(cosines) == len(texts) - 1 and cosines.min() > 0.9999, np.sort(cosines)[:5]
    # a few texts are summed a row at a time, a batch as one sparse product: the same vectors
    few = encoder.encode(texts[-10:])
    assert len(texts[-10:]) < dense.SPARSE_FROM and np.allclose(few, ours[-10:], atol=1e-6)
    # the words' tokens remembered from the calls before, or forgotten past the bound, change nothing
    assert encoder.known and np.array_equal(encoder.encode(texts), ours)
    monkeypatch.setattr(dense, "KNOWN_WORDS", 100)
    assert np.array_equal(encoder.encode(texts), ours) and len(encoder.known) > 100


def _workers(monkeypatch, width_off: int = 0) -> list:
    """Every worker the next builds start (their processes are real; `width_off` makes them fail). They share
    the sample's items 16 at a time, and the build helps only once its worker has embedded some (a worker
    starting slower than a small fit ends would otherwise find nothing left)."""
    import time

    from layerwise.represent import index, worker

    started: list = []

    class Recorded(worker.Worker):
        def __init__(self, database_url, model, ids, scratch, width, stamp):
            super().__init__(database_url, model, ids, scratch, width + width_off, stamp)
            started.append(self)

        def help(self, embed, progress):
            while not self.done and self.process.poll() is None:
                time.sleep(0.01)
            return super().help(embed, progress)

    monkeypatch.setattr(index, "Worker", Recorded)
    monkeypatch.setattr(index, "WORKER_FROM", 1)
    monkeypatch.setattr(worker, "SHARE", 16)
    return started


def test_a_first_build_embeds_in_a_worker_process_while_it_fits_tf_idf(library, monkeypatch):
    """Ingest speed (issue 16): a first build's embeddings come from a worker process running beside the tf-idf
    fit, on SQLite and PostgreSQL alike, and are what the build would compute itself; progress counts them."""
    import os

    import numpy as np

    from layerwise.represent import index
    from layerwise.sample import SAMPLE_PATH

    library.import_file(str(SAMPLE_PATH), source="arxiv")
    alone = index.load_index(library)
    index.drop_index(library)
    started = _workers(monkeypatch)
    # what a build killed with -9 left (no such process now), and one of a build still running (kept)
    killed, running = (library.home.path / f"index.embeddings.{pid}.tmp" for pid in (2**22 + 12345, os.getppid()))
    killed.write_bytes(b"\0" * 1024)
    running.write_bytes(b"\0" * 1024)
    heard: list[int] = []
    beside = index.load_index(library, progress=heard.append)
    assert not killed.exists() and running.exists()
    running.unlink()
    assert len(started) == 1 and started[0].process.returncode == 0
    # the worker took shares from the front, the build from the back, and together they embedded each item once
    assert started[0].done > 0 and started[0].helped > 0 and started[0].done + started[0].helped == len(alone.ids)
    assert heard[-1] == len(alone.ids) and heard == sorted(heard)
    # on PostgreSQL the worker reads the vectors the first build shared, which the database keeps as float16
    assert np.array_equal(beside.ids, alone.ids) and np.allclose(beside.dense, alone.dense, atol=1e-3)
    assert (beside.tfidf.tocsr() != alone.tfidf.tocsr()).nnz == 0
    assert not list(library.home.path.glob("index.embeddings.*"))


def test_a_build_embeds_itself_when_its_worker_fails_or_the_library_changed_under_it(sqlite_library, monkeypatch):
    """A worker can make a build faster, never wrong: one that fails (here it is told a wrong width and cannot
    map the file), one that cannot start, or one that embedded another list of items than the fit read, leaves
    the work to the build."""
    import sys

    import numpy as np

    from layerwise.represent import changes, index
    from layerwise.sample import SAMPLE_PATH

    library = sqlite_library
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    alone = index.load_index(library)
    index.drop_index(library)
    failing = _workers(monkeypatch, width_off=1)
    rebuilt = index.load_index(library)
    assert failing[0].process.returncode != 0
    assert np.array_equal(rebuilt.ids, alone.ids) and np.allclose(rebuilt.dense, alone.dense, atol=1e-6)

    index.drop_index(library)
    monkeypatch.setattr(sys, "executable", str(library.home.path / "no-python"))  # no interpreter to start
    rebuilt = index.load_index(library)
    assert np.array_equal(rebuilt.ids, alone.ids) and np.allclose(rebuilt.dense, alone.dense, atol=1e-6)
    monkeypatch.undo()

    index.drop_index(library)
    started = _workers(monkeypatch)
    listed = changes.all_ids
    monkeypatch.setattr(changes, "all_ids", lambda lib: listed(lib)[:-1])  # as if an item came during the fit
    rebuilt = index.load_index(library)
    assert len(started) == 1 and np.array_equal(rebuilt.ids, alone.ids)
    assert np.allclose(rebuilt.dense, alone.dense, atol=1e-6) and not list(library.home.path.glob("index.embeddings.*"))


def test_a_build_reads_and_embeds_the_library_a_batch_at_a_time(sqlite_library, monkeypatch):
    """Memory at scale (issue 16): the build streams the texts into the tf-idf fit and reads them again a batch
    at a time to embed them into a file, never all at once; the index is the same as one read of everything."""
    import numpy as np

    from layerwise.represent import embedded, index
    from layerwise.sample import SAMPLE_PATH

    library = sqlite_library
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    whole = index.load_index(library)
    batches: list[int] = []
    real = embedded.embed_items

    def counted(library, encoder, ids, texts, stamp):
        batches.append(len(texts))
        return real(library, encoder, ids, texts, stamp)

    monkeypatch.setattr(embedded, "BATCH", 700)
    monkeypatch.setattr(embedded, "embed_items", counted)
    index.drop_index(library)
    batched = index.load_index(library)
    assert batches == [700] * (len(whole.ids) // 700) + [len(whole.ids) % 700]
    assert np.array_equal(batched.ids, whole.ids) and np.allclose(batched.dense, whole.dense, atol=1e-6)
    assert (batched.tfidf.tocsr() != whole.tfidf.tocsr()).nnz == 0 and batched.vocabulary == whole.vocabulary
    # the embeddings were computed into a file beside the index, gone once it is written
    assert not list(library.home.path.glob("index.embeddings.*"))
    mapped = batched.dense  # a view over the index's file, as written
    while mapped is not None and not isinstance(mapped, np.memmap):
        mapped = mapped.base
    assert mapped is not None and not batched.dense.flags.writeable
