"""Hostile and random input: the scorer returns a well-formed result or an InputError, nothing else."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import KINDS, PARAGRAPH_SIGNALS, Article, ArticleResult, InputError, Scorer
from model.segment import is_blank

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LANGUAGE_CHOICES = st.sampled_from(["auto", "id", "en"])
#: Text with everything hypothesis can generate (emoji, RTL, control characters; no surrogates)
#: plus the characters the segmenter and tokenizer treat specially.
SPECIAL = ["\n", "\r\n", "\u2028", "\x00", "\u200b", "\ufeff", "İ", "ß", "ﬁ", "“", "”", "’", "'", "«", "!", "?", "<", "&", "Baca juga:", "kata Budi", "said Jane", "مرحبا", "🙂", "\u202e"]
ANY_TEXT = st.text() | st.lists(st.text(max_size=15) | st.sampled_from(SPECIAL), max_size=40).map("".join)
TAGS = ["p", "li", "ul", "div", "span", "h2", "blockquote", "script", "style", "iframe", "b", "table", "td", "br", "!--", "a href='x'"]
HTML_PIECE = st.one_of(
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t.split()[0]}>"),
    st.sampled_from(["&amp;", "&#8220;", "&nbsp;", "&bogus;", "&#0;", "<", ">", "-->", "<!DOCTYPE html>", "<p", "\"'"]),
    ANY_TEXT,
)
ANY_HTML = st.lists(HTML_PIECE, max_size=40).map("".join)


def check_well_formed(article: Article, result: ArticleResult) -> None:
    """Invariants every result keeps, whatever came in."""
    assert isinstance(result, ArticleResult)
    assert result.language in ("id", "en")
    assert 0.0 <= result.risk <= 1.0
    for i, p in enumerate(result.paragraphs):
        assert p.index == i and p.text.strip()
        assert p.kind in KINDS and 0.0 <= p.risk <= 1.0
        assert {h.name for h in p.signals} <= set(PARAGRAPH_SIGNALS)
        if article.text is not None:
            assert article.text[p.start : p.end] == p.text
        else:
            assert p.start is None and p.end is None
        for hit in p.signals:
            for e in hit.evidence:
                assert e.text and p.text[e.start : e.end] == e.text
    if result.headline is not None:
        for e in result.headline.evidence:
            assert result.headline.text[e.start : e.end] == e.text


def score_or_input_error(scorer: Scorer, article: Article) -> ArticleResult | None:
    try:
        result = scorer.score(article)
    except InputError:
        return None
    check_well_formed(article, result)
    return result


@SETTINGS
@given(text=ANY_TEXT, language=LANGUAGE_CHOICES)
def test_any_text(scorer: Scorer, text: str, language: str) -> None:
    score_or_input_error(scorer, Article(text=text, language=language))


@SETTINGS
@given(title=st.none() | ANY_TEXT, text=ANY_TEXT)
def test_any_title_with_text(scorer: Scorer, title: str | None, text: str) -> None:
    score_or_input_error(scorer, Article(title=title, text=text))


@SETTINGS
@given(markup=ANY_HTML, language=LANGUAGE_CHOICES)
def test_any_html(scorer: Scorer, markup: str, language: str) -> None:
    result = score_or_input_error(scorer, Article(html=markup, language=language))
    if result is not None:
        assert all(p.text == " ".join(p.text.split()) for p in result.paragraphs)  # white space squashed


@SETTINGS
@given(items=st.lists(ANY_TEXT, max_size=20), language=LANGUAGE_CHOICES)
def test_any_list(scorer: Scorer, items: list[str], language: str) -> None:
    result = score_or_input_error(scorer, Article(paragraphs=items, language=language))
    if result is not None:
        assert [p.text for p in result.paragraphs] == [s.strip() for s in items if not is_blank(s)]


# ---------------------------------------------------------------- explicit cases
@pytest.mark.parametrize(
    "article",
    [
        pytest.param(Article(text=""), id="empty"),
        pytest.param(Article(text=" \t\n\r\n \u3000 "), id="whitespace"),
        pytest.param(Article(html="<p></p><div>   </div>"), id="empty-html"),
    ],
)
def test_nothing_to_score_is_an_input_error(scorer: Scorer, article: Article) -> None:
    with pytest.raises(InputError):
        scorer.score(article)


@pytest.mark.parametrize(
    "article",
    [
        pytest.param(Article(text="mungkin " * 125_000), id="1MB-of-one-word"),
        pytest.param(Article(text="x" * 1_000_000), id="1MB-single-token"),
        pytest.param(Article(text="a\n" * 10_000), id="10k-tiny-paragraphs"),
        pytest.param(Article(title="Harga\x00naik", text="Harga\x00 beras\x00 naik,\x00 kata Budi.\n\x00Baca juga: lain"), id="NUL-bytes"),
        pytest.param(Article(html="<div><p>tidak <b>ditutup<li>butir<blockquote>kutip</span></div></p>>"), id="unbalanced-html"),
        pytest.param(Article(html="<div>" * 3000 + "dalam"), id="deep-html"),
    ],
)
def test_hostile_but_valid_input_is_scored(scorer: Scorer, article: Article) -> None:
    result = scorer.score(article, explain=True)
    check_well_formed(article, result)
    assert result.paragraphs


def test_only_control_characters_is_a_result_or_an_input_error(scorer: Scorer) -> None:
    score_or_input_error(scorer, Article(text="\x00\x00\n\x00\x07"))


def test_ten_thousand_paragraphs_all_come_back(scorer: Scorer) -> None:
    result = scorer.score(Article(paragraphs=[f"p{i}" for i in range(10_000)], language="id"), explain=False)
    assert [p.text for p in result.paragraphs[:3]] == ["p0", "p1", "p2"]
    assert len(result.paragraphs) == 10_000


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Awal</p><script>var RAHASIA = 1;</script><p>Akhir</p>",
        "<p>Awal <script>document.write('RAHASIA')</script> akhir</p>",
        "<li>butir<script>RAHASIA()</script></li>",
        "<div>lepas <script type='text/javascript'>RAHASIA</script> teks</div>",
        "<script>RAHASIA",
        "<html><head><script>RAHASIA</script></head><body><p>Isi</p><style>.RAHASIA{}</style></body></html>",
        "<p>a</p><script><p>RAHASIA</p></script>",
    ],
)
def test_script_content_never_reaches_the_output(scorer: Scorer, markup: str) -> None:
    try:
        result = scorer.score(Article(html=markup, language="id"))
    except InputError:
        return
    assert not any("RAHASIA" in p.text for p in result.paragraphs)
