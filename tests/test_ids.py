import pytest

from layerwise import ids


@pytest.mark.parametrize("text, expected", [
    ("2503.11731", "2503.11731"),
    ("2503.11731v3", "2503.11731"),
    ("arXiv:1706.03762v7", "1706.03762"),
    ("https://arxiv.org/abs/1706.03762v5", "1706.03762"),
    ("https://arxiv.org/pdf/1706.03762.pdf", "1706.03762"),
    ("http://export.arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
    ("hep-th/9901001", "hep-th/9901001"),
    ("https://example.com/abs/1706.03762", None),
    ("10.1145/3292500.3330701", None),
    ("1706.037", None),
    ("0704.0001", "0704.0001"),
])
def test_arxiv_id(text, expected):
    assert ids.arxiv_id(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("10.1145/3292500.3330701", "10.1145/3292500.3330701"),
    ("https://doi.org/10.18653/V1/N19-1423", "10.18653/v1/n19-1423"),
    ("doi: 10.1038/nature14539.", "10.1038/nature14539"),
    ("https://example.com/10.1038/x", None),
    ("not a doi", None),
])
def test_doi(text, expected):
    assert ids.doi(text) == expected


def test_arxiv_doi_names_the_arxiv_paper():
    assert ids.arxiv_from_doi(ids.doi("10.48550/arXiv.2503.11731")) == "2503.11731"


def test_canonical_url_removes_cosmetic_differences():
    a = ids.canonical_url("http://www.Example.com:80/post//one/?utm_source=rss&b=2&a=1#comments")
    b = ids.canonical_url("https://example.com/post/one?a=1&b=2")
    assert a == b == "https://example.com/post/one?a=1&b=2"
    assert ids.canonical_url("https://www.youtube.com/watch?v=abc&t=42s") == "https://youtube.com/watch?v=abc"
    assert ids.canonical_url("mailto:someone@example.com") is None


def test_title_key_ignores_case_accents_latex_and_punctuation():
    assert ids.title_key("BERT: Pre-training of Deep Bidirectional Transformers") == \
        ids.title_key("{BERT}: Pre-Training of deep bidirectional transformers.")
    assert ids.title_key(r"\emph{Attention} Is All You Need") == ids.title_key("Attention is all you need")
    assert ids.title_key("Señor Müller") == "senormuller"


def test_slug_is_safe():
    assert ids.slug("Lil'Log: Posts / Tags") == "lil-log-posts-tags"
    assert ids.slug("???") == "untitled"
