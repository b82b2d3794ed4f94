"""What matters: importance from the reference graph and outside counts, foundations, one copy of each work, and
typed reasons with evidence, on the bundled sample library (3,000 real arXiv records) plus real shared files."""

import json
from datetime import date

import numpy as np
import pytest

from conftest import data_file
from layerwise.rank import profile, reasons
from layerwise.rank.importance import importance
from layerwise.rank.inbox import inbox
from layerwise.rank.plan import load_signals, week_plan
from layerwise.rank.similar import similar
from layerwise.represent.index import load_index
from layerwise.sample import SAMPLE_PATH
from layerwise.times import iso_week

NEED = "retrieval-augmented generation and evaluating LLM applications in production"


@pytest.fixture
def sample(library):
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    return library


def _records(tmp_path, name, records):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def test_outside_counts_are_normalised_by_age_and_lists_by_their_size(sample, tmp_path):
    year = date.today().year
    sample.import_file(_records(tmp_path, "counted.jsonl", [
        {"id": "old", "title": "A two year old paper many build on", "year": year - 2, "cited_by_count": 2000},
        {"id": "new", "title": "A paper from this very week", "year": year, "cited_by_count": 3}]))
    index = load_index(sample)
    imp = importance(sample, index, set(), set(), set())
    row = {int(i): r for r, i in enumerate(index.ids)}
    old, new = (row[sample.resolve(f"counted:{k}")] for k in ("old", "new"))
    assert imp.score[old] > 3 * imp.score[new] > 0
    # a curated list of a hundred endorses each entry fully; a 35,000-entry dump says little about any one
    sample.import_file(str(data_file("files", "bibtex", "top100-deep-learning.bib")))
    index = load_index(sample)
    imp = importance(sample, index, set(), set(), set())
    endorsed = [r for r in imp.endorsed]
    assert endorsed and all(0.3 < imp.score[r] for r in endorsed)


def test_citations_from_valued_items_weigh_more(sample, tmp_path):
    index = load_index(sample)
    a, b, c = (int(i) for i in index.ids[:3])
    with sample.store.begin() as conn:
        from layerwise.store import graph
        graph.add_citations(conn, [{"from_item": a, "target": f"x:{c}", "to_item": c, "context": None, "origin": "page",
                                    "added_at": "t"},
                                   {"from_item": c, "target": f"x:{b}", "to_item": b, "context": None, "origin": "page",
                                    "added_at": "t"}])
    row = {int(i): r for r, i in enumerate(index.ids)}
    plain = importance(sample, index, set(), set(), set())
    valued = importance(sample, index, {a}, set(), set())
    assert valued.score[row[c]] > plain.score[row[c]] > 0 and valued.cited_by[row[c]] == [a]
    assert valued.score[row[b]] == plain.score[row[b]] > 0  # c was not valued: b gains nothing from a's value


def test_a_famous_paper_far_from_the_focus_is_not_pulled_into_the_plan(sample, tmp_path):
    sample.import_file(_records(tmp_path, "classics.jsonl", [
        {"id": "resnet", "title": "Deep Residual Learning for Image Recognition", "year": 2016,
         "abstract": "Deeper neural networks are more difficult to train. We present a residual learning framework "
                     "for image classification with convolutional networks on ImageNet.", "cited_by_count": 250000}]))
    profile.add_focus(sample, "need", NEED)
    picks = week_plan(sample).picks
    resnet = sample.resolve("classics:resnet")
    assert resnet not in {p.item_id for p in picks}
    assert resnet not in {e.item_id for e in inbox(sample, limit=50)}


def test_endorsed_work_rises_among_close_candidates_with_evidence(sample, tmp_path):
    from layerwise.rank.scoring import track_scores
    from layerwise.represent.dense import encoder_for

    profile.add_focus(sample, "need", NEED)

    def rank_of(item_id):
        sig = load_signals(sample, iso_week())
        scores, _ = track_scores(sig, "need", encoder_for({}))
        return int(np.flatnonzero(sig.index.ids[np.argsort(-scores)] == item_id)[0])

    sig = load_signals(sample, iso_week())
    scores, _ = track_scores(sig, "need", encoder_for({}))
    chosen = int(sig.index.ids[np.argsort(-scores)[30]])  # close to the focus, but not among the first
    target = sample.items_by_id([chosen])[chosen]
    for name in ("rag-reading", "team-list"):
        listing = tmp_path / f"{name}.md"
        listing.write_text(f"# Reading\n\n## RAG\n\n- [{target.title}]({target.url})\n")
        sample.import_file(str(listing))
    assert rank_of(chosen) < 15
    entry = next(e for e in inbox(sample, limit=50) if e.item_id == chosen)
    found = reasons.load(entry.reason)
    assert found[0].kind == "focus" and "endorsed" in [r.kind for r in found]
    assert "recommended by 2 lists (rag-reading, team-list)" in entry.because


