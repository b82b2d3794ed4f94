"""The study loop: sessions (scripted and in a real terminal), the notes vault on disk, the glossary, the daily
update and journal, and the stats, on a tmp library home and both engines."""

import json
import sys
from datetime import date, timedelta

import pytest

from layerwise import times
from layerwise.errors import LayerwiseError
from layerwise.records import Item
from layerwise.study import dives, glossary, journal, notes, sessions
from layerwise.study import stats as measure
from terminal import run_in_terminal


@pytest.fixture
def lib(library, db_url, monkeypatch):
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", db_url)  # the CLI, in-process or in a terminal, opens the same library
    library.ingest([
        Item(title="Negative sampling for two-tower retrieval", abstract="We study hard negatives and negative sampling.",
             kind="paper", url="https://example.org/neg"),
        Item(title="A video course on transformers", abstract="Attention, positional encoding.", kind="video"),
        Item(title="CON: aux/nul? A title: with *every* bad character", abstract="Serving at scale.", kind="post"),
    ])
    return library


def _ref(library, title_start):
    return str(next(i.id for i in library.find(limit=50)[0] if i.title.startswith(title_start)))


def test_scripted_sessions_move_layers_status_and_write_notes(lib):
    ref = _ref(lib, "Negative sampling")
    out = sessions.log(lib, ref, "skim", 30, "bookmark", spent=12)
    assert out.minutes == 12 and {"negative-sampling", "two-tower-model"} <= set(out.layers)  # named in the title
    assert set(out.layers.values()) == {"skimmed"}
    assert lib.get(ref).status == "reading"
    text = out.note.read_text()
    assert out.note.parent.name == "notes" and out.note.name.endswith(f"-{ref}.md")
    assert text.startswith("---\n") and "layer: skim" in text and "[[negative-sampling]]" in text
    for section in notes.SECTIONS:
        assert f"## {section}" in text

    # what the user writes is kept; the next session only updates the layer and appends the summary
    mine = text.replace("## What I know\n", "## What I know\n\n- hard negatives help recall\n")
    out.note.write_text(mine)
    done = sessions.log(lib, ref, "explore", 45, "summarize", summary="Sampled negatives stand in for the full softmax.")
    after = done.note.read_text()
    assert "- hard negatives help recall" in after and "Sampled negatives stand in" in after
    assert "layer: explore" in after and done.layers["negative-sampling"] == "explored"
    assert lib.get(ref).status == "done"
    from layerwise.concepts.progress import history

    assert [h["source"] for h in history(lib, "negative-sampling")] == ["study session 1", "study session 2"]

    # a concept can be studied on its own, with its own note
    concept = sessions.log(lib, "kubernetes", "skim", 20, "bookmark")
    assert concept.note.relative_to(notes.vault(lib)).as_posix() == "concepts/kubernetes.md"
    assert sessions.default_layer(lib, sessions.resolve(lib, "kubernetes")) == "explore"
    with pytest.raises(LayerwiseError, match="neither an item nor a concept"):
        sessions.resolve(lib, "no-such-thing")


def test_schedule_a_deeper_dive_joins_the_plan_and_the_calendar(lib):
    from icalendar import Calendar

    from layerwise.rank.plan import week_plan
    from layerwise.times import iso_week

    ref = _ref(lib, "A video course")
    day = date.today() + timedelta(days=2)
    out = sessions.log(lib, ref, "skim", 25, "schedule", when="+2d")
    assert out.dive["day"] == day.isoformat() and out.dive["layer"] == "explore"
    assert lib.get(ref).status == "planned"
    plan = week_plan(lib, iso_week(day))
    dive = next(p for p in plan.picks if str(p.item_id) == ref)
    assert dive.state == "accepted" and "deeper dive" in dive.reason
    calendar = Calendar.from_ical(dives.dives_ics(dives.dives(lib)))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1 and events[0].get("dtstart").dt == day and "A video course" in str(events[0].get("summary"))
    assert sessions.default_layer(lib, sessions.resolve(lib, ref)) == "explore"  # its concepts were skimmed
    for bad in ("yesterday", "2001-01-01", "someday"):
        with pytest.raises(LayerwiseError):
            times.parse_day(bad)
    assert times.parse_day("next-week", date(2026, 11, 25)) == date(2026, 11, 30)


