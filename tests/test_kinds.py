import pytest

from layerwise.capture.kinds import guess_kind


@pytest.mark.parametrize("url, og, ctype, kind", [
    ("https://www.youtube.com/watch?v=kCc8FmEb1nY", None, None, "video"),
    ("https://podcasts.apple.com/us/podcast/twiml/id1116303051", None, None, "podcast"),
    ("https://cdn.example.org/ep42.mp3", None, "audio/mpeg", "podcast"),
    ("https://github.com/karpathy/nanoGPT", None, None, "repo"),
    ("https://github.com/karpathy", None, None, "page"),
    ("https://www.coursera.org/learn/machine-learning", None, None, "course"),
    ("https://web.stanford.edu/class/cs224n/", None, None, "course"),
    ("https://news.ycombinator.com/item?id=1", None, None, "thread"),
    ("https://x.com/karpathy/status/1", None, None, "thread"),
    ("https://www.oreilly.com/library/view/designing-machine-learning/9781098107956/", None, None, "book"),
    ("https://openreview.net/forum?id=abc", None, None, "paper"),
    ("https://example.org/files/paper.pdf", None, None, "paper"),
    ("https://example.org/talk", "video.other", None, "video"),
    ("https://eugeneyan.com/writing/feature-stores/", "article", None, "post"),
])
def test_guess_kind(url, og, ctype, kind):
    assert guess_kind(url, og, ctype) == kind
