"""The weekly plan on the bundled sample library (3,000 real arXiv records), on both engines."""

import json
from datetime import timedelta

import pytest

from layerwise.errors import LayerwiseError
from layerwise.rank import profile
from layerwise.rank.inbox import inbox
from layerwise.rank.plan import act, week_plan
from layerwise.sample import SAMPLE_PATH

NEED = "retrieval-augmented generation and evaluating LLM applications in production"
WANT = "efficient inference: quantization and speculative decoding"


@pytest.fixture
def sample(library):
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    return library


def _titles(library, plan):
    return [library.get(str(p.item_id)).title.lower() for p in plan.picks]


def test_empty_library_is_a_clear_error(library):
    with pytest.raises(LayerwiseError, match="library is empty"):
        week_plan(library)


def test_no_focus_still_plans_and_says_why(sample):
    plan = week_plan(sample)
    assert len(plan.picks) == 5 and plan.notes and "no focus" in plan.notes[0]
    assert all("set a focus" in p.reason for p in plan.picks)


def test_focused_plan_splits_tracks_gives_reasons_and_is_stable(sample):
    profile.add_focus(sample, "need", NEED)
    profile.add_focus(sample, "want", WANT)
    plan = week_plan(sample)
    assert [p.track for p in plan.picks] == ["need"] * 4 + ["want"]  # 80/20 of 5
    titles = _titles(sample, plan)
    assert sum(("retrieval" in t or "rag" in t or "hallucination" in t or "llm" in t) for t in titles[:4]) >= 3
    assert any(w in titles[4] for w in ("speculative", "quantiz", "inference", "decoding"))
    for pick in plan.picks:  # typed reasons with evidence: the words shared with the focus, never the focus again
        first = pick.reasons[0]
        assert first.kind == "focus" and first.text.startswith(("on \"", "a step beyond", "close in meaning"))
        assert NEED not in pick.because and WANT not in pick.because
    assert [p.bucket for p in plan.picks].count("adjacent") == 1  # 70/20/10 of four need picks
    assert len({p.item_id for p in plan.picks}) == 5
    assert [p.item_id for p in week_plan(sample).picks] == [p.item_id for p in plan.picks]  # same week, same plan
    profile.add_focus(sample, "want", "graph neural networks for molecules")
    assert [p.item_id for p in week_plan(sample).picks] != [p.item_id for p in plan.picks]  # a change re-plans


def test_accept_skip_swap_done(sample):
    profile.add_focus(sample, "need", NEED)
    first = week_plan(sample)
    ids = [p.item_id for p in first.picks]
    plan = act(sample, 1, "accept")
    assert plan.picks[0].state == "accepted" and sample.get(str(ids[0])).status == "planned"
    assert [p.item_id for p in week_plan(sample).picks] == ids  # acting on one pick leaves the others be
    plan = act(sample, 2, "skip")
    live = [p.item_id for p in plan.picks]
    assert ids[1] not in live and len(live) == 5 and ids[0] in live
    assert [p.item_id for p in week_plan(sample).picks] == live
    plan = act(sample, 3, "swap")
    assert ids[2] not in [p.item_id for p in plan.picks]
    plan = act(sample, 4, "done")
    assert sample.get(str(ids[3])).status == "done"
    sample.set_status([str(ids[4])], "dropped")
    again = week_plan(sample, refresh=True)
    again_ids = [p.item_id for p in again.picks]
    assert ids[0] in again_ids and ids[3] in again_ids  # accepted and done picks stay
    assert ids[1] not in again_ids and ids[4] not in again_ids  # skipped and dropped never return
    with pytest.raises(LayerwiseError, match="no pick 9"):
        act(sample, 9, "accept")


def test_ratings_steer_the_plan_and_learn_a_model(sample):
    liked, _ = sample.find("speculative decoding", limit=6)
    disliked, _ = sample.find("robot manipulation", limit=6)
    assert len(liked) >= 5 and len(disliked) >= 5
    for item in liked:
        profile.rate(sample, str(item.id), 1)
    for item in disliked:
        profile.rate(sample, str(item.id), -1)
    plan = week_plan(sample)
    titles = _titles(sample, plan)
    assert sum(any(w in t for w in ("decoding", "inference", "speculative", "llm", "language model", "token"))
               for t in titles) >= 3
    assert not any("robot" in t for t in titles)
    assert any("which you liked" in p.reason for p in plan.picks)


