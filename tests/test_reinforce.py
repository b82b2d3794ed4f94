"""Reinforce: cards from notes with FSRS reviews, Anki decks in and out (real decks from ../shared/data), the
weekly digest in three formats, and katas checked in a subprocess."""

import json
import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import data_file
from layerwise.errors import LayerwiseError
from layerwise.records import Item
from layerwise.reinforce import anki, cards, digest, katas, review
from layerwise.study import glossary, sessions

SOLUTIONS = Path(__file__).parent / "kata_solutions"


@pytest.fixture
def lib(library, db_url, monkeypatch):
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", db_url)
    library.ingest([Item(title="Scaled dot-product attention explained", abstract="Attention weights.", kind="post",
                         url="https://example.org/attention"),
                    Item(title="<script>alert(1)</script> Evil <img src=x onerror=alert(2)> paper",
                         abstract="payload", kind="paper", url="javascript:alert(3)")])
    return library


def _ref(library, start):
    return str(next(i.id for i in library.find(limit=20)[0] if i.title.startswith(start)))


def _add_to(note, section, text):
    body = note.read_text().replace(f"## {section}\n", f"## {section}\n\n{text}\n")
    note.write_text(body)


def _cards(library):
    from sqlalchemy import text

    with library.store.begin() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM cards ORDER BY id"))]


def test_cards_follow_the_notes_and_keep_their_history(lib):
    note = sessions.log(lib, _ref(lib, "Scaled"), "skim", 10, "bookmark").note
    _add_to(note, "What I know", "- What scales the scores? :: 1/sqrt(d_k)\n"
                                 "- Weights come from a {{softmax}} over {{query-key}} scores.\n"
                                 "```\nnot :: a card inside code\n```")
    assert cards.sync(lib) == {"added": 3, "updated": 0, "retired": 0}
    rows = _cards(lib)
    assert [(r["kind"], r["question"], r["answer"]) for r in rows] == [
        ("basic", "What scales the scores?", "1/sqrt(d_k)"),
        ("cloze", "Weights come from a [...] over query-key scores.", "softmax"),
        ("cloze", "Weights come from a softmax over [...] scores.", "query-key")]
    first = rows[0]["id"]
    review.grade(lib, first, "good")
    # editing the answer, then the question, keeps the card and its review
    note.write_text(note.read_text().replace("1/sqrt(d_k)", "one over the root of d_k"))
    assert cards.sync(lib)["updated"] == 1
    note.write_text(note.read_text().replace("What scales the scores?", "What divides the scores?"))
    assert cards.sync(lib)["updated"] == 1
    row = next(r for r in _cards(lib) if r["id"] == first)
    assert row["question"] == "What divides the scores?" and row["answer"] == "one over the root of d_k"
    assert review.due(lib, at=datetime.now(UTC)) and first not in [c.id for c in review.due(lib)]
    note.write_text(note.read_text().replace("- What divides the scores? :: one over the root of d_k\n", ""))
    assert cards.sync(lib)["retired"] == 1
    # defined glossary terms become cards too
    glossary.define(lib, "KV cache", "Keys and values kept for every past token.")
    cards.sync(lib)
    term = [r for r in _cards(lib) if r["kind"] == "term"]
    assert term[0]["question"] == "What is KV cache?" and "past token" in term[0]["answer"]


def test_fsrs_schedules_and_logs_reviews(lib, cli):
    note = sessions.log(lib, "attention", "skim", 10, "bookmark").note
    _add_to(note, "What I know", "- Q1 :: A1\n- Q2 :: A2\n- Q3 :: A3")
    cards.sync(lib)
    due = review.due(lib)
    assert len(due) == 3
    assert "not a terminal" in cli("review").err  # the interactive session needs one; --grade does not
    again = review.grade(lib, due[0].id, "again")
    easy = review.grade(lib, due[1].id, "easy")
    assert datetime.fromisoformat(easy["due"]) > datetime.fromisoformat(again["due"])
    with pytest.raises(LayerwiseError, match="grade with"):
        review.grade(lib, due[2].id, "perfect")
    result = json.loads(cli("review", "--grade", f"{due[2].id}=good", "--json").out)
    assert result["reviewed"] == 1 and result["good"] == 1
    later = datetime.now(UTC) + timedelta(days=30)
    assert len(review.due(lib, at=later)) == 3  # everything comes back eventually
    from sqlalchemy import text

    with lib.store.begin() as conn:
        logs = conn.execute(text("SELECT rating, log FROM reviews ORDER BY id")).all()
    assert [r[0] for r in logs] == [1, 4, 3] and "review_datetime" in json.loads(logs[0][1])
    assert cli("review", "--grade", "nonsense").code == 2


