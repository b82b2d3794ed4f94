import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


_HOSTS = st.lists(st.sampled_from(["example", "www.", "arxiv.org", "youtube.com", "-", ".", "0"]), min_size=1, max_size=4)
_PATHS = st.lists(st.sampled_from(["/", "//", "/watch", "/a-b_c.d", "/é", "/%20"]), max_size=5)
_PLAIN = st.tuples(st.sampled_from(["https://", "http://"]), _HOSTS, _PATHS)
_ODD = ["", " ", "\t", "\n", "é", "\u00a0", "%20", "\\", "[", "@", ":", "?", "#", "A"]  # what a plain address lacks
_MESSY = st.tuples(  # ... and addresses that are not plain, or not addresses
    st.sampled_from(["", " ", "\t"]), st.sampled_from(["https", "http", "HTTPS", "ftp", ""]), st.sampled_from(["://", ":/", ""]),
    st.lists(st.sampled_from(["example", "www.", "WWW.", "Example", "user@", "[::1]", "-"]), max_size=4),
    st.sampled_from(["", ":80", ":443", ":8080", ":99999", ":x"]), st.lists(st.sampled_from(["/", "//", "/watch", *_ODD]), max_size=5),
    st.sampled_from(["", "?", "?v=abc", "?utm_source=x&b=2&a=1", "?v=abc&t=1"]), st.sampled_from(["", "#", "#frag"]),
    st.sampled_from(["", " ", "\n"]))


@settings(derandomize=True, max_examples=2000, deadline=None, database=None)
@given(st.one_of(_PLAIN, _MESSY))
def test_a_plain_address_is_spelled_as_parsing_it_would(pieces):
    """canonical_url spells most addresses without parsing them: whatever it is given, the result is the one
    the parsing path gives."""
    url = "".join(p if isinstance(p, str) else "".join(p) for p in pieces)
    assert ids.canonical_url(url) == (ids._canonical_parsed(url.strip()) if url.strip() else None)


def test_most_addresses_of_the_corpora_take_the_plain_path():
    for url in ("https://arxiv.org/abs/2503.11731", "https://openreview.net/forum", "http://papers.nips.cc/paper/1-a.pdf",
                "https://www.example.com/post//one/"):
        assert ids._PLAIN_URL.fullmatch(url) and ids.canonical_url(url) == ids._canonical_parsed(url)


@settings(derandomize=True, max_examples=1000, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from(["a", "B", "é", " ", "\t", "\n", "\x00", "\u00a0", "\u2028", "\x1f", ","])))
def test_text_is_cleaned_the_same_whether_or_not_it_was_clean(text):
    """clean_text returns clean (or only line-wrapped) text without splitting it: the result is the one splitting
    into paragraphs and words gives."""
    from layerwise.records import clean_text

    kept = text.replace("\x00", "")
    assert clean_text(text) == (" ".join(kept.split()) or None)
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", kept))
    assert clean_text(text, keep_paragraphs=True) == ("\n\n".join(p for p in paragraphs if p) or None)
