"""Ingest speed (issue 16): an import's items are embedded by a worker process as they are stored, and the index
build after it takes those vectors where the texts match, embedding only the rest itself, while a second process
counts half of the texts' terms for its tf-idf fit."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

from layerwise.sample import SAMPLE_PATH


@pytest.fixture
def early_from_one(monkeypatch):
    """A worker from the first item on, and batches of 500 items (the sample's 3,000 records are six)."""
    from layerwise import ingest
    from layerwise.represent import early

    monkeypatch.setattr(early, "START_FROM", 1)
    monkeypatch.setattr(ingest, "BATCH", 500)


def _counting_embeds(monkeypatch) -> list[int]:
    """How many rows each embedding by the build itself computed."""
    from layerwise.represent import index

    counted: list[int] = []
    embed_rows = index.embed_rows

    def counting(store, encoder, ids, rows, stamp, out):
        counted.append(len(rows))
        return embed_rows(store, encoder, ids, rows, stamp, out)

    monkeypatch.setattr(index, "embed_rows", counting)
    return counted


def _helpers(monkeypatch) -> list:
    """Every process the next builds start to count half of the terms (from the first item on)."""
    from layerwise.represent import counting, index

    started: list = []

    class Recorded(counting.Counting):
        def __init__(self, *args):
            super().__init__(*args)
            started.append(self)

    monkeypatch.setattr(index, "Counting", Recorded)
    monkeypatch.setattr(index, "COUNT_FROM", 1)
    return started


def _alone(library, monkeypatch):
    """The index a build computes all by itself, then forgotten."""
    from layerwise.represent import index

    monkeypatch.setattr(index, "COUNT_FROM", 10**9)
    built = index.load_index(library)
    index.drop_index(library)
    return built


def test_an_import_is_embedded_as_it_is_stored_and_the_build_only_fits_tf_idf(sqlite_library, early_from_one,
                                                                               monkeypatch):
    """The build embeds nothing itself, counts half of the terms in another process, and writes the index a
    build alone would: the same vectors, tf-idf rows and vocabulary."""
    from layerwise.rank.prepare import ahead, prepare
    from layerwise.represent import changes, chunks

    library = sqlite_library
    early = ahead(library)
    assert early is not None
    library.import_file(str(SAMPLE_PATH), source="arxiv", on_stored=early)
    assert early.process is not None and early.sent >= len(changes.all_ids(library))
    # a killed import's file (no such process now) goes, one of an import still running stays
    stale, running = (library.home.path / f"index.early.{pid}.tmp" for pid in (2**22 + 12345, os.getppid()))
    stale.write_bytes(b"\0" * 64)
    running.write_bytes(b"\0" * 64)
    chunks.clear_stale_scratch(library.home.path)
    assert not stale.exists() and running.exists()
    running.unlink()

    counted, helpers = _counting_embeds(monkeypatch), _helpers(monkeypatch)
    heard: dict[str, list[int]] = {}

    class Bar:
        def stage(self, label, total):
            heard[label] = []

        def __call__(self, done):
            heard[list(heard)[-1]].append(done)

    from layerwise.represent import index

    monkeypatch.setattr(index, "REPORT_EVERY", 100)
    prepare(library, Bar(), early)
    early.stop()
    assert early.process.returncode == 0 and not early.scratch.exists()
    assert sum(counted) == 0  # every item's vector came from the import
    assert len(helpers) == 1 and helpers[0].process.returncode == 0 and not helpers[0].scratch.exists()
    assert helpers[0].scratch.name.startswith("index.counts.")  # a killed build's is removed by the next one
    from layerwise.represent.index import load_index

    built = load_index(library)
    alone = _alone(library, monkeypatch)
    # the bar moves while the build reads the texts it has vectors for, and only forward, to every item
    bar = heard["indexing your items"]
    assert bar[0] == 100 and bar == sorted(set(bar)) and bar[-1] == len(alone.ids), bar
    assert np.array_equal(built.ids, alone.ids) and np.array_equal(built.dense, alone.dense)
    assert (built.tfidf.tocsr() != alone.tfidf.tocsr()).nnz == 0
    assert built.vocabulary == alone.vocabulary and np.array_equal(built.idf, alone.idf)


def test_a_vector_sent_for_a_text_the_library_does_not_hold_is_computed_again(sqlite_library, early_from_one,
                                                                             monkeypatch):
    """A batch of an import that was rolled back, or an item changed after the import: the text the build reads
    has another digest than the one embedded early, and the build embeds that item itself."""
    from layerwise.ingest import BATCH
    from layerwise.rank.prepare import ahead
    from layerwise.records import Item
    from layerwise.represent import changes
    from layerwise.represent.index import load_index

    library = sqlite_library
    early = ahead(library)
    assert early is not None
    library.import_file(str(SAMPLE_PATH), source="arxiv", on_stored=early)
    listed = changes.all_ids(library)
    # in the half the build counts and the other, all of the import's first batch: that one the worker always
    # embeds before the last sent below (a later batch, queued, may be embedded here meanwhile, and a vector of
    # the text the library holds is rightly taken then, whichever came last)
    some = listed[[0, len(listed) // 2 + 1, BATCH - 1]].tolist()
    # as if a later import had merged new abstracts into these, then been rolled back: the last texts sent
    early([Item(id=i, title="A rolled-back title", abstract=f"never committed {i}") for i in some])
    counted, helpers = _counting_embeds(monkeypatch), _helpers(monkeypatch)
    try:
        built = load_index(library, early=early)
    finally:
        early.stop()
    assert sum(counted) == len(some) and len(helpers) == 1
    alone = _alone(library, monkeypatch)
    assert np.array_equal(built.ids, alone.ids) and np.array_equal(built.dense, alone.dense)


def test_the_build_embeds_everything_itself_when_the_early_worker_fails(sqlite_library, early_from_one, tmp_path,
                                                                        monkeypatch):
    """A worker killed (here with -9 after the import) or one that cannot start leaves every item to the build,
    with the same result."""
    import sys
    import time

    from layerwise.library import Library
    from layerwise.rank.prepare import ahead
    from layerwise.represent.index import load_index

    sqlite_library.import_file(str(SAMPLE_PATH), source="arxiv")
    alone = _alone(sqlite_library, monkeypatch)
    counted = _counting_embeds(monkeypatch)
    python = sys.executable
    for breaking in ("kill", "no interpreter"):
        library = Library(tmp_path / breaking)
        early = ahead(library)
        assert early is not None
        if breaking == "no interpreter":
            monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
        library.import_file(str(SAMPLE_PATH), source="arxiv", on_stored=early)
        monkeypatch.setattr(sys, "executable", python)
        if breaking == "kill":
            early.process.kill()
            while not early.queue.empty():  # the sender finds the worker gone and drops what is queued
                time.sleep(0.01)
        else:
            assert early.failed and early.process is None
        counted.clear()
        try:
            built = load_index(library, early=early)
        finally:
            early.stop()
            library.close()
        assert sum(counted) == len(alone.ids) and np.array_equal(built.dense, alone.dense), breaking


def test_the_build_embeds_the_batches_the_worker_has_not_taken_yet_beside_it(sqlite_library, early_from_one,
                                                                            monkeypatch):
    """A worker behind the import (here paused until the build waits for it) gets help: the batches still queued
    for it are embedded by the build's process while the worker ends the one it has, and every vector is the
    one a build alone computes."""
    import signal
    import threading

    from layerwise.rank.prepare import ahead
    from layerwise.represent.early import Early
    from layerwise.represent.index import load_index

    start = Early._start

    def paused(self):
        started = start(self)
        self.process.send_signal(signal.SIGSTOP)
        return started

    monkeypatch.setattr(Early, "_start", paused)
    library = sqlite_library
    early = ahead(library)
    assert early is not None
    library.import_file(str(SAMPLE_PATH), source="arxiv", on_stored=early)
    assert early.queue.qsize() > 0  # what the worker has not taken yet
    threading.Timer(1.0, early.process.send_signal, (signal.SIGCONT,)).start()
    counted = _counting_embeds(monkeypatch)
    try:
        built = load_index(library, early=early)
    finally:
        early.stop()
    assert early.process.returncode == 0 and early.shared > 0 and sum(counted) == 0
    alone = _alone(library, monkeypatch)
    assert np.array_equal(built.ids, alone.ids) and np.array_equal(built.dense, alone.dense)


def test_an_import_into_postgresql_has_no_early_worker(library):
    """On PostgreSQL a team's machines share the vectors through the database (`item_vectors`) instead."""
    from layerwise.rank.prepare import ahead

    assert (ahead(library) is None) == (library.store.dialect == "postgresql")


def test_the_import_command_embeds_early_and_leaves_nothing_behind(cli, early_from_one, tmp_path, monkeypatch):
    """`layerwise import` hands its items to an early worker and its build takes every vector from it; Ctrl-C
    during the import stops the worker and removes its file, the library as before."""
    from layerwise.represent import early as early_module

    counted = _counting_embeds(monkeypatch)
    started: list = []
    start = early_module.Early._start

    def recorded(self):
        started.append(self)
        return start(self)

    monkeypatch.setattr(early_module.Early, "_start", recorded)
    home = tmp_path / "home"
    result = cli("import", str(SAMPLE_PATH))
    assert result.code == 0, result.err
    assert len(started) == 1 and started[0].process.returncode == 0 and sum(counted) == 0
    assert (home / "index" / "meta.json").exists() and not list(home.glob("index.*.tmp"))

    from layerwise import ingest
    from layerwise.library import Library
    from layerwise.represent import changes

    real = ingest.ingest

    def interrupted(store, records, **options):
        def on_record(count):
            if count == 1200:  # two batches stored and sent
                raise KeyboardInterrupt

        return real(store, records, **{**options, "on_record": on_record})

    monkeypatch.setattr(ingest, "ingest", interrupted)
    other = tmp_path / "other.jsonl"
    library = Library(home)
    before = len(changes.all_ids(library))
    library.close()
    with gzip.open(SAMPLE_PATH, "rt") as lines:  # the sample's records as other works: all new items
        other.write_text("".join(line.replace('"id": "', '"id": "again-', 1).replace('"title": "', '"title": "Again: ', 1)
                                 for line in lines))
    result = cli("import", str(other), "--source", "again")
    assert result.code == 130 and "unchanged" in result.err
    assert len(started) == 2 and started[1].process.poll() is not None
    assert not list(home.glob("index.*.tmp"))
    library = Library(home)
    assert len(changes.all_ids(library)) == before
    library.close()


def test_half_of_the_terms_counted_by_another_process_make_the_fit_of_one(sqlite_library, monkeypatch):
    """Counts appended from another `TermCounts`, split anywhere, number the columns as one pass does; a helper
    process that fails (a database it cannot read) or cannot start leaves its half to the build, with the
    same index."""
    import sys

    from layerwise.represent import changes, counting, index
    from layerwise.represent.embedded import item_text
    from layerwise.represent.lexical import TermCounts, fit_tfidf

    library = sqlite_library
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    with library.store.reading() as conn:
        texts = [item_text(title, abstract) for _, title, abstract, _ in library.store.item_texts(conn)]
    texts += ["", "the of and", "Attention attention ATTENTION is all"]  # no words, only stop words, repeats
    whole, vocabulary, idf = fit_tfidf(texts)
    for split in (0, 1, len(texts) // 2, len(texts) - 2, len(texts)):
        first, second = TermCounts(), TermCounts()
        first.count(texts[:split])
        second.count(texts[split:])
        first.extend(second.terms(), *second.arrays())
        matrix, joined, weights = first.tfidf()
        assert joined == vocabulary and np.array_equal(weights, idf) and (matrix != whole).nnz == 0, split

    alone = _alone(library, monkeypatch)

    class Failing(counting.Counting):
        def __init__(self, database_url, after, scratch):
            super().__init__(f"sqlite:///{library.home.path}", after, scratch)  # a folder: no database opens
            failed.append(self)

    failed: list = []
    monkeypatch.setattr(index, "Counting", Failing)
    monkeypatch.setattr(index, "COUNT_FROM", 1)
    built = index.load_index(library)
    assert len(failed) == 1 and failed[0].process.returncode != 0 and not failed[0].scratch.exists()
    assert np.array_equal(built.ids, changes.all_ids(library)) and (built.tfidf.tocsr() != alone.tfidf.tocsr()).nnz == 0

    index.drop_index(library)
    monkeypatch.setattr(sys, "executable", str(library.home.path / "no-python"))
    built = index.load_index(library)
    assert len(failed) == 1 and (built.tfidf.tocsr() != alone.tfidf.tocsr()).nnz == 0
    assert built.vocabulary == alone.vocabulary
