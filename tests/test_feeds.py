"""Feed subscriptions and sync against a real local HTTP server serving real feeds."""

from pathlib import Path

import pytest

from conftest import Route, data_file
from layerwise import subscriptions
from layerwise.errors import FetchError, LayerwiseError

FIXTURES = Path(__file__).parent / "fixtures"


def _serve_with_etag(server, path, body, etag='"v1"'):
    def handler(request):
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"ETag": etag, "Content-Type": "application/rss+xml", "Last-Modified": "Mon, 01 Sep 2025 10:00:00 GMT"}, body

    server.routes[path] = Route(handler=handler)
    return server.url(path)


def test_subscribe_sync_conditional_get(library, http_server):
    url = _serve_with_etag(http_server, "/index.xml", data_file("files", "feeds", "lilianweng-index.xml").read_bytes())
    feed, report = subscriptions.subscribe(library, url)
    assert feed["name"] == "lil-log" and report.added == 53 and feed["items"] == 53
    results = subscriptions.sync(library)
    assert [r.status for r in results] == ["not modified"]
    assert http_server.hits("/index.xml")[-1]["if-none-match"] == '"v1"'
    item = library.find("diffusion", source="lil-log")[0][0]
    assert library.resolve(f"lil-log:{item.refs[-1][1]}") == item.id


def test_sync_one_failing_feed_does_not_stop_the_others(library, http_server):
    good = _serve_with_etag(http_server, "/good.xml", data_file("files", "feeds", "lilianweng-tag-data.xml").read_bytes())
    flaky = http_server.serve("/flaky.xml", data_file("files", "feeds", "lilianweng-tag-architecture.xml").read_bytes())
    subscriptions.subscribe(library, good, name="good")
    subscriptions.subscribe(library, flaky, name="flaky")
    http_server.routes["/flaky.xml"] = Route(b"<html><body>Gone</body></html>", status=200, headers={"Content-Type": "text/html"})
    other = _serve_with_etag(http_server, "/other.xml", data_file("files", "feeds", "lilianweng-tag-reinforcement-learning.xml").read_bytes())
    subscriptions.subscribe(library, other, name="other")
    http_server.routes["/other.xml"] = Route(b"missing", status=404)
    results = {r.name: r for r in subscriptions.sync(library)}
    assert results["good"].status == "not modified"
    assert results["flaky"].status == "failed" and "HTML page" in results["flaky"].error
    assert results["other"].status == "failed" and "HTTP 404" in results["other"].error
    listed = {f["name"]: f for f in subscriptions.list_feeds(library)}
    assert listed["other"]["last_error"] and not listed["good"]["last_error"]


def test_page_that_advertises_a_feed_is_followed(library, http_server):
    body = data_file("files", "feeds", "lilianweng-tag-data.xml").read_bytes()
    feed_url = http_server.serve("/tags/data/index.xml", body, content_type="application/rss+xml")
    page = http_server.serve("/tags/data/", '<!DOCTYPE html><html><head><link rel="alternate" '
                             'type="application/rss+xml" href="/tags/data/index.xml"></head><body></body></html>',
                             content_type="text/html")
    feed, report = subscriptions.subscribe(library, page)
    assert feed["url"] == feed_url and report.added > 0
    with pytest.raises(LayerwiseError, match="already subscribed"):
        subscriptions.subscribe(library, feed_url)


def test_html_page_without_feed_and_dead_url(library, http_server):
    page = http_server.serve("/plain", "<!DOCTYPE html><html><body>no feed</body></html>", content_type="text/html")
    with pytest.raises(FetchError, match="advertises no feed"):
        subscriptions.subscribe(library, page)
    with pytest.raises(FetchError, match="HTTP 404"):
        subscriptions.subscribe(library, http_server.url("/nope.xml"))
    assert subscriptions.list_feeds(library) == []


def test_podcast_entries_are_podcasts_and_html_is_stripped(library, http_server):
    url = http_server.serve("/podcast.xml", (FIXTURES / "podcast.xml").read_bytes(), content_type="application/rss+xml")
    subscriptions.subscribe(library, url, name="practical-ai")
    item = library.get("practical-ai:episode-42")
    assert item.kind == "podcast" and item.extra["audio"].endswith("42.mp3")
    assert "<" not in item.title and "<" not in item.abstract and "alert" not in item.abstract
    assert item.abstract == "We talk about online/offline skew."


def test_json_feed(library, http_server):
    url = http_server.serve("/feed.json", (FIXTURES / "jsonfeed.json").read_bytes(), content_type="application/feed+json")
    feed, report = subscriptions.subscribe(library, url)
    assert feed["title"] == "Tiny ML Notes" and report.added == 2
    item = library.get(f"{feed['name']}:n1")
    assert item.title == "MinHash from scratch" and item.authors == ["A. Writer"] and item.published == "2025-02-01"