def test_notes_survive_bad_names_broken_front_matter_and_a_deleted_vault(lib, tmp_path):
    import shutil

    ref = _ref(lib, "CON: aux")
    out = sessions.log(lib, ref, "skim", 10, "bookmark")
    assert out.note.name == f"con-aux-nul-a-title-with-every-bad-character-{ref}.md"
    broken = "---\ntitle: [unclosed\n---\n# mine\n\n## Summary\n\nmy words\n"
    out.note.write_text(broken)
    again = sessions.log(lib, ref, "explore", 10, "summarize", summary="new words")
    assert out.note.read_text() == broken  # kept exactly as it is
    assert again.note_error and again.unsaved_summary == "new words"  # reported, and the summary is not lost
    latin = "---\ntitle: Caf\xe9\nlayer: skim\n---\n# mine\n\nna\xefve words\n".encode("latin-1")  # not UTF-8
    out.note.write_bytes(latin)
    third = sessions.log(lib, ref, "deepen", 10, "summarize", summary="more words")
    assert out.note.read_bytes() == latin and third.note_error and third.unsaved_summary == "more words"
    listed = notes.search(lib)
    assert any(n["error"] for n in listed)
    shutil.rmtree(notes.vault(lib))
    fourth = sessions.log(lib, _ref(lib, "A video"), "skim", 10, "bookmark")
    assert fourth.note.exists()


def test_notes_full_text_search_and_cli(lib, cli):
    sessions.log(lib, _ref(lib, "Negative sampling"), "skim", 10, "summarize", summary="In-batch negatives are cheap.")
    sessions.log(lib, _ref(lib, "A video course"), "skim", 10, "summarize", summary="Rotary embeddings encode position.")
    found = notes.search(lib, "rotary position")
    assert [n["title"] for n in found] == ["A video course on transformers"]
    listed = json.loads(cli("notes", "--json").out)
    assert len(listed) == 2 and all(n["written"] == 1 for n in listed)
    assert "in-batch" not in cli("notes", "rotary").out
    result = cli("study", _ref(lib, "Negative sampling"), "--outcome", "bookmark", "--minutes", "5", "--json")
    assert result.code == 0 and json.loads(result.out)["outcome"] == "bookmark"
    assert cli("study", "nothing-like-this").code == 2
    assert cli("study", _ref(lib, "A video"), "--when", "someday").code == 2
    no_tty = cli("study", _ref(lib, "A video"))
    assert no_tty.code == 2 and "not a terminal" in no_tty.err


def _write_terms(note, lines):
    text = note.read_text().replace("## Terms that didn't make sense\n", "## Terms that didn't make sense\n\n" + lines)
    note.write_text(text)


def test_glossary_counts_recurring_terms_and_keeps_user_definitions(lib):
    first = sessions.log(lib, _ref(lib, "A video course"), "skim", 10, "bookmark")
    second = sessions.log(lib, "transformers", "skim", 10, "bookmark")
    _write_terms(first.note, "- negative sampling\n- **KV cache**: keys and values kept per token\n")
    _write_terms(second.note, "- Negative Sampling\n1. rotary embeddings\n")
    sessions.log(lib, _ref(lib, "Negative sampling"), "skim", 10, "bookmark")  # its abstract says it too
    found = {t.term.casefold(): t for t in glossary.terms(lib)}
    assert found["negative sampling"].items == 3 and not found["negative sampling"].defined
    assert found["kv cache"].defined and found["kv cache"].definition == "keys and values kept per token"
    assert glossary.surfaced(glossary.terms(lib))[0] == "'negative sampling': in 3 items you read, still undefined"
    glossary.define(lib, "negative sampling", "Score a few random non-matches instead of all of them.")
    glossary.link(lib, "negative sampling", "negative-sampling")
    entry = next(t for t in glossary.terms(lib) if t.term.casefold() == "negative sampling")
    assert entry.defined and entry.concepts == ["negative-sampling"]
    assert glossary.surfaced(glossary.terms(lib)) == []
    slug = glossary.promote(lib, "rotary embeddings", "letter")
    from layerwise.concepts.overlay import concept_map

    assert concept_map(lib).concepts[slug].name == "rotary embeddings"
    text = glossary.glossary_path(lib).read_text()
    assert "## negative sampling" in text and "[[negative-sampling]]" in text and f"[[{slug}]]" in text
    with pytest.raises(LayerwiseError, match="exists already"):
        glossary.promote(lib, "rotary embeddings", "letter")
    overlay = lib.home.path / "concepts.toml"
    saved = overlay.read_bytes()
    overlay.write_bytes(saved + '# caf\xe9\n'.encode("cp1252"))  # an editor saved it in Windows-1252
    with pytest.raises(LayerwiseError, match="concepts.toml: not UTF-8 text"):
        glossary.promote(lib, "negative sampling", "letter", slug="negative-sampling-trick")
    overlay.write_bytes(saved)
    with pytest.raises(LayerwiseError, match="no concept"):
        glossary.link(lib, "kv cache", "no-such-concept")


