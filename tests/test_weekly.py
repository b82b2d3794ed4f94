"""The weekly ritual (issue 18): a week simulated on the sample library is reviewed with the right outcomes and
totals, untouched picks are carried, let go or scheduled, the reflection is the user's, a skipped week is
found, and the nudge speaks once, on a terminal only."""

import json
import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from layerwise.errors import LayerwiseError
from layerwise.rank import profile
from layerwise.rank.plan import act, week_plan
from layerwise.reinforce import due, weekly
from layerwise.sample import SAMPLE_PATH
from layerwise.study import dives, journal, sessions
from layerwise.times import iso_week, shift_week, week_days
from terminal import run_in_terminal

NEED = "retrieval-augmented generation and evaluating LLM applications in production"
WANT = "efficient inference: quantization and speculative decoding"


@pytest.fixture
def week_lived(library):
    """The sample library with a week lived in it: pick 1 accepted and never opened, pick 2 summarised, pick 3
    bookmarked, pick 4 skipped (and replaced by a pick never touched), pick 5 marked done without a session."""
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    profile.add_focus(library, "need", NEED)
    profile.add_focus(library, "want", WANT)
    plan = week_plan(library)
    act(library, 1, "accept")
    sessions.log(library, str(plan.picks[1].item_id), "explore", 45, "summarize", spent=40, summary="Chunking first.")
    sessions.log(library, str(plan.picks[2].item_id), "skim", 45, "bookmark", spent=15)
    act(library, 4, "skip")
    act(library, 5, "done")
    return library


def _by_position(found):
    return {p.position: p for p in found.picks}


def test_the_review_of_a_lived_week_shows_what_each_pick_became(week_lived):
    found = weekly.review(week_lived, iso_week())
    picks = _by_position(found)
    assert [picks[n].outcome for n in (1, 2, 3, 5)] == ["untouched", "summarised", "bookmarked", "done"]
    replacement = [p for p in found.picks if p.position > 5]
    assert len(replacement) == 1 and replacement[0].outcome == "untouched" and not replacement[0].committed
    assert picks[1].committed and picks[2].layer == "explore" and picks[2].minutes == 40
    assert found.let_go_during == 1 and found.studied == 3
    assert [p.position for p in found.undecided] == [1, replacement[0].position]
    assert found.time["minutes"] == 55 and found.time["sessions"] == 2
    assert found.time["by_track"]["need"] + found.time["by_track"]["want"] == 55
    assert found.time["by_layer"] == {"skim": 15, "explore": 40, "deepen": 0, "build": 0}
    assert found.time["track_targets"] == {"need": 0.8, "want": 0.2}
    assert any(m.after == "explored" for m in found.moved)  # the summarised explore session moved its concept
    assert found.reviewed_at is None and found.reflection is None
    assert len(found.digest) >= 2  # the done and the summarised pick


def test_untouched_picks_are_carried_let_go_or_scheduled(week_lived):
    this = iso_week()
    monday, _ = week_days(this)
    friday = monday + timedelta(days=4)
    found = weekly.review(week_lived, this, friday)
    first, replacement = found.undecided
    weekly.decide(week_lived, this, first.position, "carry", today=friday)
    ahead = shift_week(this, 1)
    carried = next(p for p in week_plan(week_lived, ahead).picks if p.item_id == first.item_id)
    assert carried.state == "accepted" and f"carried over from {this}" in carried.reason
    assert len(week_plan(week_lived, ahead).picks) >= profile.settings(week_lived).budget  # the rest still chosen

    weekly.decide(week_lived, this, first.position, "let-go", today=friday)  # changing one's mind takes it back
    assert first.item_id not in {p.item_id for p in week_plan(week_lived, ahead).picks if p.state == "accepted"}
    assert week_lived.get(str(first.item_id)).status == "inbox"

    day = (friday + timedelta(days=5)).isoformat()
    weekly.decide(week_lived, this, replacement.position, "schedule", day, today=friday)
    assert [(d["item_id"], d["day"], d["layer"]) for d in dives.dives(week_lived, friday)] == [(replacement.item_id, day, "skim")]
    dive_week = week_plan(week_lived, iso_week(date.fromisoformat(day)))
    assert any(p.item_id == replacement.item_id and p.state == "accepted" for p in dive_week.picks)

    found = weekly.review(week_lived, this, friday)
    assert found.undecided == [] and {p.choice for p in found.picks if p.open} == {"let-go", "schedule"}
    with pytest.raises(LayerwiseError, match="no pick 99"):
        weekly.decide(week_lived, this, 99, "carry")
    with pytest.raises(LayerwiseError, match="needs a day"):
        weekly.decide(week_lived, this, replacement.position, "schedule")
    with pytest.raises(LayerwiseError, match="carried, let go or scheduled"):
        weekly.decide(week_lived, this, replacement.position, "forget")


