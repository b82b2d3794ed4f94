"""`layerwise enrich`: OpenAlex citation data through the real client, against a local server that replays works
in OpenAlex's documented schema (tests/fixtures/openalex/works.json), on both engines."""

import gzip
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import Route
from layerwise.references import links
from layerwise.sample import SAMPLE_PATH

WORKS = json.loads((Path(__file__).parent / "fixtures" / "openalex" / "works.json").read_text())["works"]
BY_ID = {w["id"].rsplit("/", 1)[-1]: w for w in WORKS}
SURVEY = "2503.15289"  # cites 303 works: named through three list requests


def _select(work, fields):
    return {k: work.get(k) for k in fields.split(",")} if fields else work


@pytest.fixture
def openalex(http_server, monkeypatch, sample):
    monkeypatch.setenv("LAYERWISE_OPENALEX_API", http_server.url(""))
    monkeypatch.setenv("LAYERWISE_OPENALEX_MAILTO", "reader@example.org")
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", sample.database_url)
    for work in WORKS:
        if work["doi"]:
            doi = work["doi"].removeprefix("https://doi.org/")
            http_server.routes[f"/works/doi:{doi}"] = Route(handler=lambda h, w=work: _singleton(h, w))

    def listing(handler):
        query = parse_qs(urlparse(handler.path).query)
        wanted = query["filter"][0].removeprefix("openalex:").split("|")
        results = [_select(BY_ID[w], query.get("select", [""])[0]) for w in wanted if w in BY_ID]
        body = {"meta": {"count": len(results), "db_response_time_ms": 12, "page": 1, "per_page": 100,
                         "groups_count": None}, "results": results, "group_by": []}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    http_server.routes["/works"] = Route(handler=listing)
    return http_server


def _singleton(handler, work):
    query = parse_qs(urlparse(handler.path).query)
    return 200, {"Content-Type": "application/json"}, json.dumps(_select(work, query.get("select", [""])[0])).encode()


@pytest.fixture
def sample(library, tmp_path, monkeypatch):
    """The replayed papers and five more of the bundled sample that OpenAlex does not know (404)."""
    monkeypatch.setenv("LAYERWISE_OPENALEX_INTERVAL", "0")
    known = {_arxiv(w) for w in WORKS[:24]}
    lines = gzip.open(SAMPLE_PATH, "rt").read().splitlines()
    chosen = [line for line in lines if json.loads(line)["id"] in known]
    chosen += [line for line in lines if json.loads(line)["id"] not in known][:5]
    path = tmp_path / "papers.jsonl"
    path.write_text("\n".join(chosen) + "\n")
    library.import_file(str(path), source="arxiv")
    return library


def _arxiv(work):
    return work["doi"].removeprefix("https://doi.org/10.48550/arxiv.")


def test_enrich_all_brings_counts_references_and_mentions(sample, openalex, cli):
    result = cli("enrich", "--all", "--json")
    assert result.code == 3  # five papers are not in the replay: one line each, the rest kept
    report = json.loads(result.out)
    assert report["enriched"] == 24 and len([r for r in report["results"] if not r["ok"]]) == 5
    survey = sample.get(f"arxiv:{SURVEY}")
    assert survey.cited_by == BY_ID[survey_id(survey)]["cited_by_count"] and ("openalex", survey_id(survey)) in survey.refs
    cites = links(sample.store, survey.library_id).cites
    assert len(cites) == 303
    lists = [p for p, _ in openalex.requests if p.startswith("/works?")]
    assert len(lists) >= 3 and all("mailto=reader%40example.org" in p or "mailto=reader@example.org" in p for p in lists)
    # a referenced work without a DOI is noted under its OpenAlex id, with the title OpenAlex gives
    nameless = next(i for i, t, _ in cites if t == "openalex:W3000000000")
    assert nameless.mentioned and nameless.title == "Reference work number 0 on retrieval systems"
    # sample papers citing each other are joined, and the classics they cite are mentioned with their titles
    transformer = sample.get("arxiv:1706.03762")
    assert transformer.mentioned and transformer.title == "Attention Is All You Need"
    assert len(links(sample.store, transformer.library_id).cited_by) >= 5
    within = [i for w in WORKS[:24] for i, _, _ in links(sample.store, sample.resolve(f"arxiv:{_arxiv(w)}")).cites
              if i is not None and not i.mentioned]
    assert within  # references between the sample's own papers resolve to them
    # resumable: a second run has nothing left to do and asks nothing of the server
    before = len(openalex.requests)
    again = cli("enrich", "--all")
    assert again.code == 2 and "0 enriched" in again.out  # the 404s are tried again, the enriched are not
    assert not [p for p, _ in openalex.requests[before:] if SURVEY in p]