def test_today_journal_and_stats(lib, cli, tmp_path):
    from layerwise.rank import profile

    profile.add_focus(lib, "need", "negative sampling for retrieval")
    from layerwise.rank.plan import week_plan

    plan = week_plan(lib)
    picked = str(plan.picks[0].item_id)
    sessions.log(lib, picked, "explore", 45, "summarize", spent=40, summary="mine")
    sessions.log(lib, "kubernetes", "skim", 20, "schedule", spent=15, when="+9d")
    draft = journal.draft(lib)
    assert draft.startswith(f"## {date.today().strftime('%A')} {date.today().isoformat()} · 55 min studied")
    assert "- Explored *" in draft and "(40 min)" in draft and "- Skimmed *Kubernetes* (15 min)" in draft
    assert "**Next:** a deeper dive (explore) on *Kubernetes*" in draft
    assert 3 <= draft.count("\n- ") + 1 <= 5 or draft.count("\n- ") <= 4
    saved = cli("today", "--no-edit")
    assert saved.code == 0 and journal.day_path(lib, date.today()).read_text() == draft
    assert "saved already" in cli("today").err
    with pytest.raises(LayerwiseError, match="saved already"):
        journal.save(lib, "again")
    assert json.loads(cli("journal", "--json").out)[0]["day"] == date.today().isoformat()

    data = measure.stats(lib, "week")
    assert data["minutes"] == 55 and data["sessions"] == 2
    assert data["by_track"]["need"] == 40 and data["by_track"]["unplanned"] == 15
    assert data["by_area"]["envelope"] >= 15 and data["by_layer"] == {"skim": 15, "explore": 40, "deepen": 0, "build": 0}
    assert data["by_bucket"]["core"] + data["by_bucket"]["adjacent"] + data["by_bucket"]["moonshot"] == 40
    assert data["read"] == 1 and data["read_ratio"] == f"1 in {data['captured']}"
    assert data["map_over_time"][-1]["explored"] >= 1
    png = tmp_path / "stats.png"
    result = cli("stats", "--month", "--png", str(png))
    assert result.code == 0 and "time by track" in result.out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- a real terminal ---------------------------------------------------------------------------------------

def _pty_session(home, args, keys, env_extra=None, timeout=60):
    return run_in_terminal(home, ["study", *args], keys, env_extra, timeout)


def _sessions(library):
    return sessions.history(library)


@pytest.mark.slow
def test_countdown_in_a_terminal_pause_extend_stop_and_schedule(lib):
    ref = _ref(lib, "A video course")
    code, shown = _pty_session(lib.home.path, [ref, "--minutes", "0.1"],
                               [("left", 0.5, "p"), ("paused", 1.0, "p"), ("left", 0.3, "e"), ("extended", 1.0, "s"),
                                ("choice", 0.2, "c\r"), ("which day", 0.2, "+2d\r")])
    assert code == 0, shown
    assert "left" in shown and "paused" in shown and "extended" in shown and "which day" in shown
    row = _sessions(lib)[-1]
    assert row["outcome"] == "schedule" and row["extended"] == 1 and 1.0 < row["seconds"] < 6  # the pause did not count
    assert dives.dives(lib)[0]["day"] == (date.today() + timedelta(days=2)).isoformat()


@pytest.mark.slow
def test_countdown_runs_out_then_summary_inline_or_in_the_editor(lib, tmp_path):
    ref = _ref(lib, "Negative sampling")
    code, shown = _pty_session(lib.home.path, [ref, "--minutes", "0.05"],
                               [("choice", 0.2, "s\r"), ("empty line ends it", 0.2, "my inline summary\r"),
                                ("my inline summary", 0.3, "\r")])
    assert code == 0, shown
    assert "no $EDITOR" in shown
    note = notes.find_item_note(lib, int(ref))
    assert "my inline summary" in note.read_text()
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\nopen(sys.argv[-1], 'a').write('\\nwritten in my editor\\n')\n")
    code, shown = _pty_session(lib.home.path, [ref, "--minutes", "0.05"], [("choice", 0.2, "s\r")],
                               env_extra={"EDITOR": f"{sys.executable} {editor}"})
    assert code == 0, shown
    assert "written in my editor" in note.read_text() and "my inline summary" in note.read_text()
    code, shown = _pty_session(lib.home.path, [ref, "--minutes", "0.05"],
                               [("choice", 0.2, "s\r"), ("empty line ends it", 0.2, "typed instead\r"),
                                ("typed instead", 0.3, "\r")], env_extra={"EDITOR": "/no/such/editor"})
    assert code == 0 and "did not run" in shown, shown  # a broken $EDITOR falls back to typing; nothing is lost
    assert "typed instead" in note.read_text()
    assert [r["outcome"] for r in _sessions(lib)] == ["summarize", "summarize", "summarize"]


