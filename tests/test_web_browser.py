"""End to end in a real headless Chromium (Debian's package, driven by Playwright): triage -> plan -> study ->
note -> review on a tmp library served by a real uvicorn server, and hostile feed content that must not run."""

import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from layerwise.sample import SAMPLE_PATH
from layerwise.study import notes

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FIXTURES = Path(__file__).parent / "fixtures"
# Chromium as the machine notes say: no sandbox as root, and none of its background calls to the internet
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-quic", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture
def server(sqlite_library, http_server):
    import uvicorn

    from layerwise import subscriptions
    from layerwise.web.app import create_app

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed for the browser tests (scripts/system-deps.sh installs it)")
    sqlite_library.import_file(str(SAMPLE_PATH), source="arxiv")
    url = http_server.serve("/hostile.xml", (FIXTURES / "hostile-feed.xml").read_bytes(),
                            content_type="application/rss+xml")
    subscriptions.subscribe(sqlite_library, url, name="hostile")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = create_app(sqlite_library)
    instance = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", sqlite_library
    instance.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def browser_page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(20000)
        problems: list[str] = []
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        yield page, problems
        browser.close()


def test_triage_plan_study_note_review_in_a_browser(server, browser_page):
    base, library = server
    page, problems = browser_page

    # Inbox: the keyboard moves and accepts into this week's plan
    page.goto(base + "/inbox")
    rows = page.locator("li.row")
    second = rows.nth(1).get_attribute("data-item")
    page.keyboard.press("j")
    assert "selected" in rows.nth(1).get_attribute("class")
    page.keyboard.press("a")  # triaged in place: no page load per key
    page.locator(f'li.row[data-item="{second}"]').wait_for(state="detached")
    third = rows.nth(1).get_attribute("data-item")
    assert "selected" in rows.nth(1).get_attribute("class")  # the next row is selected
    page.keyboard.press("+")
    page.wait_for_selector(f'li.row[data-item="{third}"][data-rated="like"]')
    assert library.get(second).status == "planned"
    page.keyboard.press("e")
    page.locator(f'li.row[data-item="{third}"]').wait_for(state="detached")
    assert library.get(third).status == "archived"
    page.goto(base + "/week")
    pick = page.locator(f'li.pick[data-item="{second}"]')
    assert "accepted" in pick.locator(".state").inner_text()

    # Study it: a countdown that runs, and survives a reload
    pick.get_by_role("link", name="Study").click()
    page.wait_for_url(re.compile(r"/study\?ref="))
    page.fill("input[name=minutes]", "2")
    page.get_by_role("button", name="Start", exact=True).first.click()
    page.wait_for_url(re.compile(r"/study/\d+$"))
    countdown = page.locator(".countdown")
    first = countdown.inner_text()
    page.wait_for_function("t => document.querySelector('.countdown').textContent !== t", arg=first)
    assert re.fullmatch(r"1:[0-5]\d", countdown.inner_text())
    page.reload()
    assert re.fullmatch(r"1:[0-5]\d", countdown.inner_text())  # the clock lives on the server, not the page
    with page.expect_navigation():
        page.get_by_role("button", name="Pause").click()
    paused = countdown.inner_text()
    time.sleep(1.5)
    assert countdown.inner_text() == paused
    with page.expect_navigation():
        page.get_by_role("button", name="Resume").click()

    # The note, written in the page beside the timer, saved with Ctrl+S
    editor = page.locator("form.editor textarea")
    editor.click()
    editor.press("Control+End")
    editor.type("\n\nWhat is the point of a timebox? :: to stop reading and decide\n")
    editor.press("Control+s")
    page.wait_for_url(re.compile(r"saved=1"))
    note = notes.find_item_note(library, int(second))
    assert "What is the point of a timebox? :: to stop reading and decide" in note.read_text()

    # The forced choice
    page.get_by_label("Bookmark and move on").check()
    page.get_by_role("button", name="Finish the session").click()
    page.wait_for_url(re.compile(r"/study\?done="))
    assert "Session saved" in page.content()

    # Review the card the note made: Space reveals, 3 grades Good
    page.goto(base + "/review")
    assert "What is the point of a timebox?" in page.locator(".question").inner_text()
    assert not page.locator("#answer").evaluate("e => e.open")
    page.keyboard.press("Space")
    assert page.locator("#answer").evaluate("e => e.open")
    page.keyboard.press("3")
    page.wait_for_url(re.compile(r"reviewed=1"))
    assert "Nothing is due" in page.content()
    assert problems == []


