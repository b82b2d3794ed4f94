"""A library shared by a team (issue 15): a one-person library made by the previous release becomes a team's with
nothing lost, each person's profile, plan, sessions, layers and cards stay theirs, the CLI says who acts, and the
web app signs people in with their tokens, limits wrong tokens, and keeps every member out of another's data."""

import gzip
import html
import json
import re
from dataclasses import asdict

import pytest
from fastapi.testclient import TestClient

from conftest import data_file, downgrade_library
from layerwise import people
from layerwise.concepts.progress import layers, mark
from layerwise.library import Library
from layerwise.rank.plan import week_plan
from layerwise.rank.profile import add_focus, focuses, rate
from layerwise.reinforce import cards, review
from layerwise.sample import SAMPLE_PATH
from layerwise.store import SCHEMA_REVISIONS
from layerwise.study import dives, notes, sessions
from layerwise.web.app import create_app


def _ref(library, position):
    return str(library.find(limit=5)[0][position].id)


def _profile(library):
    """Everything personal a library holds for the person it acts as."""
    return {"focuses": [asdict(f) for f in focuses(library)],
            "plan": [(p.item_id, p.state) for p in week_plan(library).picks],
            "sessions": [(s["item_id"], s["layer"], s["outcome"]) for s in sessions.history(library)],
            "layers": layers(library), "dives": [(d["item_id"], d["day"]) for d in dives.dives(library)],
            "due": [c.question for c in review.due(library)],
            "statuses": sorted((i.id, i.status) for s in ("planned", "reading", "done", "archived")
                               for i in library.find(status=s, limit=None)[0])}


def _studied(library):
    """A person who has worked: focuses, a rating, a plan, a summarised session with a card, a scheduled dive."""
    add_focus(library, "need", "attention in transformers")
    rate(library, _ref(library, 0), 1)
    week_plan(library)
    note = sessions.log(library, _ref(library, 0), "skim", 10, "summarize", summary="Scaled dot-product.").note
    notes.append_to_section(note, "What I know", "- What scales the scores? :: 1/sqrt(d_k)")
    cards.sync(library)
    sessions.log(library, _ref(library, 1), "skim", 5, "schedule", when="+3d")
    mark(library, "dag", "explored")


def test_a_one_person_library_becomes_a_teams_with_nothing_lost(db_url, tmp_path):
    home = tmp_path / "home"
    library = Library(home, database_url=db_url)
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    _studied(library)
    before = _profile(library)
    assert before["focuses"] and before["plan"] and before["sessions"] and before["dives"] and before["due"]
    library.close()
    downgrade_library(db_url, SCHEMA_REVISIONS[-2])  # the library as the previous release left it

    upgraded = Library(home, database_url=db_url)
    assert _profile(upgraded) == before and not people.shared(upgraded)
    alice, token, took_over = people.add(upgraded, "Alice", role="member")
    assert took_over and alice.name == "alice" and alice.curator and token.startswith("lw_")
    bob, _, took_over = people.add(upgraded, "bob")
    assert not took_over and bob.role == "member"
    upgraded.close()

    as_alice = Library(home, database_url=db_url)  # the home that was taken over now acts as alice
    assert as_alice.user == "alice" and as_alice.desk == as_alice.home
    assert _profile(as_alice) == before
    as_bob = Library(home, database_url=db_url, user="bob")
    empty = _profile(as_bob)
    assert not any(empty[k] for k in ("focuses", "sessions", "layers", "dives", "due", "statuses"))
    assert before["statuses"] and all(as_bob.get(str(i)).status == "inbox" for i, _ in before["statuses"])
    add_focus(as_bob, "need", "graph neural networks")
    rate(as_bob, _ref(as_bob, 1), -1)
    sessions.log(as_bob, _ref(as_bob, 1), "skim", 5, "bookmark")
    as_bob.set_status([_ref(as_bob, 2)], "archived")  # out of bob's inbox, still in alice's
    assert [f.text for f in focuses(as_bob)] == ["graph neural networks"]
    assert as_bob.get(_ref(as_bob, 2)).status == "archived" and as_alice.get(_ref(as_alice, 2)).status == "inbox"
    assert as_bob.desk.path == home / "people" / "bob"  # bob's notes are his own files
    assert all(str(p).startswith(str(home / "people" / "bob")) for p in (as_bob.desk.path / "notes").rglob("*.md"))
    assert _profile(as_alice) == before  # nothing bob did reached alice's profile
    as_alice.close()
    as_bob.close()