def test_review_in_a_terminal(lib):
    from terminal import run_in_terminal

    note = sessions.log(lib, "attention", "skim", 10, "bookmark").note
    _add_to(note, "What I know", "- First question :: first answer\n- Second question :: second answer")
    code, shown = run_in_terminal(lib.home.path, ["review"],
                                       [("Enter shows", 0.2, "\r"), ("grade", 0.2, "3\r"),
                                        ("Enter shows", 0.2, "\r"), ("grade", 0.2, "1\r")])
    assert code == 0, shown
    assert "reviewed 2: 1 again, 0 hard, 1 good" in shown


def test_real_anki_decks_import_with_notes_and_media(lib, cli):
    decks = [data_file("files", "anki", n) for n in ("DeepLearningLecture_Introduction.apkg",
                                                    "DeepLearningLecture_LinearAlgebra.apkg",
                                                    "DeepLearningLecture_ProbabilityAndInformationTheory.apkg")]
    reports = [anki.import_deck(lib, str(d)) for d in decks]
    assert [(r.notes, r.added) for r in reports] == [(33, 33), (32, 64), (28, 28)]  # reversed cards count twice
    assert reports[1].note_types == {"Basic (and reversed card)": 32} and reports[0].media == 7
    media = list((lib.home.path / "media").rglob("*.jpg")) + list((lib.home.path / "media").rglob("*.png"))
    assert len(media) >= 30
    row = next(r for r in _cards(lib) if r["question"] == "Define a scalar")
    fields = json.loads(row["fields"])
    assert fields["note_type"] == "Basic (and reversed card)" and "<" in "".join(fields["fields"].values())  # HTML kept
    assert "<" not in row["answer"]  # shown as text
    again = anki.import_deck(lib, str(decks[1]))
    assert (again.added, again.updated) == (0, 64)  # re-importing updates in place
    result = cli("import", str(decks[0]), "--json")
    assert result.code == 0 and json.loads(result.out)["notes"] == 33


def _apkg(tmp_path, name, models, notes_rows, media=None, broken=False, zeros=None):
    """A small hand-made Anki package in the legacy schema (what Anki exports with 'support older versions')."""
    db = tmp_path / "collection.anki2"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE col (models TEXT, decks TEXT); CREATE TABLE notes (id INTEGER, mid INTEGER, "
                       "flds TEXT, tags TEXT); CREATE TABLE cards (id INTEGER, nid INTEGER, did INTEGER);")
    conn.execute("INSERT INTO col VALUES (?, ?)", (json.dumps(models), json.dumps({"1": {"name": "Odd deck"}})))
    for n, (mid, fields) in enumerate(notes_rows, 1):
        conn.execute("INSERT INTO notes VALUES (?, ?, ?, ?)", (n, mid, "\x1f".join(fields), ""))
        conn.execute("INSERT INTO cards VALUES (?, ?, 1)", (n, n))
    conn.commit()
    conn.close()
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        z.write(db, "collection.anki2" if not broken else "collection.anki21b")
        z.writestr("media", json.dumps(media if media is not None else {}))
        for number in (media if isinstance(media, dict) else {}):
            if number not in (zeros or {}):
                z.writestr(number, b"\x89PNG fake image")
        for number, megabytes in (zeros or {}).items():  # members of zeros: megabytes out of a few bytes in
            info = zipfile.ZipInfo(number)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w") as member:
                for _ in range(megabytes):
                    member.write(bytes(1 << 20))
    return path