def test_one_copy_of_each_work_in_the_inbox_and_similar(sample, tmp_path):
    profile.add_focus(sample, "need", NEED)
    best = inbox(sample, limit=1)[0]
    original = sample.items_by_id([best.item_id])[best.item_id]
    # the same work again, seven years apart (dedupe keeps them apart: years too far), as a workshop version
    sample.import_file(_records(tmp_path, "workshop.jsonl", [
        {"id": "again", "title": original.title, "year": (original.year or 2025) - 7, "abstract": original.abstract}]))
    twin = sample.resolve("workshop:again")
    assert twin != original.id
    listed = [e.item_id for e in inbox(sample, limit=30)]
    assert len({original.id, twin} & set(listed)) == 1
    assert twin not in [r.item_id for r in similar(sample, str(original.id), limit=20).results]


def test_recency_counts_only_when_asked(sample):
    profile.add_focus(sample, "need", NEED)
    before = [p.item_id for p in week_plan(sample).picks]
    profile.set_setting(sample, "recency", "new")
    assert profile.settings(sample).recency == "new"
    after = week_plan(sample)
    assert len(after.picks) == 5 and [p.item_id for p in after.picks] != before  # the settings changed the plan
    with pytest.raises(Exception, match="recency must be one of value, some, new"):
        profile.set_setting(sample, "recency", "fresh")


def test_reasons_are_typed_and_old_text_still_reads():
    stored = reasons.dump([reasons.Reason("focus", 'on "rag" from your need focus'),
                           reasons.Reason("cited", "cited by 2 items you saved, incl. 'X'")])
    assert [r.kind for r in reasons.load(stored)] == ["focus", "cited"]
    assert reasons.render(reasons.load(stored)) == "on \"rag\" from your need focus; cited by 2 items you saved, incl. 'X'"
    legacy = reasons.load("need: close to 'rag in production'; like 'Y', which you liked")
    assert [r.text for r in legacy] == ["close to 'rag in production'", "like 'Y', which you liked"]
    assert all(r.kind == "legacy" for r in legacy)


def test_the_inbox_keeps_its_ranking_until_something_it_depends_on_changes(sample, tmp_path, monkeypatch):
    from layerwise.rank import inbox as inbox_module
    from layerwise.store import concepts as concept_rows

    profile.add_focus(sample, "need", NEED)
    calls = []
    real = inbox_module.load_signals
    monkeypatch.setattr(inbox_module, "load_signals", lambda *a: calls.append(1) or real(*a))
    first = inbox(sample, limit=10)
    assert inbox(sample, limit=10) == first and inbox(sample, limit=5, offset=5) == first[5:] and len(calls) == 1
    sample.set_status([str(first[3].item_id)], "archived")  # archived: hidden from the ranking as it stands
    assert first[3].item_id not in [e.item_id for e in inbox(sample, limit=10)] and len(calls) == 1
    assert [e.item_id for e in inbox(sample, limit=9)] == [e.item_id for e in first if e != first[3]]
    sample.set_status([str(first[3].item_id)], "inbox")  # back in its place, still without ranking anew
    again = inbox(sample, limit=10)
    assert again == first and len(calls) == 1
    sample.set_status([str(first[0].item_id)], "done")  # an item finished: out of the inbox, and read counts in scores
    assert first[0].item_id not in [e.item_id for e in inbox(sample, limit=10)] and len(calls) == 2
    profile.rate(sample, str(first[1].item_id), -1)  # a rating changes the profile
    inbox(sample, limit=10)
    assert len(calls) == 3
    sample.import_file(_records(tmp_path, "more.jsonl", [{"id": "x", "title": "Evaluating RAG answers in production"}]))
    inbox(sample, limit=10)
    assert len(calls) == 4
    with sample.store.begin() as conn:
        concept_rows.add_links(conn, [(first[2].item_id, "attention", 0.9)], "confirmed")
    inbox(sample, limit=10)
    assert len(calls) == 5
    inbox(sample, limit=10, kind="paper")  # another kind is its own ranking
    assert len(calls) == 6
