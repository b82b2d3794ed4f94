"""The web app in-process: every route over the bundled sample library on both engines, the guards (host, token,
CSRF), untrusted content from a real feed, note conflicts, and `layerwise serve` as a real process."""

import html
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient

from layerwise.rank.plan import week_plan
from layerwise.sample import SAMPLE_PATH
from layerwise.study import clock as study_clock
from layerwise.study import dives, notes, sessions
from layerwise.times import iso_week
from layerwise.web.app import create_app

FIXTURES = Path(__file__).parent / "fixtures"
HOSTS = ("127.0.0.1", "localhost", "testserver")


@pytest.fixture
def sample(library):
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    return library


@pytest.fixture
def client(sample):
    with TestClient(create_app(sample, allowed_hosts=HOSTS)) as c:
        yield c


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf-token" content="([0-9a-f]+)"', page).group(1)


def post(client, url, data=None, **kwargs):
    token = csrf_of(client.get("/week").text)
    return client.post(url, data={"csrf": token, **(data or {})}, follow_redirects=False, **kwargs)


def test_every_page_renders_and_unknown_things_are_a_404_page(client):
    for url in ("/week", "/inbox", "/inbox?q=transformer&kind=paper", "/inbox?offset=30", "/study", "/notes",
                "/map", "/map?slug=dag&depth=3", "/map/graph", "/review", "/digest", "/stats", "/stats?period=month"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<nav>" in response.text and "Traceback" not in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    assert client.get("/", follow_redirects=False).headers["location"] == "/week"
    assert client.get("/static/app.js").status_code == 200
    for url in ("/no/such/page", "/items/999999", "/items/arxiv:0000.00000", "/map/no-such-concept",
                "/study/424242", "/notes/edit?path=../../library.sqlite3", "/notes/edit?path=missing.md",
                "/digest/download?fmt=docx"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Not found" in response.text and "<nav>" in response.text
    assert client.get("/digest?week=next-week").status_code == 400


def test_inbox_triage_moves_items_into_the_week_and_out_of_the_ranking(client, sample):
    page = client.get("/inbox").text
    rows = re.findall(r'data-item="(\d+)"', page)
    assert len(rows) == 30
    assert '<ul class="reasons"><li class="reason ' in page and 'data-key="a"' in page  # typed reasons
    week_ids = {p.item_id for p in week_plan(sample).picks}
    assert not week_ids & {int(r) for r in rows}  # the inbox is what the week did not pick
    first, second, third, fourth = rows[:4]

    response = post(client, f"/items/{first}/accept", {"back": "/inbox?kind=paper"})
    assert response.status_code == 303 and response.headers["location"] == "/inbox?kind=paper"
    plan = week_plan(sample)
    taken = next(p for p in plan.picks if p.item_id == int(first))
    assert taken.state == "accepted" and sample.get(first).status == "planned"
    assert {p.item_id for p in plan.picks} >= week_ids  # taking one in leaves the proposed picks be
    assert f'data-item="{first}"' in client.get("/week").text

    post(client, f"/items/{second}/skip")
    post(client, f"/items/{third}/archive")
    post(client, f"/items/{fourth}/like")
    assert sample.get(second).status == "dropped" and sample.get(third).status == "archived"
    later = re.findall(r'data-item="(\d+)"', client.get("/inbox").text)
    assert first not in later and second not in later and third not in later
    inline = post(client, f"/items/{fourth}/like", headers={"X-Requested-With": "layerwise"})
    assert inline.status_code == 200 and inline.json() == {"ref": fourth, "action": "like"}
    assert post(client, f"/items/{fourth}/explode").status_code == 404
    assert post(client, "/items/999999/accept").status_code == 404
    # an off-site `back` is never followed
    assert post(client, f"/items/{fourth}/like", {"back": "//evil.example/"}).headers["location"] == "/inbox"

    found = client.get("/inbox?q=speculative+decoding").text
    assert "matches your search" in found and "speculative" in found.lower() and "best first" in found
    assert "Nothing matches" in client.get("/inbox?q=speculative+decoding&kind=podcast").text
    assert "Nothing matches" in client.get("/inbox?q=zzqxjv").text


def test_week_page_accept_done_swap_and_skip(client, sample):
    page = client.get("/week").text
    assert "done 0 of 5" in page and "No focus set" in page
    ids = [p.item_id for p in week_plan(sample).picks]
    assert post(client, "/week/1/accept").status_code == 303
    post(client, "/week/2/done")
    post(client, "/week/3/swap")
    plan = week_plan(sample)
    states = {p.item_id: p.state for p in plan.picks}
    assert states[ids[0]] == "accepted" and states[ids[1]] == "done" and ids[2] not in states
    assert len(plan.picks) == 5
    assert "done 1 of 5" in client.get("/week").text
    assert post(client, "/week/9/accept").status_code == 400
    assert post(client, "/week/1/explode").status_code == 404


def _running(client, ref, minutes="1", layer=""):
    response = post(client, "/study/start", {"ref": ref, "minutes": minutes, "layer": layer})
    assert response.status_code == 303
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_study_clock_survives_reloads_pause_resume_extend_and_ends_in_a_choice(client, sample):
    pick = week_plan(sample).picks[0]
    session = _running(client, str(pick.item_id), minutes="30")
    page = client.get(f"/study/{session}").text
    assert 'data-remaining="18' in page  # 30 minutes, a moment gone
    assert "What I know" in page and 'name="version"' in page  # the note editor is in the page
    time.sleep(1.2)
    clock = client.get(f"/study/{session}/clock").json()
    assert clock["running"] and 1.0 <= clock["elapsed"] < 30 and clock["planned"] == 1800
    # a reload (a new request, a new client) reads the same clock from the database
    assert f"/study/{session}" in TestClient(client.app).get("/study").text

    post(client, f"/study/{session}/pause")
    paused = client.get(f"/study/{session}/clock").json()
    time.sleep(0.6)
    assert client.get(f"/study/{session}/clock").json()["elapsed"] == paused["elapsed"] and not paused["running"]
    post(client, f"/study/{session}/resume")
    post(client, f"/study/{session}/extend")
    assert client.get(f"/study/{session}/clock").json()["planned"] == 1800 + 15 * 60
    assert post(client, f"/study/{session}/extend").status_code == 400  # once only
    assert "+15 min" not in client.get(f"/study/{session}").text

    response = post(client, f"/study/{session}/finish", {"outcome": "summarize", "summary": "Drafts get verified."})
    assert response.headers["location"] == f"/study?done={session}"
    assert client.get(f"/study/{session}").status_code == 404
    logged = sessions.history(sample)[-1]
    assert logged["outcome"] == "summarize" and logged["seconds"] >= 1.0
    note = notes.find_item_note(sample, pick.item_id)
    assert "Drafts get verified." in note.read_text()

    # summarize without a summary goes to the note editor; schedule needs a date and puts a dive in the plan
    other = _running(client, "dag")
    location = post(client, f"/study/{other}/finish", {"outcome": "summarize"}).headers["location"]
    assert location.startswith("/notes/edit?path=concepts")
    third = _running(client, "graph")
    assert post(client, f"/study/{third}/finish", {"outcome": "schedule"}).status_code == 400
    assert post(client, f"/study/{third}/finish", {"outcome": "schedule", "when": "next-week"}).status_code == 303
    assert any(d["slug"] == "graph" for d in dives.dives(sample))
    assert post(client, "/study/start", {"ref": "no-such-thing"}).status_code == 404


def test_note_editor_saves_and_never_overwrites_an_edit_made_elsewhere(client, sample):
    session = _running(client, "tensor")
    page = client.get(f"/study/{session}").text
    path = html.unescape(re.search(r'name="path" value="([^"]+)"', page).group(1))
    version = re.search(r'name="version" value="([0-9a-f]+)"', page).group(1)
    file = notes.vault(sample) / path
    text = file.read_text().replace("## What I know\n", "## What I know\n\n- a tensor is an n-d array\n\nWhat is a stride? :: the step in memory per index\n")
    response = post(client, "/notes/edit", {"path": path, "text": text, "version": version,
                                             "back": f"/study/{session}"})
    assert response.status_code == 303 and response.headers["location"] == f"/study/{session}?saved=1"
    assert "- a tensor is an n-d array" in file.read_text()

    file.write_text(file.read_text() + "\nwritten in Obsidian meanwhile\n")  # someone edits the file elsewhere
    response = post(client, "/notes/edit", {"path": path, "text": text + "\nmine, typed in the browser\n",
                                             "version": version})
    assert response.status_code == 409
    assert "mine, typed in the browser" in response.text and "written in Obsidian meanwhile" in response.text
    assert "written in Obsidian meanwhile" in file.read_text() and "typed in the browser" not in file.read_text()

    assert post(client, "/notes/edit", {"path": "../web-secret", "text": "x", "version": ""}).status_code == 404
    listing = client.get("/notes?q=stride").text
    assert path.split("/")[-1] in html.unescape(listing)
    assert "No note contains" in client.get("/notes?q=zzqxjv").text


def test_review_shows_a_card_from_a_note_and_grades_it(client, sample):
    session = _running(client, "softmax")
    note = notes.vault(sample) / html.unescape(re.search(r'name="path" value="([^"]+)"', client.get(f"/study/{session}").text).group(1))
    note.write_text(note.read_text() + "\nWhat does softmax output? :: a probability distribution\n")
    page = client.get("/review").text
    assert "What does softmax output?" in page and "a probability distribution" in page
    card_id = re.search(r'action="/review/(\d+)"', page).group(1)
    response = post(client, f"/review/{card_id}", {"rating": "good", "reviewed": "0"})
    assert response.headers["location"] == "/review?reviewed=1"
    after = client.get("/review?reviewed=1").text
    assert "Nothing is due" in after and "1 reviewed" in after
    assert post(client, f"/review/{card_id}", {"rating": "brilliant"}).status_code == 400


def test_digest_preview_downloads_and_publish(client, sample):
    assert "No links for" in client.get("/digest").text
    pick = week_plan(sample).picks[0]
    post(client, "/week/1/done")
    page = client.get("/digest").text
    assert 'sandbox=""' in page and "srcdoc=" in page
    title = sample.get(str(pick.item_id)).title
    assert html.escape(html.escape(title)) in page or html.escape(title) in page
    md = client.get(f"/digest/download?week={iso_week()}&fmt=md")
    assert md.headers["content-type"].startswith("text/markdown") and title in md.text
    assert "attachment" in md.headers["content-disposition"]
    assert client.get("/digest/download?fmt=html").text.startswith("<!DOCTYPE html>")
    assert post(client, "/digest/publish", {"week": iso_week()}).status_code == 303
    import feedparser

    feed = feedparser.parse(client.get("/digest/download?fmt=atom").content)
    assert not feed.bozo and feed.entries[0].title.endswith(iso_week())


def test_map_concept_pages_and_marking(client, sample):
    page = client.get("/map?slug=dag&depth=2").text
    assert page.count('class="node') >= 5 and 'data-slug="dag"' in page and "centre" in page
    assert 'href="/map/airflow-dag"' in page  # DAG used-in Airflow DAG, one click away
    assert "frontier" in page and "Coverage" in page
    concept = client.get("/map/dag").text
    assert "Directed acyclic graph" in concept or "DAG" in concept
    assert 'href="/map/graph"' in concept
    assert post(client, "/map/dag/mark", {"layer": "explored"}).status_code == 303
    assert "<strong class=\"layer\" style=\"background: #c8e6c9\">explored</strong>" in client.get("/map/dag").text
    assert post(client, "/map/dag/mark", {"layer": "mastered"}).status_code == 400
    assert client.get("/map?slug=nope").status_code == 404


def test_stats_draw_time_against_targets(client, sample):
    sessions.log(sample, str(week_plan(sample).picks[0].item_id), "skim", 30, "bookmark", spent=20)
    page = client.get("/stats").text
    assert "20 minutes in 1 session" in page
    assert page.count("<figure class=\"chart\">") == 4 and 'class="target"' in page


def test_guards_host_token_and_csrf(sqlite_library):
    app = create_app(sqlite_library)  # loopback only
    assert TestClient(app, base_url="http://127.0.0.1:8765").get("/notes").status_code == 200
    rebinding = TestClient(app, base_url="http://attacker.example:8765").get("/notes")
    assert rebinding.status_code == 421  # a DNS-rebound name is refused

    c = TestClient(app, base_url="http://127.0.0.1:8765")
    token = csrf_of(c.get("/notes").text)
    assert c.post("/map/dag/mark", data={"layer": "explored"}).status_code == 403
    assert c.post("/map/dag/mark", data={"layer": "explored", "csrf": "0" * 64}).status_code == 403
    assert c.post("/map/dag/mark", data={"layer": "explored", "csrf": token}, follow_redirects=False).status_code == 303
    assert c.post("/map/dag/mark", data={"layer": "skimmed"}, headers={"X-CSRF-Token": token},
                  follow_redirects=False).status_code == 303
    # the secret is kept in the home: a restarted server accepts pages opened before
    assert csrf_of(TestClient(create_app(sqlite_library), base_url="http://127.0.0.1").get("/notes").text) == token
    assert (sqlite_library.home.path / "web-secret").stat().st_mode & 0o077 == 0

    remote = TestClient(create_app(sqlite_library, token="s3cret"), base_url="http://192.168.1.20:8765")
    assert remote.get("/notes").status_code == 401
    assert remote.get("/notes?token=wrong").status_code == 401
    first = remote.get("/notes?token=s3cret", follow_redirects=False)
    assert first.status_code == 303 and "token" not in first.headers["location"]
    assert remote.get("/notes").status_code == 200  # the cookie carries it from now on


def test_numbers_and_paths_no_page_can_hold_are_a_client_error(client):
    """Found by requesting every page with odd values: an id past SQLite's integers was a 500 (OverflowError
    in the query), and a note path with a NUL byte a 500 (ValueError from the OS)."""
    huge = str(2**70)
    for url in (f"/study/{huge}", f"/study/{2**63}/clock", f"/inbox?offset={huge}", "/notes/edit?path=a%00.md"):
        assert 400 <= client.get(url).status_code < 500, url
    for url, data in ((f"/review/{huge}", {"rating": "good"}), (f"/week/{huge}/accept", {}),
                      (f"/week/review/{iso_week()}/pick/{huge}", {"choice": "carry"}), (f"/study/{huge}/stop", {})):
        assert 400 <= post(client, url, data).status_code < 500, url


def test_untrusted_feed_content_is_escaped_and_notes_are_sanitised(sqlite_library, http_server):
    from layerwise import subscriptions

    url = http_server.serve("/hostile.xml", (FIXTURES / "hostile-feed.xml").read_bytes(),
                            content_type="application/rss+xml")
    subscriptions.subscribe(sqlite_library, url, name="hostile")
    hostile = sqlite_library.find("attention sinks")[0][0]
    assert "<script>" in hostile.title  # kept as text, exactly as captured ...
    c = TestClient(create_app(sqlite_library, allowed_hosts=HOSTS))
    pages = [c.get("/inbox").text, c.get("/inbox?q=attention").text, c.get(f"/items/{hostile.id}").text,
             c.get("/week").text]
    for page in pages:
        assert "<script>window" not in page and "<img src=x" not in page and "<svg" not in page
        assert "javascript:" not in page
    assert "&lt;script&gt;window.pwned" in pages[2]  # ... and shown as text
    other = next(i for i in sqlite_library.find(source="hostile")[0] if i.id != hostile.id)
    assert other.url is None and other.title == "Draft tokens and verification."  # a javascript: link is dropped

    session = _running(c, str(hostile.id))
    path = html.unescape(re.search(r'name="path" value="([^"]+)"', c.get(f"/study/{session}").text).group(1))
    note = notes.vault(sqlite_library) / path
    note.write_text(note.read_text() + '\n<script>window.pwned="note"</script>\n\n<img src=x onerror="window.pwned=1">\n\n'
                    '[click](javascript:window.pwned=2) <a href="javascript:window.pwned=3">raw</a> **kept**\n')
    rendered = c.get(f"/notes/edit?path={path}").text.split('class="preview"')[1].split("</article>")[0]
    assert "<script" not in rendered and "onerror" not in rendered and "href=\"javascript" not in rendered
    assert "<strong>kept</strong>" in rendered and '<img src="x">' in rendered


def _serve(home: Path, *args: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "LAYERWISE_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "layerwise", "serve", "--port", "0", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"at (http://\S+)", line)
    assert match, line + process.stderr.read()
    return process, match.group(1)


@pytest.mark.slow
def test_serve_runs_beside_the_cli_and_stops_cleanly(sqlite_library, tmp_path):
    sqlite_library.import_file(str(SAMPLE_PATH), source="arxiv")
    home = sqlite_library.home.path
    process, url = _serve(home)
    try:
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=url, timeout=60) as web:
            page = web.get("/inbox")
            assert page.status_code == 200
            token = csrf_of(page.text)
            ref = re.findall(r'data-item="(\d+)"', page.text)[0]
            # the CLI writes to the same library while the server answers requests
            env = {**os.environ, "LAYERWISE_HOME": str(home)}
            writer = subprocess.Popen([sys.executable, "-m", "layerwise", "import", str(SAMPLE_PATH), "--json"],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(10):
                assert web.get("/week").status_code == 200
                assert web.post(f"/items/{ref}/like", data={"csrf": token}).status_code in (200, 303)
            assert writer.wait(timeout=120) == 0, writer.stderr.read()
            started = web.post("/study/start", data={"csrf": token, "ref": "dag"})
            session = int(started.headers["location"].rsplit("/", 1)[1])
            page = web.get(f"/study/{session}").text
            path = html.unescape(re.search(r'name="path" value="([^"]+)"', page).group(1))
            version = re.search(r'name="version" value="([0-9a-f]+)"', page).group(1)
            text = re.search(r"<textarea name=\"text\"[^>]*>(.*?)</textarea>", page, re.S).group(1)
            web.post("/notes/edit", data={"csrf": token, "path": path, "version": version,
                                          "text": html.unescape(text) + "\nsaved before the server stopped\n"})
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    assert "saved before the server stopped" in (home / "notes" / path).read_text()
    assert any(study_clock.running(sqlite_library))  # the unfinished session is still there to finish later


@pytest.mark.slow
def test_serve_listens_before_it_prints_its_url(sqlite_library):
    """A script that reads the URL and connects at once must find the server accepting (it used to bind, print,
    and only listen once uvicorn had started: connection refused, now and then)."""
    import socket
    from urllib.parse import urlsplit

    process, url = _serve(sqlite_library.home.path)
    try:
        where = urlsplit(url)
        with socket.create_connection((where.hostname, where.port), timeout=5):
            pass
        with httpx.Client(base_url=url, timeout=60) as web:
            assert web.get("/favicon.ico").status_code == 204
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()


def test_serve_refuses_a_library_from_a_newer_layerwise_in_one_line(sqlite_library):
    """Rather than starting and answering 400 on every page (issue 17)."""
    import sqlite3

    sqlite_library.find(limit=1)
    sqlite_library.close()
    with sqlite3.connect(sqlite_library.home.path / "library.sqlite3") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0042_from_the_future'")
    env = {**os.environ, "LAYERWISE_HOME": str(sqlite_library.home.path)}
    result = subprocess.run([sys.executable, "-m", "layerwise", "serve", "--port", "0"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "newer layerwise" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.slow
def test_serve_on_another_address_needs_a_token_and_a_taken_port_is_one_line(sqlite_library, tmp_path):
    process, url = _serve(sqlite_library.home.path, "--host", "0.0.0.0")
    try:
        token = parse_qs(urlparse(url).query)["token"][0]
        base = url.split("?")[0].replace("0.0.0.0", "127.0.0.1")
        assert len(token) >= 24
        assert httpx.get(base + "notes").status_code == 401
        assert httpx.get(url.replace("0.0.0.0", "127.0.0.1"), follow_redirects=True).status_code == 200
        port = urlparse(url).port
        taken = subprocess.run([sys.executable, "-m", "layerwise", "serve", "--host", "0.0.0.0", "--port", str(port)],
                               env={**os.environ, "LAYERWISE_HOME": str(sqlite_library.home.path)},
                               capture_output=True, text=True, timeout=60)
        assert taken.returncode != 0 and taken.stderr.strip().startswith(f"error: cannot listen on 0.0.0.0:{port}")
        assert "Traceback" not in taken.stderr
    finally:
        process.terminate()  # SIGTERM, as a service manager stops it
        assert process.wait(timeout=30) == 0 and "stopped" in process.stderr.read()


def test_long_preparation_runs_in_the_background_and_other_pages_answer(sample, monkeypatch):
    """After a large import the representations take a while: the pages that need them say "preparing" (with
    Retry-After) instead of holding the app, and every other page answers meanwhile (issue 17). The
    encoder is held at a gate here, so the test sees the middle of the work whatever the machine's speed."""
    import threading
    import time

    from layerwise.represent import dense

    monkeypatch.setenv("LAYERWISE_WEB_BACKGROUND_ABOVE", "100")  # the sample's 3,000 items count as large
    gate = threading.Event()
    real = dense.encoder_for

    class Held:
        def __init__(self, encoder):
            self.encoder, self.name = encoder, encoder.name

        def encode(self, texts):
            gate.wait(60)
            return self.encoder.encode(texts)

    monkeypatch.setattr(dense, "encoder_for", lambda config: Held(real(config)))
    with TestClient(create_app(sample, allowed_hosts=HOSTS)) as c:
        waiting = c.get("/inbox")
        assert waiting.status_code == 503 and waiting.headers["retry-after"] == "2"
        assert "Preparing your library" in waiting.text and 'http-equiv="refresh"' in waiting.text
        assert c.get("/week").status_code == 503 and c.get("/map/rag").status_code == 503
        for url in ("/notes", "/review", "/stats", "/inbox?q=attention", "/map"):  # answered meanwhile
            assert c.get(url).status_code == 200, url
        assert c.app.state.warmup.busy()
        gate.set()
        deadline = time.monotonic() + 120
        while c.app.state.warmup.busy() and time.monotonic() < deadline:
            time.sleep(0.1)
        ready = c.get("/inbox")
        assert ready.status_code == 200 and 'data-item="' in ready.text
        assert c.get("/week").status_code == 200


def test_the_week_page_offers_its_timeboxes_as_a_calendar(client, sample):
    from icalendar import Calendar

    assert 'href="/week.ics"' in client.get("/week").text
    response = client.get("/week.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    picks = [p for p in week_plan(sample).picks if p.state != "done"]
    assert len([e for e in events if str(e["uid"]).startswith("pick-")]) == len(picks)


def test_the_weekly_review_page_decides_reflects_and_plans_ahead(client, sample):
    """The weekly review in the browser's terms (issue 18): outcomes, a decision per untouched pick, the user's
    reflection, then the next week's plan."""
    week_plan(sample)
    this = iso_week()
    shown = client.get("/week/review")  # no week due and none ended: this week's, mid-week
    assert shown.status_code == 200 and f"Weekly review <small>{this}" in shown.text
    assert shown.text.count('class="actions decide"') == 5 and shown.text.count(">untouched<") == 5
    assert post(client, f"/week/review/{this}/pick/1", {"choice": "carry"}).status_code == 303
    refused = post(client, f"/week/review/{this}/pick/2", {"choice": "schedule"})
    assert refused.status_code == 400 and "needs a day" in refused.text
    assert post(client, f"/week/review/{this}/pick/2", {"choice": "schedule", "day": "+2d"}).status_code == 303
    assert post(client, f"/week/review/{this}/pick/3", {"choice": "forget"}).status_code == 404
    assert post(client, f"/week/review/{this}/reflection", {"learned": "<script>x</script> less is more",
                                                            "change": ""}).status_code == 303
    after = client.get(f"/week/review?week={this}").text
    assert ">carry<" in after and "schedule 20" in after and f"journal/{this}.md" in after and "<script>x" not in after
    assert post(client, f"/week/review/{this}/done").headers["location"].endswith("#ahead")
    done = client.get(f"/week/review?week={this}").text
    assert "The plan for" in done and "carried over from" in done and "Reviewed " in done
    assert client.get("/week/review?week=2026-W77").status_code == 400


def test_the_week_page_says_when_a_weekly_review_is_due(client, sample):
    from layerwise.rank import profile

    profile.set_setting(sample, "study_slots", "mon 08:00")  # each week's review is due from its Monday: always, today
    this = iso_week()
    client.get("/week")  # this week's plan is made
    assert f'href="/week/review?week={this}">The review of {this} is due' in client.get("/week").text
    profile.set_setting(sample, "nudge", "off")
    assert "is due" not in client.get("/week").text
    profile.set_setting(sample, "nudge", "on")
    assert post(client, f"/week/review/{this}/done").status_code == 303
    assert "is due" not in client.get("/week").text