def test_unknown_note_types_odd_media_names_and_corrupt_decks(lib, tmp_path, cli):
    models = {"7": {"name": "Vocabulary (3 sides)", "type": 0, "flds": [{"name": "Word"}, {"name": "Meaning"},
                                                                          {"name": "Example"}],
                    "tmpls": [{"qfmt": "{{Word}}"}, {"qfmt": "{{Example}}"}]},
              "8": {"name": "Cloze", "type": 1, "flds": [{"name": "Text"}, {"name": "Extra"}], "tmpls": [{"qfmt": "{{cloze:Text}}"}]}}
    path = _apkg(tmp_path, "odd.apkg", models, [(7, ["logit", "unnormalised log-probability", "softmax of logits"]),
                                                (8, ["{{c1::Adam}} keeps {{c2::two moments}}", ""]),
                                                (99, ["a note of a type the deck does not describe", "kept"])],
                 media={"0": "../../escape.png"})
    report = anki.import_deck(lib, str(path))
    assert report.notes == 3 and report.note_types["unknown note type"] == 1 and report.media == 1
    assert (lib.home.path / "media" / "odd" / "escape.png").exists()
    assert not (lib.home.path.parent / "escape.png").exists()
    questions = {r["question"]: r["answer"] for r in _cards(lib)}
    assert questions["logit"].startswith("unnormalised") and "softmax of logits" in questions
    assert questions["[...] keeps two moments"] == "Adam" and questions["Adam keeps [...]"] == "two moments"
    assert questions["a note of a type the deck does not describe"] == "kept"
    corrupt = tmp_path / "corrupt.apkg"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    (tmp_path / "n").mkdir()
    newest = _apkg(tmp_path / "n", "newest.apkg", models, [], broken=True)
    for bad, message in ((corrupt, "not a valid .apkg"), (newest, "newest format")):
        with pytest.raises(LayerwiseError, match=message):
            anki.import_deck(lib, str(bad))
    before = len(_cards(lib))
    result = cli("import", str(newest))
    assert result.code == 2 and "newest format" in result.err and "Traceback" not in result.err
    assert len(_cards(lib)) == before


def test_a_deck_whose_settings_have_another_shape_is_read_or_refused_in_one_line(lib, tmp_path, cli):
    """A deck's note types and decks are JSON the file vouches for: a note type that is not an object is an
    unknown one, fields and templates of another shape are passed over, and settings that are not an object at
    all are one clear line (each was `internal error: AttributeError`)."""
    odd = {"7": 5, "8": {"name": "Basic", "flds": ["Front", {"name": "Back"}], "tmpls": ["{{Front}}", {"qfmt": 3}]}}
    report = anki.import_deck(lib, str(_apkg(tmp_path, "odd.apkg", odd, [(7, ["q1", "a1"]), (8, ["q2", "a2"])])))
    assert report.notes == 2 and report.note_types == {"unknown note type": 1, "Basic": 1}
    assert {r["question"]: r["answer"] for r in _cards(lib)} == {"q1": "a1", "q2": "a2"}
    (tmp_path / "listed").mkdir()
    listed = _apkg(tmp_path / "listed", "listed.apkg", [odd], [(7, ["q", "a"])])
    result = cli("import", str(listed))
    assert result.code == 2 and "its models are not a JSON object" in result.err and "Traceback" not in result.err