def test_arxiv_api_query_as_a_feed_dedupes_with_added_papers(library, http_server, monkeypatch):
    atom = (FIXTURES / "arxiv-1706.03762.atom").read_bytes()
    monkeypatch.setenv("LAYERWISE_ARXIV_API", http_server.url("/api/query"))
    http_server.serve("/api/query", atom)
    library.add("1706.03762")
    http_server.serve("/query-feed", atom, content_type="application/atom+xml")
    _, report = subscriptions.subscribe(library, http_server.url("/query-feed"), name="arxiv-attention")
    assert report.added == 0 and report.merged == 1
    assert library.find()[1] == 1


def test_remove_keeps_items(library, http_server):
    url = http_server.serve("/podcast.xml", (FIXTURES / "podcast.xml").read_bytes())
    subscriptions.subscribe(library, url, name="pod")
    subscriptions.unsubscribe(library, "pod")
    assert subscriptions.list_feeds(library) == [] and library.find()[1] == 1


def test_billion_laughs_feed_is_harmless(library, http_server):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">' for i in range(1, 10))
            + ']><rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
              '<link>https://e.com/a</link></item></channel></rss>')
    url = http_server.serve("/bomb.xml", bomb, content_type="application/rss+xml")
    feed, report = subscriptions.subscribe(library, url, name="bomb")
    item = library.find(source="bomb")[0][0]
    assert len(item.title) < 100  # the entity was never expanded


YOUTUBE = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id=UCXZCJLdBC09xxGZ6gcdrc6A"/>
 <id>yt:channel:UCXZCJLdBC09xxGZ6gcdrc6A</id>
 <yt:channelId>UCXZCJLdBC09xxGZ6gcdrc6A</yt:channelId>
 <title>OpenAI</title>
 <link rel="alternate" href="https://www.youtube.com/channel/UCXZCJLdBC09xxGZ6gcdrc6A"/>
 <author><name>OpenAI</name><uri>https://www.youtube.com/channel/UCXZCJLdBC09xxGZ6gcdrc6A</uri></author>
 <published>2016-03-14T21:46:59+00:00</published>
 <entry>
  <id>yt:video:kCc8FmEb1nY</id>
  <yt:videoId>kCc8FmEb1nY</yt:videoId>
  <yt:channelId>UCXZCJLdBC09xxGZ6gcdrc6A</yt:channelId>
  <title>Let's build GPT: from scratch, in code, spelled out.</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=kCc8FmEb1nY"/>
  <author><name>Andrej Karpathy</name><uri>https://www.youtube.com/channel/UCXUPKJO5MZQN11PqgIvyuvQ</uri></author>
  <published>2023-01-17T16:33:27+00:00</published>
  <updated>2024-01-01T00:00:00+00:00</updated>
  <media:group>
   <media:title>Let's build GPT: from scratch, in code, spelled out.</media:title>
   <media:description>We build a Generatively Pretrained Transformer (GPT), following the paper "Attention is All You Need".</media:description>
  </media:group>
 </entry>
</feed>
"""


def test_youtube_channel_feed_entries_are_videos(library, http_server):
    url = http_server.serve("/feeds/videos.xml", YOUTUBE, content_type="application/atom+xml")
    subscriptions.subscribe(library, url, name="karpathy")
    item = library.get("karpathy:yt:video:kCc8FmEb1nY")
    assert item.kind == "video" and item.published == "2023-01-17"
    assert "Generatively Pretrained Transformer" in (item.abstract or "")
    assert library.resolve("https://youtube.com/watch?v=kCc8FmEb1nY&t=30s") == item.id


def test_one_slow_feed_delays_no_other_and_is_cut_at_the_deadline(library, http_server, drip_server, monkeypatch):
    """Feeds are fetched a few at a time: the quick ones are stored while the slow one is still dripping, and
    the slow one fails at the request deadline instead of holding the sync (issue 17)."""
    import time

    from layerwise.store import feeds as feed_rows

    monkeypatch.setenv("LAYERWISE_HTTP_DEADLINE", "2")
    for name, tag in (("slow", "architecture"), ("quick", "data"), ("also-quick", "reinforcement-learning")):
        url = http_server.serve(f"/{name}.xml", data_file("files", "feeds", f"lilianweng-tag-{tag}.xml").read_bytes())
        subscriptions.subscribe(library, url, name=name)
    slow = subscriptions.find_feed(library, "slow")
    with library.store.begin() as conn:
        feed_rows.update(conn, slow["id"], url=drip_server.url("body"))
    heard = []
    start = time.monotonic()
    results = subscriptions.sync(library, on_feed=lambda r: heard.append(r.name))
    assert time.monotonic() - start < 5
    assert heard[-1] == "slow" and set(heard[:2]) == {"quick", "also-quick"}
    assert [r.name for r in results] == [f["name"] for f in subscriptions.list_feeds(library)]  # the feeds' order
    by_name = {r.name: r for r in results}
    assert by_name["slow"].status == "failed" and "stopped after 2 s" in by_name["slow"].error
    assert by_name["quick"].status in ("new", "not modified") and by_name["quick"].error is None