def survey_id(item):
    return next(w["id"].rsplit("/", 1)[-1] for w in WORKS if w["doi"] and w["doi"].endswith(item.arxiv_id))


def test_failures_are_one_line_each_and_leave_nothing_half_written(sample, openalex, cli, monkeypatch):
    monkeypatch.setenv("LAYERWISE_OPENALEX_API", openalex.url(""))
    works = [w for w in WORKS[:24]]
    limited, broken, fine = (_arxiv(w) for w in works[:3])
    openalex.serve(f"/works/doi:10.48550/arxiv.{limited}", json.dumps({"error": "Rate limit exceeded"}), status=429)
    openalex.serve(f"/works/doi:10.48550/arxiv.{broken}", "<html>oops</html>", status=200)
    monkeypatch.setenv("OPENALEX_API_KEY", "secret-key-123")
    result = cli("enrich", f"arxiv:{limited}", f"arxiv:{broken}", f"arxiv:{fine}", "arxiv:2599.99999")
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert result.code == 3 and "1 enriched" in result.out and len(lines) == 3
    assert any("2599.99999" in line and "no item matches" in line for line in lines)
    assert any(limited in line and "rate limit" in line for line in lines)
    assert any(broken in line and "not JSON" in line for line in lines)
    assert "secret-key-123" not in result.err
    for ref in (limited, broken):
        item = sample.get(f"arxiv:{ref}")
        assert not any(s == "openalex" for s, _ in item.refs) and not links(sample.store, item.library_id).cites
    assert any(s == "openalex" for s, _ in sample.get(f"arxiv:{fine}").refs)
    query = parse_qs(urlparse(next(p for p, _ in openalex.requests if fine in p)).query)
    assert query["api_key"] == ["secret-key-123"] and query["mailto"] == ["reader@example.org"]


def test_enriched_citations_give_the_plan_evidence(sample, openalex, cli):
    from layerwise.rank import profile
    from layerwise.rank.inbox import inbox

    cli("enrich", "--all")
    profile.add_focus(sample, "need", "retrieval-augmented generation: evaluating and attributing answers")
    entries = inbox(sample, limit=100)
    cited = [e for e in entries if "cited by" in e.because and "you saved" in e.because]
    assert cited, [e.because for e in entries[:10]]


def test_sync_can_enrich_what_it_brings(sample, openalex, cli):
    work = BY_ID["W2963403868"]  # Attention Is All You Need: not in this library yet

    def rss(entries: str) -> str:
        return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Picks</title><link>https://example.org</link>"
                f"<description>d</description>{entries}</channel></rss>")
    feed = openalex.serve("/feed.xml", rss(""), content_type="application/rss+xml")
    assert cli("config", "set", "enrich_on_sync", "on").code == 0
    assert cli("feed", "add", feed).code == 0
    openalex.serve("/feed.xml", rss(f"<item><title>{work['title']}</title><link>https://arxiv.org/abs/1706.03762</link>"
                                    "<guid>pick-1</guid></item>"), content_type="application/rss+xml")
    result = cli("sync")
    assert result.code == 0, result.err
    item = sample.get("arxiv:1706.03762")
    assert ("openalex", "W2963403868") in item.refs and item.cited_by == work["cited_by_count"]
    assert "1 enriched from OpenAlex" in result.out
    assert cli("config", "set", "enrich_on_sync", "maybe").code == 2


def test_enrich_needs_something_to_do(sample, cli, monkeypatch):
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", sample.database_url)
    result = cli("enrich")
    assert result.code == 2 and "--all" in result.err


def test_a_slow_answer_is_one_line_and_the_rest_go_on(sample, openalex, cli, monkeypatch):
    from conftest import Route

    monkeypatch.setenv("LAYERWISE_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("LAYERWISE_HTTP_RETRIES", "0")
    slow, fine = (_arxiv(w) for w in WORKS[1:3])
    work = next(w for w in WORKS if w["doi"].endswith(slow))
    openalex.routes[f"/works/doi:10.48550/arxiv.{slow}"] = Route(json.dumps(work).encode(), 200, {}, delay=1.0)
    result = cli("enrich", f"arxiv:{slow}", f"arxiv:{fine}")
    assert result.code == 3 and "1 enriched" in result.out
    [line] = [line for line in result.err.splitlines() if line.strip()]
    assert slow in line and "timed out" in line