def _forge_size(path, member, size):
    """Rewrite a member's uncompressed size in the zip's local header and central directory (a zip bomb's trick)."""
    import struct

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo(member).header_offset
    struct.pack_into("<I", data, offset + 22, size)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46: at + 46 + length] == member.encode():
            struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def test_a_deck_that_lies_about_its_sizes_is_refused_without_inflating_it(lib, tmp_path, cli):
    """A member whose header claims 100 bytes but inflates to 128 MB: refused in one line, and never held in
    memory whole (it is read a megabyte at a time). A media list that is not a mapping is one clear line too."""
    import tracemalloc

    models = {"7": {"name": "Basic", "type": 0, "flds": [{"name": "Front"}, {"name": "Back"}], "tmpls": [{"qfmt": "{{Front}}"}]}}
    path = _apkg(tmp_path, "bomb.apkg", models, [(7, ["q", "a"])], media={"0": "small.png", "1": "huge.png"},
                 zeros={"1": 128})
    assert path.stat().st_size < 2**20
    _forge_size(path, "1", 100)
    tracemalloc.start()
    with pytest.raises(LayerwiseError, match="not a valid .apkg|damaged|more than"):
        anki.import_deck(lib, str(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 40 * 2**20, peak
    (tmp_path / "listed").mkdir()
    listed = _apkg(tmp_path / "listed", "list.apkg", models, [(7, ["q", "a"])], media=["0.png"])
    result = cli("import", str(listed))
    assert result.code == 2 and "media list" in result.err and "Traceback" not in result.err


def test_anki_export_round_trips(lib, tmp_path, cli):
    note = sessions.log(lib, "attention", "skim", 10, "bookmark").note
    _add_to(note, "What I know", "- What scales the scores? :: 1/sqrt(d_k)\n- A {{softmax}} turns scores into weights.")
    anki.import_deck(lib, str(data_file("files", "anki", "DeepLearningLecture_Introduction.apkg")))
    out = tmp_path / "mine.apkg"
    result = cli("export", "anki", str(out), "--by", "concept")
    assert result.code == 0 and "35 notes in 2 decks (7 media files)" in result.err
    with zipfile.ZipFile(out) as z:
        assert "collection.anki2" in z.namelist() and len(z.namelist()) == 2 + 7
    fresh = tmp_path / "fresh"
    from layerwise.library import Library

    other = Library(fresh)
    report = anki.import_deck(other, str(out))
    assert report.notes == 35 and set(report.deck_names) == {"DeepLearningLecture:Introduction", "layerwise::letter::attention"}
    assert report.note_types.get("Cloze (genanki)") == 1
    other.close()
    assert cli("export", "anki").code == 2


def test_digest_markdown_html_and_atom(lib, cli, tmp_path):
    import feedparser

    from layerwise.times import iso_week

    week = iso_week()
    good = _ref(lib, "Scaled")
    evil = _ref(lib, "<script>")
    sessions.log(lib, good, "explore", 30, "summarize", summary="Divide by **sqrt(d_k)** so the softmax stays soft.")
    sessions.log(lib, evil, "skim", 5, "bookmark")
    chosen = digest.links(lib, week)
    assert [c.item_id for c in chosen][:1] == [int(good)] and chosen[0].state == "done"
    md = cli("digest").out
    assert "Divide by **sqrt(d_k)**" in md and "Why it matters: studied this week (explore)" in md
    assert "## Also studied" in md and "## " in cli("digest", "--by", "concept").out

    page = cli("digest", "--format", "html").out

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.attrs = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.attrs += [a for a in attrs]

    parser = Tags()
    parser.feed(page)
    parser.close()
    assert "script" not in parser.tags and "img" not in parser.tags  # captured text is escaped, never markup
    assert not any(k.startswith("on") for k, _ in parser.attrs) and "javascript:" not in page
    assert "<strong>sqrt(d_k)</strong>" in page and "&lt;script&gt;" in page
    assert all(k in ("style", "href", "charset") for k, _ in parser.attrs)

    feed_file = tmp_path / "digest.atom"
    assert cli("digest", "--format", "atom", "-o", str(feed_file)).code == 0
    year, number = (int(x) for x in week.split("-W"))
    earlier = f"{year}-W{number - 1:02d}" if number > 1 else f"{year - 1}-W52"
    cli("digest", "--week", earlier)
    cli("digest", "--format", "atom", "-o", str(feed_file))
    parsed = feedparser.parse(feed_file.read_bytes())
    assert not parsed.bozo and len(parsed.entries) == 2  # the weeks accumulate
    assert parsed.entries[0].title.endswith(week) and "sqrt(d_k)" in parsed.entries[0].content[0].value
    assert cli("digest", "--week", "last week").code == 2


def test_digest_markdown_shows_captured_text_as_written_never_as_markup(lib, cli):
    """A title like `[<svg onload=...>](javascript:...)` must stay text for a Markdown renderer and for one
    that passes HTML through (issue 17)."""
    from markdown_it import MarkdownIt

    from layerwise.times import iso_week

    hostile = Item(title="[<svg onload=alert(1)>](javascript:alert(2)) **bold** `code` _x_", kind="post",
                   url="https://example.org/a b)c<d>")
    lib.ingest([hostile])
    ref = _ref(lib, "[<svg")
    sessions.log(lib, ref, "skim", 5, "summarize", summary="My own **words** stay Markdown.")
    md = cli("digest").out
    assert "<svg" not in md and "\\](javascript:" in md  # the bracket that would make a link is escaped
    assert "My own **words** stay Markdown." in md
    rendered = MarkdownIt("commonmark", {"html": True}).render(md)  # the most permissive consumer
    assert "<svg" not in rendered and 'href="javascript' not in rendered and "<code>" not in rendered
    assert "&lt;svg onload=alert(1)&gt;" in rendered and "<strong>words</strong>" in rendered
    assert 'href="https://example.org/a%20b%29c%3Cd%3E"' in rendered
    assert [c.title for c in digest.links(lib, iso_week())][0].startswith("[<svg")  # stored as written


@pytest.mark.slow
def test_kata_checker_resolves_relative_paths_caps_memory_and_stops_what_the_code_started(sqlite_library, tmp_path,
                                                                                      monkeypatch, cli):
    """Issue 17: `--file rel.py` from the user's folder; 3 GiB asked for is refused; a process the solution
    starts does not outlive the timeout."""
    import os
    import time

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "rel.py").write_text((SOLUTIONS / "jaccard.py").read_text())
    monkeypatch.chdir(mine)
    assert katas.check(sqlite_library, "jaccard", Path("rel.py"))["ok"]
    assert cli("kata", "check", "jaccard", "--file", "rel.py").code == 0
    hog = mine / "hog.py"
    hog.write_text("def jaccard(a, b):\n    block = bytearray(3 * 1024 ** 3)\n    return len(block)\n")
    result = katas.check(sqlite_library, "jaccard", hog)
    assert not result["ok"] and "MemoryError" in result["message"]
    pid_file = mine / "child.pid"
    spawner = mine / "spawner.py"
    spawner.write_text("import subprocess, sys\n"
                       f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                       f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
                       "def jaccard(a, b):\n    while True:\n        pass\n")
    assert "stopped after 3 s" in katas.check(sqlite_library, "jaccard", spawner, timeout=3)["message"]
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the solution's child process {child} outlived the check")


def test_a_solution_cannot_write_its_own_verdict(sqlite_library, tmp_path):
    """The user's code runs in a process of its own: writing a verdict file, writing a forged verdict into
    the checker's output, or killing the checker never marks a kata built (issue 17)."""
    forger = tmp_path / "forger.py"
    forger.write_text(
        "import json, os\n"
        "fake = json.dumps({'ok': True, 'cases': 1, 'message': 'all 1 cases pass'}) + '\\n'\n"
        "open('result.json', 'w').write(fake)\n"
        "checker = os.getppid()\n"
        "for fd in (1, 2):\n"
        "    try:\n"
        "        with open(f'/proc/{checker}/fd/{fd}', 'w') as out:\n"
        "            out.write(fake)\n"
        "    except OSError:\n"
        "        pass\n"
        "os.kill(checker, 9)\n"
        "def jaccard(a, b):\n    return 0.0\n")
    result = katas.check(sqlite_library, "jaccard", forger)
    assert not result["ok"] and "built" not in result
    from layerwise.concepts.progress import layers

    assert layers(sqlite_library).get("jaccard-similarity", "none") != "built"


@pytest.mark.parametrize("name", sorted(katas.KATAS))
def test_every_kata_passes_a_reference_solution(sqlite_library, name):
    result = katas.check(sqlite_library, name, SOLUTIONS / f"{name.replace('-', '_')}.py")
    assert result["ok"], result
    assert result["built"] == katas.KATAS[name].concept


@pytest.mark.slow
def test_kata_failures_are_reported_clearly_and_stopped(sqlite_library, tmp_path, cli):
    names = set(katas.KATAS)
    assert {"one-hot", "tf-idf", "jaccard", "minhash", "linear-regression-gd", "softmax-cross-entropy", "k-means",
            "bm25", "cosine-top-k", "tiny-autograd"} <= names
    path = katas.start(sqlite_library, "jaccard")
    assert "raise NotImplementedError" in path.read_text()
    assert "not implemented yet" in katas.check(sqlite_library, "jaccard")["message"]
    path.write_text("def jaccard(a, b):\n    return len(a & b) / max(len(a), 1)\n")
    failed = katas.check(sqlite_library, "jaccard")
    assert not failed["ok"] and failed["message"].startswith("jaccard(") and "expected" in failed["message"]
    assert katas.start(sqlite_library, "jaccard").read_text().startswith("def jaccard")  # the user's file is kept
    broken = tmp_path / "broken.py"
    broken.write_text("def jaccard(a, b)\n    return 1\n")
    assert "does not import: SyntaxError" in katas.check(sqlite_library, "jaccard", broken)["message"]
    loop = tmp_path / "loop.py"
    loop.write_text("def jaccard(a, b):\n    while True:\n        pass\n")
    assert "stopped after 3 s" in katas.check(sqlite_library, "jaccard", loop, timeout=3)["message"]
    chatty = tmp_path / "chatty.py"
    chatty.write_text("import sys\ndef jaccard(a, b):\n    while True:\n        sys.stdout.write('x' * 65536)\n")
    result = katas.check(sqlite_library, "jaccard", chatty, timeout=20)
    assert not result["ok"] and "4 MB" in result["message"]
    listed = json.loads(cli("kata", "list", "--json").out)
    assert len(listed) >= 10 and all(r["statement"] for r in listed)
    assert cli("kata", "check", "no-such-kata").code == 2
    assert cli("kata", "check", "jaccard", "--file", str(SOLUTIONS / "jaccard.py")).code == 0