@pytest.mark.slow
def test_ctrl_c_in_the_countdown_keeps_the_minutes(lib):
    code, shown = _pty_session(lib.home.path, ["kubernetes", "--minutes", "1"], [("left", 3.0, "^C")])
    assert code == 130, shown
    assert "minutes recorded" in shown and "Traceback" not in shown
    row = _sessions(lib)[-1]
    assert row["outcome"] == "interrupted" and 2.0 < row["seconds"] < 10


class _FakeTime:
    """A clock that moves only when the countdown waits, and keys pressed at given moments."""

    def __init__(self, presses: dict[float, str]):
        self.now, self.presses = 0.0, dict(presses)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def keys(self):
        import contextlib

        @contextlib.contextmanager
        def reader():
            def read():
                due = [t for t in self.presses if t <= self.now]
                return self.presses.pop(min(due)) if due else None
            yield read
        return reader()


def test_countdown_logic_on_an_injected_clock_pause_extend_checkpoints():
    """An hour-long box in milliseconds: pauses do not count, extending adds time once, the minutes are
    checkpointed every few seconds and at the end."""
    from layerwise.cli.timer import CHECKPOINT_EVERY, countdown

    fake = _FakeTime({600.0: "p", 900.0: "p", 1200.0: "e", 1300.0: "e"})
    saved: list[tuple[float, bool]] = []
    result = countdown("an hour", 3600, 900, lambda s, e: saved.append((s, e)), clock=fake.clock, sleep=fake.sleep,
                       keys=fake.keys)
    assert not result.stopped_early and result.extended
    assert 4499 < result.seconds < 4501  # 60 + 15 minutes counted; the 5 paused minutes did not
    assert 4790 < fake.now < 4810  # what the wall clock saw: the box, its extension and the pause
    assert saved[-1][0] == result.seconds and saved[-1][1]
    gaps = [b[0] - a[0] for a, b in zip(saved, saved[1:])][:-1]
    assert all(abs(g - CHECKPOINT_EVERY) < 0.5 for g in gaps)


def test_countdown_stop_early_on_an_injected_clock():
    from layerwise.cli.timer import countdown

    fake = _FakeTime({120.0: "s"})
    result = countdown("stop", 1800, 600, lambda s, e: None, clock=fake.clock, sleep=fake.sleep, keys=fake.keys)
    assert result.stopped_early and 119 < result.seconds < 121 and not result.extended


def test_todays_update_stays_true_until_the_user_edits_it(lib, cli):
    """Sessions finished after the update was saved join it while it is as layerwise wrote it; once the user
    edited it they are offered, never written (issue 18)."""
    sessions.log(lib, _ref(lib, "Negative sampling"), "skim", 20, "bookmark")
    assert cli("today", "--no-edit").code == 0
    path = journal.day_path(lib, date.today())
    sessions.log(lib, _ref(lib, "A video course"), "explore", 30, "bookmark")
    later = cli("today")
    assert later.code == 0 and "were added" in later.err
    assert "A video course on transformers" in path.read_text() and "Negative sampling" in path.read_text()
    path.write_text(path.read_text() + "\nMy own line about the day.\n")
    sessions.log(lib, "kubernetes", "skim", 10, "bookmark")
    offered = cli("today")
    assert offered.code == 0 and "you edited the file" in offered.out and "*Kubernetes*" in offered.out
    assert "My own line about the day." in path.read_text() and "Kubernetes" not in path.read_text()
    latin = (path.read_text() + "Caf\xe9 notes.\n").encode("latin-1")  # re-saved by an editor in Latin-1
    path.write_bytes(latin)
    sessions.log(lib, "transformers", "skim", 10, "bookmark")
    offered = cli("today")
    assert offered.code == 0 and "you edited the file" in offered.out and path.read_bytes() == latin
    assert [d for d, _ in journal.entries(lib)] == [date.today()]  # the bookkeeping file is no journal day