def test_a_skipped_week_is_due_for_review_and_the_current_one_from_its_last_study_day(week_lived):
    this = iso_week()
    monday, _ = week_days(this)
    skipped = shift_week(this, -2)
    week_plan(week_lived, skipped)  # a plan made, then a week away
    assert due.due_week(week_lived, monday) == skipped  # this week's review day (Friday) has not come
    away = weekly.review(week_lived, skipped, monday)
    assert away.picks and all(p.outcome == "untouched" for p in away.picks) and away.time["minutes"] == 0
    weekly.finish(week_lived, skipped)
    assert due.due_week(week_lived, monday) is None
    assert due.due_week(week_lived, monday + timedelta(days=4)) == this
    profile.set_setting(week_lived, "study_slots", "mon,tue 08:00")
    assert due.due_week(week_lived, monday + timedelta(days=1)) == this
    assert weekly.review(week_lived, this).earlier == []  # the skipped week was reviewed


def test_the_reflection_is_the_users_own_words_in_the_journal(week_lived):
    this = iso_week()
    found = weekly.review(week_lived, this)
    assert weekly.save_reflection(week_lived, found, "", "  ") is None  # nothing written, nothing saved
    assert weekly.save_written(week_lived, found, weekly.reflection_template(found)) is None
    path = weekly.save_reflection(week_lived, found, "Chunking matters more than the retriever.", "Fewer picks.")
    text = path.read_text()
    assert text.startswith(f"## Week {this} review · 3 of 5 picks studied, 55 min")
    assert "### What I learned\n\nChunking matters more than the retriever.\n" in text and "Fewer picks." in text
    with pytest.raises(LayerwiseError, match="saved already"):
        weekly.save_reflection(week_lived, found, "again", "")
    assert weekly.review(week_lived, this).reflection == str(path)
    assert any("Chunking matters" in entry for _, entry in journal.entries(week_lived, 14))


def test_the_nudge_says_what_is_due(week_lived):
    this = iso_week()
    monday, _ = week_days(this)
    early = datetime.combine(monday + timedelta(days=7), datetime.min.time()).replace(hour=7)  # next Monday 07:00
    review_due = f"the review of {this} is due: `layerwise review-week`"
    assert due.nudges(week_lived, early) == [review_due]  # and the 08:00 timebox has not begun
    week_plan(week_lived, iso_week(early.date()))
    late = early.replace(hour=9)
    said = due.nudges(week_lived, late)
    assert said[0] == review_due and said[1].startswith("today's 08:00 timebox has not happened yet: `layerwise study pick:")
    weekly.finish(week_lived, this)
    assert len(due.nudges(week_lived, late)) == 1
    profile.set_setting(week_lived, "study_slots", "sat 08:00")
    assert due.nudges(week_lived, late) == []  # not a study day


# -- the CLI, in-process and in a real terminal ------------------------------------------------------------

def test_review_week_from_a_script(cli):
    assert cli("demo").code == 0
    this = iso_week()
    assert cli("week", "accept", "1").code == 0
    assert cli("study", "pick:2", "--outcome", "summarize", "--minutes", "30", "--json").code == 0
    shown = json.loads(cli("review-week", "--week", this, "--json").out)
    assert shown["undecided"] == [1, 3, 4, 5] and shown["reviewed_at"] is None
    told = cli("review-week", "--week", this, "--no-input")
    assert told.code == 0 and "still to decide: pick 1, pick 3, pick 4, pick 5" in told.out
    assert cli("review-week", "--week", this, "--schedule", "3:yesterday").code == 2
    assert cli("review-week", "--week", this, "--schedule", "3").code == 2
    assert cli("review-week", "--week", "2026-W99").code == 2
    done = cli("review-week", "--week", this, "--carry", "1", "--let-go", "3", "--let-go", "4",
               "--schedule", "5:+2d", "--learned", "RAG needs evaluation first")
    assert done.code == 0, done.err
    after = json.loads(cli("review-week", "--week", this, "--json").out)
    assert after["undecided"] == [] and after["reviewed_at"] and after["reflection"].endswith(f"{this}.md")
    assert [p["choice"] for p in after["picks"]] == ["carry", None, "let-go", "let-go", "schedule"]
    assert "layerwise week " in done.out and "carried over from" in done.out  # next week's plan follows