def test_settings_and_inbox(sample):
    profile.add_focus(sample, "need", NEED)
    profile.set_setting(sample, "budget", "3")
    profile.set_setting(sample, "need_share", "50/50")
    profile.add_focus(sample, "want", WANT)
    plan = week_plan(sample)
    assert len(plan.picks) == 3 and [p.track for p in plan.picks].count("need") == 2
    with pytest.raises(LayerwiseError, match="between 1 and 50"):
        profile.set_setting(sample, "budget", "0")
    with pytest.raises(LayerwiseError, match="unknown setting"):
        profile.set_setting(sample, "colour", "blue")
    config = sample.desk.config_path
    kept = config.read_bytes()
    for edited in ("budget = 1e400", 'budget = "five"', "timebox = []"):  # by hand, in an editor
        config.write_text(edited + "\n")
        with pytest.raises(LayerwiseError, match="budget must be a whole number"):
            profile.settings(sample)
    config.write_bytes(kept)
    rest = inbox(sample, limit=10)
    assert len(rest) == 10 and all(e.reason for e in rest) and not {e.item_id for e in rest} & {p.item_id for p in plan.picks}
    scores = [e.score for e in rest]
    assert scores == sorted(scores, reverse=True)


def test_cli_plan_flow(cli):
    assert cli("demo").code == 0
    data = json.loads(cli("week", "--json").out)
    assert len(data["picks"]) == 5 and all(p["reason"] for p in data["picks"])
    assert cli("week", "accept", "1").code == 0
    assert json.loads(cli("week", "--json").out)["picks"][0]["state"] == "accepted"
    assert "rated +" in cli("rate", str(data["picks"][1]["id"]), "+").out
    focus_rows = json.loads(cli("focus", "list", "--json").out)
    assert {f["track"] for f in focus_rows} == {"need", "want"}
    assert cli("focus", "remove", str(focus_rows[0]["id"])).code == 0
    assert cli("focus", "remove", "999").code == 2
    assert cli("config", "set", "budget", "lots").code == 2
    assert json.loads(cli("config", "show", "--json").out)["budget"] == 5
    rest = json.loads(cli("inbox", "--json", "-n", "4").out)
    assert len(rest) == 4 and all(r["reason"] for r in rest)
    books = json.loads(cli("inbox", "--json", "--kind", "book").out)
    assert books and {b["kind"] for b in books} == {"book"}  # the map's starting resources include books
    taken = json.loads(cli("week", "add", str(rest[0]["id"]), "--track", "want", "--json").out)
    added = next(p for p in taken["picks"] if p["id"] == rest[0]["id"])
    assert added["state"] == "accepted" and added["track"] == "want" and "from the inbox" in added["reason"]
    assert rest[0]["id"] not in [r["id"] for r in json.loads(cli("inbox", "--json").out)]
    assert cli("week", "add", "no-such-ref").code != 0
    assert cli("week", "swap", "42").code == 2


def test_focus_in_another_language_is_flagged_and_still_plans(sample):
    profile.add_focus(sample, "need", "apprentissage profond économe en énergie")
    plan = week_plan(sample)
    assert len(plan.picks) == 5 and any("do not occur in your library" in n for n in plan.notes)
    profile.add_focus(sample, "want", "speculative decoding")
    assert not any("speculative" in n for n in week_plan(sample).notes)


def test_allot_balances_buckets_over_weeks():
    from layerwise.rank.scoring import allot

    shares = {"core": 0.7, "adjacent": 0.2, "moonshot": 0.1}
    week1 = allot(shares, {}, 4)
    assert week1.count("core") == 3 and week1.count("adjacent") == 1
    history: dict[str, int] = {}
    for _ in range(10):  # ten weeks of five picks
        for bucket in allot(shares, history, 5):
            history[bucket] = history.get(bucket, 0) + 1
    assert history == {"core": 35, "adjacent": 10, "moonshot": 5}