def test_the_cli_says_who_acts_and_only_curators_manage_people(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERWISE_HOME", str(tmp_path / "home"))
    assert cli("import", str(SAMPLE_PATH)).code == 0
    assert cli("focus", "need", "retrieval").code == 0
    added = cli("user", "add", "alice")
    assert added.code == 0 and "now owns this library's profile" in added.out
    alice_token = added.out.strip().splitlines()[-1]
    bob = cli("user", "add", "bob", "--role", "member")
    assert bob.code == 0 and "bob added as member" in bob.out
    assert cli("focus", "list").out.strip() == "[1] need: retrieval"  # the home's config names alice
    assert "no focus yet" in cli("--user", "bob", "focus", "list").out
    assert cli("--user", "bob", "focus", "want", "diffusion").code == 0
    assert cli("--user", "bob", "focus", "remove", "1").err.startswith("error: no focus with id 1")  # alice's
    assert cli("focus", "list").out.strip() == "[1] need: retrieval"

    refused = cli("--user", "bob", "user", "add", "carol")
    assert refused.code == 2 and refused.err.strip() == "error: only a curator can add people"
    assert cli("--user", "nobody", "week").err.strip() == "error: no person named 'nobody' shares this library"
    monkeypatch.setenv("LAYERWISE_HOME", str(tmp_path / "elsewhere"))  # a second home on the same database
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", f"sqlite:///{tmp_path / 'home' / 'library.sqlite3'}")
    anonymous = cli("week")
    assert anonymous.code == 2 and "shared by a team: say who you are with --user" in anonymous.err

    listed = [t for t in json.loads(cli("--user", "bob", "user", "tokens", "--json").out)]
    assert [t["person"] for t in listed] == ["bob"]  # a member sees their own tokens
    assert len(json.loads(cli("--user", "alice", "user", "tokens", "--json").out)) == 2
    assert cli("--user", "bob", "user", "revoke", "1").code == 2  # alice's
    assert cli("--user", "alice", "user", "revoke", str(listed[0]["id"])).code == 0
    assert json.loads(cli("--user", "bob", "user", "tokens", "--json").out)[0]["revoked_at"]
    assert cli("--user", "alice", "user", "remove", "alice").code == 2  # the only curator stays
    assert cli("--user", "alice", "user", "remove", "bob").code == 0
    assert cli("--user", "bob", "week").code == 2
    assert alice_token.startswith("lw_") and alice_token not in cli("--user", "alice", "user", "tokens").out


# -- the web app -----------------------------------------------------------------------------------------
@pytest.fixture
def team(library):
    library.import_file(str(SAMPLE_PATH), source="arxiv")
    _, alice, _ = people.add(library, "alice")
    _, bob, _ = people.add(library, "bob")
    return library, {"alice": alice, "bob": bob}


def _csrf(page):
    return re.search(r'name="csrf-token" content="([0-9a-f]+)"', page).group(1)


def _sign_in(app, token):
    client = TestClient(app)
    form = client.get("/login")
    response = client.post("/login", data={"token": token, "next": "/study", "csrf": _csrf(form.text)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/study", response.text
    return client


def test_the_web_app_signs_people_in_and_keeps_each_to_their_own(team):
    library, tokens = team
    app = create_app(library)
    stranger = TestClient(app)
    assert stranger.get("/week", follow_redirects=False).headers["location"] == "/login?next=/week"
    assert stranger.post("/items/1/accept").status_code == 401
    assert stranger.get("/static/app.css").status_code == 200

    alice, bob = _sign_in(app, tokens["alice"]), _sign_in(app, tokens["bob"])
    assert ">alice</span>" in alice.get("/week").text and ">bob</span>" in bob.get("/week").text
    started = alice.post("/study/start", data={"ref": _ref(library, 0), "layer": "skim", "minutes": "10",
                                                "csrf": _csrf(alice.get("/study").text)}, follow_redirects=False)
    session = started.headers["location"]
    assert alice.get(session).status_code == 200
    # bob cannot see, pause or finish alice's session, with his own form token or with hers
    assert bob.get(session).status_code == 404 and bob.get(session + "/clock").status_code == 404
    bob_csrf, alice_csrf = _csrf(bob.get("/study").text), _csrf(alice.get("/study").text)
    assert bob_csrf != alice_csrf
    assert bob.post(session + "/finish", data={"outcome": "bookmark", "csrf": bob_csrf}).status_code == 404
    assert bob.post(session + "/pause", data={"csrf": alice_csrf}).status_code == 403
    assert alice.get(session + "/clock").json()["running"]

    note = sessions.log(library.as_person(people.everyone(library)[0]), _ref(library, 1), "skim", 5,
                        "bookmark").note
    notes.append_to_section(note, "What I know", "- Why skip connections? :: gradients flow")
    assert "Why skip connections?" in alice.get("/review").text
    assert "Why skip connections?" not in bob.get("/review").text
    card = re.search(r'action="/review/(\d+)"', alice.get("/review").text).group(1)
    assert bob.post(f"/review/{card}", data={"rating": "good", "csrf": bob_csrf}).status_code == 404
    title = library.get(_ref(library, 1)).title
    assert html.escape(title) in alice.get("/notes").text and html.escape(title) not in bob.get("/notes").text

    # revoking bob's token signs his browser out; signing out ends alice's session
    bob_token = next(t.id for t in people.tokens(library) if t.person == "bob")
    people.revoke(library, bob_token)
    assert bob.get("/week", follow_redirects=False).status_code == 303
    assert alice.post("/logout", data={"csrf": alice_csrf}, follow_redirects=False).status_code == 303
    assert alice.get("/week", follow_redirects=False).headers["location"] == "/login?next=/week"


def test_sessions_expire_and_wrong_tokens_are_limited(team):
    library, tokens = team
    app = create_app(library)
    alice = _sign_in(app, tokens["alice"])
    from sqlalchemy import text

    with library.store.begin() as conn:  # a week later
        conn.execute(text("UPDATE web_sessions SET expires_at = '2000-01-01T00:00:00Z'"))
    assert alice.get("/week", follow_redirects=False).headers["location"] == "/login?next=/week"

    guesser = TestClient(app)
    csrf = _csrf(guesser.get("/login").text)
    for attempt in range(5):
        wrong = guesser.post("/login", data={"token": f"lw_wrong{attempt}", "csrf": csrf})
        assert wrong.status_code == 401 and "not valid" in wrong.text
    limited = guesser.post("/login", data={"token": tokens["bob"], "csrf": csrf})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 500
    assert "lw_" not in limited.text


def test_a_one_person_library_serves_as_before(sqlite_library):
    sqlite_library.import_file(str(SAMPLE_PATH), source="arxiv")
    client = TestClient(create_app(sqlite_library, allowed_hosts=("testserver",)))
    page = client.get("/week")
    assert page.status_code == 200 and "Sign out" not in page.text


# -- fetching on a shared server (SSRF) ------------------------------------------------------------------
@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "::ffff:127.0.0.1", "fe80::1", "2130706433"])
def test_the_guard_refuses_every_address_that_is_not_public(address):
    import httpx

    from layerwise.errors import FetchError
    from layerwise.net import Guard

    host = f"[{address}]" if ":" in address else address
    with pytest.raises(FetchError, match="refused: .* private, loopback or link-local"):
        Guard().address(httpx.URL(f"http://{host}/"))
    assert Guard(("0.0.0.0/0", "::/0")).address(httpx.URL(f"http://{host}/"))  # an allow-list lets it through


def test_a_shared_library_fetches_from_its_own_network_only_when_allowed(sqlite_library, http_server, cli, monkeypatch):
    page = gzip.decompress(data_file("files", "pages", "lilianweng-2018-06-24-attention.html.gz").read_bytes())
    http_server.serve("/post", page, content_type="text/html; charset=utf-8")
    port = http_server.base.rsplit(":", 1)[1]
    http_server.serve("/hop", b"", status=302, location=f"http://127.0.0.1:{port}/post")
    monkeypatch.setenv("LAYERWISE_HOME", str(sqlite_library.home.path))
    people.add(sqlite_library, "alice")

    for target in (http_server.url("/post"), f"http://localhost:{port}/post"):
        refused = cli("add", target)
        assert refused.code == 2 and "refused: " in refused.err and "private, loopback or link-local" in refused.err
    assert "does not capture file: URLs" in cli("add", "file:///etc/passwd").err
    assert "refused: " in cli("feed", "add", http_server.url("/post")).err
    assert http_server.requests == []  # not one request reached the server

    sqlite_library.home.set_config("fetch_allow", ["localhost"])  # by name: only that name passes
    added = cli("add", f"http://localhost:{port}/post")
    assert added.code == 0, added.err
    assert http_server.hits("/post")[0]["host"] == f"localhost:{port}"  # connected to the checked address, by name
    redirected = cli("add", f"http://localhost:{port}/hop")  # ... and a redirect to its address is checked again
    assert redirected.code == 2 and "refused: 127.0.0.1" in redirected.err


# -- the team's week and the curator's digest -------------------------------------------------------------
def test_the_teams_week_shared_summaries_and_the_curators_digest(team, tmp_path):
    from layerwise.people import NotAllowed
    from layerwise.rank.plan import act
    from layerwise.reinforce import team as team_week
    from layerwise.times import iso_week

    library, tokens = team
    alice, bob = (library.as_person(p) for p in people.everyone(library))
    add_focus(alice, "need", "retrieval-augmented generation")
    add_focus(bob, "need", "retrieval-augmented generation")
    shared_item = week_plan(alice).picks[0].item_id
    act(alice, 1, "accept")
    act(alice, 2, "done")
    week_plan(bob)  # proposed only: the team does not see it
    for person, words in ((alice, "Retrieval beats closed-book QA."), (bob, "A retriever and a generator, trained together.")):
        sessions.log(person, str(shared_item), "explore", 10, "summarize", summary=words)
        team_week.share(person, str(shared_item))
    mark(bob, "rag", "deepened")
    mark(alice, "rag", "skimmed")

    week = team_week.week(alice, iso_week())
    top = week[0]
    assert top.item_id == shared_item and sorted(top.summed_up) == ["alice", "bob"] and sorted(top.finished) == ["alice", "bob"]
    assert [s["author"] for s in top.shared] == ["alice", "bob"]
    assert all("bob" not in t.accepted + t.finished for t in week[1:])  # bob's other picks, only proposed, stay his
    assert sum("alice" in t.finished for t in week) == 2  # the summed-up pick is done too
    assert team_week.who_knows(alice, "rag")[0]["people"] == [{"name": "bob", "layer": "deepened"},
                                                                {"name": "alice", "layer": "skimmed"}]
    with pytest.raises(Exception, match="no Summary yet"):
        team_week.share(bob, str(week[-1].item_id))

    draft = team_week.draft(alice, iso_week())
    assert "(summary by alice)" in draft and "(summary by bob)" in draft
    sections = draft.split("\n## ")
    edited = "\n## ".join([sections[0], sections[2], sections[1].replace("Retrieval beats closed-book QA.",
                                                                         "Why we care: our search stack is RAG.")])
    with pytest.raises(NotAllowed):
        team_week.publish(bob, iso_week(), edited)
    links = team_week.publish(alice, iso_week(), edited)
    assert [x["item_id"] for x in links] == [week[1].item_id, shared_item]  # the curator's order, one left out
    assert team_week.draft(bob, iso_week()).count("\n## ") == 2  # the published week is the draft now
    markdown, email = team_week.markdown(iso_week(), links), team_week.to_html(iso_week(), links)
    assert markdown.startswith(f"# Team digest, {iso_week()}") and "Why we care: our search stack is RAG." in markdown
    assert "<script" not in email and "Why we care" in email
    assert team_week.atom(bob).count(b"<entry>") == 1

    app = create_app(library)
    browser = _sign_in(app, tokens["bob"])
    assert "Why we care" not in browser.get(f"/items/{shared_item}").text  # the item shows members' own words
    page = browser.get(f"/items/{shared_item}").text
    assert "Shared by the team" in page and "A retriever and a generator" in page and "alice" in page
    team_page = browser.get("/team?who=rag").text
    assert "summed up: alice, bob" in team_page and "bob <span class=\"meta\">(deepened)</span>" in team_page
    team_week.unshare(bob, str(shared_item))
    assert [s["author"] for s in team_week.shared_on(bob, shared_item)] == ["alice"]


def test_team_commands_and_the_curators_digest_from_the_cli(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERWISE_HOME", str(tmp_path / "home"))
    assert cli("demo").code == 0
    assert cli("user", "add", "alice").code == 0 and cli("user", "add", "bob").code == 0
    pick = json.loads(cli("week", "--json").out)["picks"][0]["id"]
    assert cli("study", str(pick), "--layer", "explore", "--minutes", "5", "--outcome", "summarize",
               "--summary", "Worth a team read.").code == 0
    assert cli("team", "share", str(pick)).code == 0
    shown = cli("team")
    assert shown.code == 0 and "finished: alice" in shown.out and "alice shared: Worth a team read." in shown.out
    assert "[rag]" in cli("team", "who", "rag").out
    draft = tmp_path / "draft.md"
    assert cli("digest", "--team", "-o", str(draft)).code == 0 and "<!-- item" in draft.read_text()
    refused = cli("--user", "bob", "digest", "--team", "--publish", str(draft))
    assert refused.code == 2 and "only a curator publishes" in refused.err
    draft.write_bytes((draft.read_text() + "\nA caf\xe9 note.\n").encode("cp1252", errors="replace"))  # an editor's
    published = cli("digest", "--team", "--publish", str(draft), "--format", "html")  # Windows-1252 is read too
    assert published.code == 0 and "Team digest" in published.out and "Worth a team read." in published.out
    assert cli("--user", "bob", "digest", "--team", "--format", "atom").out.count("<entry>") == 1


# -- embeddings computed once per item, for every machine ------------------------------------------------
def test_a_second_machine_reads_the_embeddings_instead_of_computing_them(db_url, tmp_path):
    import numpy as np
    from sqlalchemy import text

    from layerwise.represent.index import load_index

    first = Library(tmp_path / "first-home", database_url=db_url)
    first.import_file(str(SAMPLE_PATH), source="arxiv")
    embedded: list[int] = []
    built = load_index(first, progress=embedded.append)
    assert embedded[-1] == len(built.ids)
    with first.store.begin() as conn:
        kept = conn.execute(text("SELECT count(*) FROM item_vectors")).scalar()
    assert kept == (len(built.ids) if db_url.startswith("postgresql") else 0)  # SQLite: one machine, the index is enough

    second = Library(tmp_path / "second-home", database_url=db_url)  # another server: an empty index/ folder
    again: list[int] = []
    read = load_index(second, progress=again.append)
    if db_url.startswith("postgresql"):
        assert again == []  # nothing embedded
        assert np.abs(read.dense[read.rows(built.ids.tolist())] - built.dense).max() < 2e-3  # float16 precision
        changed = int(built.ids[5])
        with second.store.begin() as conn:  # an item's text changes: its vector is computed again, and only it
            conn.execute(text("UPDATE items SET title = title || ' (revised)', updated_at = '2999-01-01T00:00:00Z' "
                              "WHERE id = :i"), {"i": changed})
        third: list[int] = []
        load_index(Library(tmp_path / "third-home", database_url=db_url), progress=third.append)
        assert third[-1] == 1
    else:
        assert again[-1] == len(built.ids)
    first.close()
    second.close()


def test_every_route_of_a_teams_library_needs_a_person_signed_in(team):
    """Not one page, action or download of a team's library answers a browser that has not signed in."""
    from fastapi.routing import APIRoute

    library, _ = team
    app = create_app(library)
    stranger = TestClient(app)
    csrf = _csrf(stranger.get("/login").text)
    checked = 0
    routes = [r for part in app.routes for r in getattr(getattr(part, "original_router", None), "routes", [part])]
    for route in routes:
        if not isinstance(route, APIRoute) or route.path in ("/login", "/logout", "/favicon.ico"):
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in route.methods:
            response = stranger.request(method, path, data={"csrf": csrf}, follow_redirects=False)
            if method == "GET":
                assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
            else:
                assert response.status_code == 401, (method, path)
            checked += 1
    assert checked >= 29  # every route the app has (a new one is checked without listing it)
