"""Segmentation: what counts as a paragraph, and offsets a CMS can highlight with."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import AmbiguousInputError, InputTooLargeError
from model.segment import (
    MAX_INPUT_CHARS,
    MAX_PARAGRAPHS,
    is_blank,
    segment,
    segment_html,
    segment_list,
    segment_text,
)

LINE_BREAKS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x85"]
INVISIBLE = ["\u200b", "\ufeff", "\u200d", "\u00ad", "\u2060"]


def texts(segments) -> list[str]:
    return [s.text for s in segments]


def assert_offsets_exact(source: str, segments) -> None:
    for s in segments:
        assert s.start is not None and s.end is not None
        assert source[s.start : s.end] == s.text


# ---------------------------------------------------------------- plain text
@pytest.mark.parametrize("brk", LINE_BREAKS, ids=repr)
def test_every_kind_of_line_break_separates_paragraphs(brk: str) -> None:
    source = brk.join(["Pertama di sini.", "Second one here.", "Ketiga."])
    segments = segment_text(source)
    assert texts(segments) == ["Pertama di sini.", "Second one here.", "Ketiga."]
    assert_offsets_exact(source, segments)


def test_blank_lines_and_padding_are_dropped_with_exact_offsets() -> None:
    source = "\n\n   Satu dua.  \r\n\t\n \u200b \n\u200bTiga empat\u200b\ufeff \n\n"
    segments = segment_text(source)
    assert texts(segments) == ["Satu dua.", "Tiga empat"]
    assert_offsets_exact(source, segments)


@pytest.mark.parametrize("junk", INVISIBLE, ids=repr)
def test_a_line_of_only_invisible_characters_is_blank(junk: str) -> None:
    assert texts(segment_text(f"Ada.\n{junk * 3}  {junk}\nJuga.")) == ["Ada.", "Juga."]


def test_inner_white_space_is_kept() -> None:
    source = "a  b\t c"
    assert texts(segment_text(source)) == [source]


#: Random text with line breaks of every kind, invisible characters and padding mixed in.
line_text = st.lists(st.text(max_size=20) | st.sampled_from(LINE_BREAKS + INVISIBLE + [" ", "\t", "  "]), max_size=30).map("".join)


@settings(max_examples=150, deadline=None)
@given(line_text)
def test_property_offsets_point_at_the_segment_text(source: str) -> None:
    segments = segment_text(source)
    assert_offsets_exact(source, segments)
    previous_end = 0
    for s in segments:
        assert not is_blank(s.text)
        assert s.text == s.text.strip()
        assert not any(b in s.text for b in LINE_BREAKS)
        assert s.start >= previous_end  # in order, never overlapping
        previous_end = s.end


@settings(max_examples=150, deadline=None)
@given(line_text)
def test_property_nothing_visible_is_lost_between_segments(source: str) -> None:
    cursor, gaps = 0, []
    for s in segment_text(source):
        gaps.append(source[cursor : s.start])
        cursor = s.end
    gaps.append(source[cursor:])
    assert all(is_blank(gap) for gap in gaps)


# ---------------------------------------------------------------- HTML
@pytest.mark.parametrize("tag", ["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"])
def test_each_paragraph_tag_is_one_paragraph(tag: str) -> None:
    segments = segment_html(f"<{tag}>Isi pertama</{tag}><{tag}>Isi kedua</{tag}>")
    assert texts(segments) == ["Isi pertama", "Isi kedua"]
    assert all(s.tag == tag and s.start is None and s.end is None for s in segments)


@pytest.mark.parametrize("dropped", ["script", "style", "iframe", "noscript", "template"])
def test_non_article_elements_are_dropped(dropped: str) -> None:
    html = f"<p>Sebelum</p><{dropped}>var secret = 'JANGAN_TAMPIL';</{dropped}><p>Sesudah</p>"
    segments = segment_html(html)
    assert texts(segments) == ["Sebelum", "Sesudah"]
    assert not any("JANGAN_TAMPIL" in s.text for s in segments)


def test_script_inside_a_paragraph_is_dropped() -> None:
    segments = segment_html("<p>Awal <script>document.write('RAHASIA')</script>akhir</p>")
    assert len(segments) == 1 and "RAHASIA" not in segments[0].text


@pytest.mark.parametrize(
    "html, expected",
    [
        ("<p>Tom &amp; Jerry</p>", "Tom & Jerry"),
        ("<p>caf&eacute; &#8220;kutip&#8221; &#x2014; &lt;b&gt;</p>", "café “kutip” — <b>"),
        ("<p>a&nbsp;b</p>", "a b"),
    ],
)
def test_entities_are_decoded(html: str, expected: str) -> None:
    assert texts(segment_html(html)) == [expected]


def test_nested_li_p_counts_once() -> None:
    html = "<ul><li><p>Butir satu</p></li><li>Butir dua</li><li><p>Butir tiga</p></li></ul>"
    assert texts(segment_html(html)) == ["Butir satu", "Butir dua", "Butir tiga"]


def test_loose_text_in_divs_is_a_paragraph_in_document_order() -> None:
    html = "<div>Teks lepas <b>tebal</b> di div<p>Paragraf</p>teks setelahnya</div><div><span>Lagi</span></div>"
    assert texts(segment_html(html)) == ["Teks lepas tebal di div", "Paragraf", "teks setelahnya", "Lagi"]


def test_order_is_document_order_across_tags() -> None:
    html = "<h1>Judul</h1><p>Satu</p><ul><li>Dua</li></ul><blockquote>Tiga</blockquote><h2>Empat</h2><p>Lima</p>"
    assert texts(segment_html(html)) == ["Judul", "Satu", "Dua", "Tiga", "Empat", "Lima"]


def test_whole_page_uses_only_the_body() -> None:
    html = "<html><head><title>Judul tab</title><style>p{}</style></head><body><p>Isi</p></body></html>"
    assert texts(segment_html(html)) == ["Isi"]


@pytest.mark.parametrize(
    "html",
    [
        "<p>tidak ditutup <b>tebal <div>sampah</p></span>< p>>>",
        "<<<>>></p></p></div><p",
        "<p>satu<p>dua<li>tiga",
        "<!-- komentar tanpa akhir <p>x</p>",
        "<table><tr><td>sel</td></table></tr>",
    ],
)
def test_garbage_markup_gives_non_blank_paragraphs(html: str) -> None:
    for s in segment_html(html):
        assert s.text and not is_blank(s.text)
        assert s.text == " ".join(s.text.split())


def test_comments_never_become_text() -> None:
    for html in ("<p>a<!-- tersembunyi -->b</p><!-- juga -->", "<div>x<!-- tersembunyi --></div>"):
        assert not any("tersembunyi" in t or "juga" in t for t in texts(segment_html(html)))


@pytest.mark.parametrize("tag", ["div", "span", "li", "p", "section"])
def test_deep_nesting_does_not_crash(tag: str) -> None:
    html = f"<{tag}>" * 5000 + "dalam" + f"</{tag}>" * 5000
    assert "dalam" in " ".join(texts(segment_html(html)))


def test_deep_blockquote_nesting_does_not_crash() -> None:
    # 1,000 rather than 5,000: nested paragraph tags are walked quadratically (reported to the lead).
    html = "<blockquote>" * 1000 + "dalam"
    assert texts(segment_html(html)) == ["dalam"]


# ---------------------------------------------------------------- lists and dispatch
def test_list_input_drops_blank_items_and_trims() -> None:
    segments = segment_list(["  Satu  ", "", "   ", "\u200b", "Dua"])
    assert texts(segments) == ["Satu", "Dua"]
    assert all(s.start is None and s.end is None for s in segments)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": "a", "html": "<p>a</p>"},
        {"text": "a", "paragraphs": ["a"]},
        {"html": "<p>a</p>", "paragraphs": ["a"]},
        {"text": "", "html": "", "paragraphs": []},
    ],
)
def test_two_inputs_are_ambiguous(kwargs: dict) -> None:
    with pytest.raises(AmbiguousInputError):
        segment(**kwargs)


def test_no_input_gives_no_paragraphs() -> None:
    assert segment() == []


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"text": "a" * (MAX_INPUT_CHARS + 1)}, id="text-chars"),
        pytest.param({"html": "a" * (MAX_INPUT_CHARS + 1)}, id="html-chars"),
        pytest.param({"paragraphs": ["a" * (MAX_INPUT_CHARS // 2 + 1)] * 2}, id="list-chars"),
        pytest.param({"text": "a\n" * (MAX_PARAGRAPHS + 1)}, id="text-count"),
        pytest.param({"html": "<p>a</p>" * (MAX_PARAGRAPHS + 1)}, id="html-count"),
        pytest.param({"paragraphs": ["a"] * (MAX_PARAGRAPHS + 1)}, id="list-count"),
    ],
)
def test_past_the_limits_is_too_large(kwargs: dict) -> None:
    with pytest.raises(InputTooLargeError):
        segment(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"text": "a\n" * MAX_PARAGRAPHS}, id="text-count"),
        pytest.param({"paragraphs": ["a"] * MAX_PARAGRAPHS}, id="list-count"),
    ],
)
def test_at_the_limit_is_accepted(kwargs: dict) -> None:
    assert len(segment(**kwargs)) == MAX_PARAGRAPHS