def test_plan_labels_buckets_and_moonshots_lie_outside_the_focus(sample):
    profile.add_focus(sample, "need", NEED)
    profile.set_setting(sample, "need_share", "1.0")
    profile.set_setting(sample, "targets", "40/40/20")
    plan = week_plan(sample)
    buckets = [p.bucket for p in plan.picks]
    assert buckets.count("core") == 2 and buckets.count("adjacent") == 2 and buckets.count("moonshot") == 1
    moon = next(p for p in plan.picks if p.bucket == "moonshot")
    assert "outside your focuses" in moon.reason
    assert not any(w in sample.get(str(moon.item_id)).title.lower() for w in ("retrieval", "rag"))
    with pytest.raises(LayerwiseError, match="targets are three"):
        profile.set_setting(sample, "targets", "70/30")


def _item(library, title, kind="paper", status="inbox", abstract=None):
    from layerwise.records import Item

    report = library.ingest([Item(title=title, kind=kind, status=status, abstract=abstract)])
    return report.item_ids[0]


def test_concept_signals_frontier_new_angle_and_lean(library):
    from layerwise.concepts.progress import mark
    from layerwise.rank.concepts import concept_signals
    from layerwise.represent.index import load_index

    dag = _item(library, "Scheduling a directed acyclic graph of tasks")
    done = _item(library, "Attention in sequence models", status="done")
    video = _item(library, "Attention explained visually", kind="video")
    paper = _item(library, "Attention heads that copy", kind="paper")
    k8s = _item(library, "Kubernetes for model serving at scale")
    llm = _item(library, "Large language models as few-shot learners")
    index = load_index(library)
    row = {int(i): r for r, i in enumerate(index.ids)}
    assert concept_signals(library, index, "both") is None  # no position on the map, no lean: no effect

    for slug in ("graph", "tree", "embeddings", "softmax"):
        mark(library, slug, "explored")
    mark(library, "attention", "explored")  # being deepened; studied from a paper so far
    sig = concept_signals(library, index, "both")
    assert "next on your map (you have explored Tree)" in sig.reasons[row[dag]]
    assert sig.bonus[row[dag]] > 0
    assert "a new angle (video) on Attention" in sig.reasons[row[video]]
    assert sig.bonus[row[video]] > sig.bonus[row[paper]] == 0  # a paper is no new angle on it
    assert row[done] not in sig.reasons or "new angle" not in sig.reasons[row[done]]

    envelope = concept_signals(library, index, "envelope")
    assert envelope.bonus[row[k8s]] > 0 > envelope.bonus[row[llm]]
    letter = concept_signals(library, index, "letter")
    assert letter.bonus[row[llm]] > 0 > letter.bonus[row[k8s]]


def test_plan_follows_the_map_and_replans_when_a_layer_changes(sample):
    from layerwise.concepts.progress import mark

    profile.add_focus(sample, "need", "directed acyclic graphs and workflow scheduling")
    first = week_plan(sample)
    for slug in ("graph", "tree"):
        mark(sample, slug, "explored")
    second = week_plan(sample)  # a layer changed: the plan is chosen again, with the map's reasons
    assert any("next on your map" in p.reason for p in second.picks), [p.reason for p in second.picks]
    assert [p.item_id for p in second.picks] != [p.item_id for p in first.picks] or \
        [p.reason for p in second.picks] != [p.reason for p in first.picks]
    profile.set_setting(sample, "lean", "envelope")
    assert week_plan(sample).picks  # still five picks with a lean


def test_pick_numbers_are_references_this_week(cli):
    """`layerwise week accept 1` and `layerwise study pick:1` name the same thing (issue 18); a bare number
    stays an item id."""
    assert cli("show", "pick:1").code == 2  # no plan yet: says how to make one
    assert cli("demo").code == 0
    picks = json.loads(cli("week", "--json").out)["picks"]
    shown = json.loads(cli("show", "pick:2", "--json").out)
    assert shown["id"] == picks[1]["id"]
    studied = json.loads(cli("study", "pick:1", "--outcome", "bookmark", "--json").out)
    assert studied["title"] == picks[0]["title"]
    missing = cli("show", "pick:99")
    assert missing.code == 2 and "no pick 99" in missing.err
    assert "study pick:1" in cli("week").out