def test_what_the_review_prints_is_never_read_as_markup(cli, tmp_path, monkeypatch):
    home = tmp_path / "notes [/x] [bold]"  # Rich would raise on the closing tag, or drop both as style
    monkeypatch.setenv("LAYERWISE_HOME", str(home))
    assert cli("demo").code == 0
    this = iso_week()
    done = cli("review-week", "--week", this, "--no-input", "--learned", "typing: list[/int] :fire:")
    assert done.code == 0, done.err
    assert f"your reflection: {home / 'journal' / this}.md" in done.out.replace("\n", "")
    assert "typing: list[/int] :fire:" in (home / "journal" / f"{this}.md").read_text()


@pytest.mark.slow
def test_the_interactive_review_in_a_terminal(cli, tmp_path):
    assert cli("demo").code == 0
    home = tmp_path / "home"
    this = iso_week()
    keys = [("[s]chedule", 0.1, "\r"),  # pick 1: the default (let go: it was only proposed)
            ("[s]chedule", 0.1, "c\r"), ("[s]chedule", 0.1, "s\r"), ("on which day", 0.1, "+3d\r"),
            ("[s]chedule", 0.1, "l\r"), ("[s]chedule", 0.1, "l\r"),
            ("change them for next week?", 0.1, "y\r"), ("need (Enter keeps", 0.1, "serving two-tower models\r"),
            ("want (Enter keeps", 0.1, "\r"),
            ("What I learned", 0.1, "evaluation before retrieval tricks\r"), ("What I'll change", 0.1, "\r")]
    code, shown = run_in_terminal(home, ["review-week", "--week", this], keys, timeout=120)
    assert code == 0, shown
    assert "untouched" in shown and "saved to" in shown and "layerwise week" in shown
    after = json.loads(cli("review-week", "--week", this, "--json").out)
    assert [p["choice"] for p in after["picks"]] == ["let-go", "carry", "schedule", "let-go", "let-go"]
    assert after["reviewed_at"] and "evaluation before retrieval" in open(after["reflection"]).read()
    focuses = json.loads(cli("focus", "list", "--json").out)
    assert [f["text"] for f in focuses if f["track"] == "need"] == ["serving two-tower models"]


@pytest.fixture
def about_noon():
    """A time zone where it is now about noon, for this process and the commands it starts: a 00:00 timebox counts
    as missed only 15 minutes after its start, so a run just past midnight would otherwise see no nudge."""
    before = os.environ.get("TZ")
    hours = 12 - datetime.now(UTC).hour
    os.environ["TZ"] = f"LWT{-hours:+d}"  # POSIX: the offset is how far behind UTC
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.slow
def test_the_nudge_speaks_once_on_a_terminal_never_in_json(cli, tmp_path, about_noon):
    assert cli("demo").code == 0
    home = tmp_path / "home"
    assert cli("config", "set", "study_slots", "mon,tue,wed,thu,fri,sat,sun 00:00").code == 0  # past at noon
    _, shown = run_in_terminal(home, ["list", "--limit", "1"], [])
    assert "timebox has not happened yet: `layerwise study pick:1`" in shown
    _, again = run_in_terminal(home, ["list", "--limit", "1"], [])
    assert "timebox" not in again  # once an hour
    ahead = time.time() + 86400
    os.utime(home / ".nudged", (ahead, ahead))  # shown "tomorrow": a clock set back since then
    _, after_clock_change = run_in_terminal(home, ["list", "--limit", "1"], [])
    assert "timebox has not happened yet" in after_clock_change  # not silent until the clock catches up
    (home / ".nudged").unlink()
    _, as_json = run_in_terminal(home, ["list", "--limit", "1", "--json"], [])
    assert "timebox" not in as_json
    assert cli("config", "set", "nudge", "off").code == 0
    _, off = run_in_terminal(home, ["list", "--limit", "1"], [])
    assert "timebox" not in off
    assert "timebox" not in cli("list", "--limit", "1").err  # not a terminal
    assert cli("config", "set", "nudge", "maybe").code == 2