def test_note_draft_survives_a_reload_before_saving(server, browser_page):
    base, library = server
    page, problems = browser_page
    page.goto(base + "/study?ref=dag")
    page.get_by_role("button", name="Start", exact=True).first.click()
    page.wait_for_url(re.compile(r"/study/\d+$"))
    page.locator("form.editor textarea").type("typed but not yet saved")
    page.reload()
    assert "typed but not yet saved" in page.locator("form.editor textarea").input_value()
    assert "restored" in page.locator(".draft-status").inner_text()
    assert problems == []


def test_concept_map_pans_zooms_and_opens_a_concept(server, browser_page):
    base, _ = server
    page, problems = browser_page
    page.goto(base + "/map?slug=dag&depth=2")
    svg = page.locator("#map")
    before = svg.get_attribute("viewBox")
    box = svg.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.wheel(0, -300)
    zoomed = svg.get_attribute("viewBox")
    assert zoomed != before and float(zoomed.split()[2]) < float(before.split()[2])
    page.mouse.move(box["x"] + 10, box["y"] + 10)
    page.mouse.down()
    page.mouse.move(box["x"] + 110, box["y"] + 60, steps=5)
    page.mouse.up()
    assert svg.get_attribute("viewBox").split()[:2] != zoomed.split()[:2]
    page.keyboard.press("0")
    assert [float(v) for v in svg.get_attribute("viewBox").split()] == [float(v) for v in before.split()]
    page.locator('a.node[data-slug="airflow-dag"]').click()
    page.wait_for_url(re.compile(r"/map/airflow-dag$"))
    assert "Airflow" in page.locator("h1").inner_text()
    assert problems == []


def test_hostile_feed_content_does_not_run(server, browser_page):
    base, library = server
    page, problems = browser_page
    hostile = [i.id for i in library.find(source="hostile")[0]]
    assert len(hostile) == 2
    urls = ["/inbox", "/inbox?q=attention+sinks", "/week"] + [f"/items/{i}" for i in hostile]
    for url in urls:
        page.goto(base + url)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.pwned") == "undefined", url
        assert page.locator("main script, main img[onerror], main svg[onload], main iframe").count() == 0, url
    sinks = next(i for i in library.find(source="hostile")[0] if "Attention sinks" in i.title)
    page.goto(f"{base}/items/{sinks.id}")
    assert "<script>window.pwned = 'title'</script>" in page.locator("h1").inner_text()  # shown, as text
    assert problems == []


def test_week_keys_swap_a_pick(server, browser_page):
    base, _ = server
    page, problems = browser_page
    page.goto(base + "/week")
    first = page.locator("li.pick").first.get_attribute("data-item")
    with page.expect_navigation():
        page.keyboard.press("w")  # swap: not this one, no judgement
    assert page.locator(f'li.pick[data-item="{first}"]').count() == 0
    assert page.locator("li.pick").count() == 5
    assert problems == []


def test_the_weekly_review_in_a_browser(server, browser_page):
    base, library = server
    page, problems = browser_page
    page.goto(base + "/week")
    page.get_by_role("link", name="The weekly review").click()
    first = page.locator("li.pick").first
    first.get_by_label("Let go").check()
    with page.expect_navigation():
        first.get_by_role("button", name="Decide").click()
    assert page.locator("li.pick").first.locator(".choice").inner_text() == "let-go"
    page.get_by_label("What I learned").fill("Evaluation comes before retrieval tricks.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save to the journal").click()
    assert "Saved in your journal" in page.locator("#reflection").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Done: plan").click()
    assert page.locator("#ahead li.pick").count() >= 5
    assert problems == []