def test_the_weeks_timeboxes_as_calendar_events_at_the_study_slots(cli, tmp_path):
    """`week --ics`: a timebox per pick still to study at the configured slots, the weekly review, stable UIDs
    (issue 18); validated by the icalendar parser."""
    from icalendar import Calendar

    assert cli("demo").code == 0
    assert cli("config", "set", "study_slots", "mon,wed 07:30").code == 0
    assert cli("config", "set", "study_slots", "someday 7").code == 2
    assert cli("config", "set", "timebox", "30").code == 0
    path = tmp_path / "week.ics"
    assert cli("week", "--ics", str(path)).code == 0
    events = [e for e in Calendar.from_ical(path.read_bytes()).walk("VEVENT")]
    studies = sorted((e for e in events if str(e["uid"]).startswith("pick-")), key=lambda e: e.decoded("dtstart"))
    picks = json.loads(cli("week", "--json").out)["picks"]
    assert len(studies) == len([p for p in picks if p["state"] != "done"]) == 5
    starts = [e.decoded("dtstart") for e in studies]
    assert [s.strftime("%a %H:%M") for s in starts] == ["Mon 07:30", "Mon 08:15", "Mon 09:00", "Wed 07:30", "Wed 08:15"]
    assert all(e.decoded("dtend") - e.decoded("dtstart") == timedelta(minutes=30) for e in studies)
    assert all("layerwise study pick:" in str(e["description"]) for e in studies)
    assert any(str(e["uid"]).startswith("review-") for e in events)
    again = tmp_path / "again.ics"
    assert cli("week", "--ics", str(again)).code == 0
    uids = sorted(str(e["uid"]) for e in Calendar.from_ical(again.read_bytes()).walk("VEVENT"))
    assert uids == sorted(str(e["uid"]) for e in events)  # re-importing updates the same events


def test_the_week_asked_again_is_the_kept_answer_until_anything_changes(sample, cli, monkeypatch):
    """Cold start (issue 16): `layerwise week` asked again prints the plan it kept, without opening the
    database, while the library's files are untouched; any write (a rating, a focus, another process's import,
    a write during the command itself), a new week or another engine makes it run in full again."""
    from layerwise.cli import plan as plan_command
    from layerwise.cli import plan_view

    monkeypatch.setenv("LAYERWISE_DATABASE_URL", sample.database_url)
    profile.add_focus(sample, "need", NEED)
    sample.close()
    runs, real = [], plan_command.week_plan
    monkeypatch.setattr(plan_command, "week_plan", lambda library, **kw: runs.append(1) or real(library, **kw))
    files = sample.database_file is not None  # SQLite: its files tell when anything was written

    chosen = cli("week", "--json")  # chosen now and saved: a write, so nothing is kept yet
    stored = cli("week", "--json")  # read back in full, and kept
    kept, text = cli("week", "--json"), cli("week")
    assert chosen.out == stored.out == kept.out and "layerwise week" in text.out and text.code == 0
    assert len(runs) == (2 if files else 4)
    assert (sample.home.path / ".answers" / "week.json").exists() == files

    first = json.loads(kept.out)["picks"][0]
    assert "rated +" in cli("rate", str(first["id"]), "+").out
    liked = cli("week", "--json")
    assert len(runs) == (3 if files else 5) and json.loads(liked.out)["picks"]  # a rating: the plan looks again

    cli("week", "--json")  # kept again
    done = len(runs)
    profile.add_focus(sample, "want", WANT)  # another writer: the CLI sees the files changed
    sample.close()
    assert any(p["track"] == "want" for p in json.loads(cli("week", "--json").out)["picks"])
    assert len(runs) == done + 1

    def writes_meanwhile(library, **kw):  # a write lands while the command runs: what it read may be stale
        plan = real(library, **kw)
        profile.add_focus(sample, "want", "graph neural networks")
        sample.close()
        runs.append(1)
        return plan

    monkeypatch.setattr(plan_command, "week_plan", writes_meanwhile)
    cli("week", "--json")
    monkeypatch.setattr(plan_command, "week_plan", lambda library, **kw: runs.append(1) or real(library, **kw))
    done = len(runs)
    cli("week", "--json")
    assert len(runs) == done + 1  # nothing was kept from the run a write overlapped

    cli("week", "--json")
    done = len(runs)
    monkeypatch.setattr(plan_view, "iso_week", lambda: "2099-W01")  # a new week: the kept plan is last week's
    cli("week", "--json")
    assert len(runs) == done + 1
