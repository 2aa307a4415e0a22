"""The scoring pipeline's public behaviour, on the small model fitted in tests/conftest.py."""
from __future__ import annotations

import html as html_lib
import math

import pytest

from model import (
    ARTICLE_SIGNALS,
    KINDS,
    PARAGRAPH_SIGNALS,
    Article,
    ArticleResult,
    EmptyArticleError,
    Scorer,
)
from model.cues import load_lexicon
from model.scorer import FLAG_THRESHOLD, HIGH_FROM, LOW_BELOW

LANGUAGES = ("id", "en")
#: Articles written for these tests: a headline and body paragraphs of mixed kinds.
ARTICLES = {
    "id": (
        "Heboh! 5 Fakta Mengejutkan Soal Harga Beras?",
        [
            "Jakarta, 12 Januari 2024",
            "Harga beras di pasar tradisional naik 20 persen dalam sepekan, kata Kepala Dinas Perdagangan Budi Santoso.",
            "Beberapa laporan menyebut pemerintah mungkin akan mengimpor beras dari luar negeri.",
            "“Kami akan menambah pasokan dari gudang Bulog,” ujarnya kepada wartawan.",
            "Rezim ini pasti menyembunyikan data yang sebenarnya dari rakyat!!!",
            "Baca juga: Harga cabai melonjak menjelang Lebaran",
        ],
    ),
    "en": (
        "Shocking! 5 Things You Won't Believe About Rice Prices?",
        [
            "Washington, Jan. 12, 2024",
            "Rice prices at traditional markets rose 20 percent in a week, said trade official Jane Doe.",
            "Some reports say the government might import rice from abroad.",
            "“We will add supply from the national warehouses,” she told reporters.",
            "This regime is always hiding the real numbers from the people!!!",
            "Read more: Chilli prices soar before the holidays",
        ],
    ),
}
INPUTS = ("text", "html", "paragraphs")


def article_for(language: str, form: str, title: str | None = None, explicit: bool = True) -> Article:
    paragraphs = ARTICLES[language][1]
    body = {
        "text": {"text": "\n".join(paragraphs)},
        "html": {"html": "".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs)},
        "paragraphs": {"paragraphs": list(paragraphs)},
    }[form]
    return Article(title=title, language=language if explicit else "auto", **body)


def template_prefixes(language: str) -> list[str]:
    """The fixed opening words of each paragraph-explanation template of the lexicon."""
    texts = load_lexicon(language).explain
    return [texts[k].split("{")[0] for k in ("raised", "lowered", "neutral", "kind_boilerplate", "kind_heading")]


def logit(p: float) -> float:
    return math.log(p / (1 - p))


@pytest.fixture(scope="module", params=[(lang, form) for lang in LANGUAGES for form in INPUTS], ids=lambda p: f"{p[0]}-{p[1]}")
def scored(request, scorer: Scorer) -> tuple[str, str, Article, ArticleResult]:
    language, form = request.param
    article = article_for(language, form, title=ARTICLES[language][0])
    return language, form, article, scorer.score(article, explain=True)


# ---------------------------------------------------------------- structure
def test_every_paragraph_once_in_order(scored) -> None:
    language, _, _, result = scored
    assert [p.text for p in result.paragraphs] == ARTICLES[language][1]
    assert [p.index for p in result.paragraphs] == list(range(len(ARTICLES[language][1])))


def test_ranges_and_vocabularies(scored) -> None:
    _, _, _, result = scored
    assert 0.0 <= result.risk <= 1.0
    assert result.level == ("low" if result.risk < LOW_BELOW else "high" if result.risk >= HIGH_FROM else "medium")
    assert result.flagged == (result.level == "high")
    assert set(ARTICLE_SIGNALS) | {"clickbait"} <= set(result.signals)
    assert all(0.0 <= v <= 1.0 for v in result.signals.values())
    for p in result.paragraphs:
        assert 0.0 <= p.risk <= 1.0
        assert p.flagged == (p.risk >= FLAG_THRESHOLD)
        assert p.kind in KINDS
        assert set(p.scores) == set(PARAGRAPH_SIGNALS)
        assert all(0.0 <= v <= 1.0 for v in p.scores.values())
        names = [h.name for h in p.signals]
        assert set(names) <= set(PARAGRAPH_SIGNALS) and len(names) == len(set(names))
        for hit in p.signals:
            assert hit.score == pytest.approx(p.scores[hit.name])


def test_evidence_spans_point_into_the_paragraph(scored) -> None:
    _, _, _, result = scored
    spans = 0
    for p in result.paragraphs:
        for hit in p.signals:
            for e in hit.evidence:
                spans += 1
                assert e.text and 0 <= e.start < e.end <= len(p.text)
                assert p.text[e.start : e.end] == e.text
    assert spans, "the test article should make at least one signal fire"
    headline = result.headline
    assert headline is not None and headline.text == ARTICLES[scored[0]][0]
    for e in headline.evidence:
        assert e.text and headline.text[e.start : e.end] == e.text


def test_offsets_into_text_only(scored) -> None:
    _, form, article, result = scored
    for p in result.paragraphs:
        if form == "text":
            assert article.text[p.start : p.end] == p.text
        else:
            assert p.start is None and p.end is None


def test_result_serialises(scored) -> None:
    _, _, _, result = scored
    data = result.to_dict()
    assert data["paragraphs"][0]["text"] == result.paragraphs[0].text
    assert data["model_version"] == "test"


def test_text_offsets_survive_crlf_and_padding(scorer: Scorer) -> None:
    text = "\ufeff  Harga beras naik, kata Budi.  \r\n\r\n\t“Kami siap,” ujarnya.\u2028Baca juga: berita lain \n"
    result = scorer.score(Article(text=text, language="id"))
    assert len(result.paragraphs) == 3
    for p in result.paragraphs:
        assert text[p.start : p.end] == p.text


# ---------------------------------------------------------------- titles and empty input
@pytest.mark.parametrize("language", LANGUAGES)
def test_title_only_article(scorer: Scorer, language: str) -> None:
    result = scorer.score(Article(title=ARTICLES[language][0], language=language))
    assert result.paragraphs == []
    assert result.headline is not None and 0.0 <= result.headline.clickbait <= 1.0
    assert 0.0 <= result.risk <= 1.0


@pytest.mark.parametrize(
    "article",
    [
        Article(),
        Article(text=""),
        Article(text=" \n\r\n\t\u200b\ufeff\u2028"),
        Article(html=""),
        Article(html="<p>  </p><script>var x = 1;</script><div>&nbsp;</div>"),
        Article(paragraphs=[]),
        Article(paragraphs=["", "   ", "\u200b"]),
        Article(title="   ", text="\n\n"),
        Article(title="\u200b"),
    ],
    ids=repr,
)
def test_empty_articles_are_refused(scorer: Scorer, article: Article) -> None:
    with pytest.raises(EmptyArticleError):
        scorer.score(article)


# ---------------------------------------------------------------- explanations
def test_explanations_are_in_the_article_language(scored) -> None:
    language, _, _, result = scored
    other = "en" if language == "id" else "id"
    own, foreign = template_prefixes(language), template_prefixes(other)
    for p in result.paragraphs:
        assert p.explanation.strip()
        assert any(p.explanation.startswith(prefix) for prefix in own), p.explanation
        assert not any(prefix.strip() in p.explanation for prefix in foreign)
    texts = load_lexicon(language).explain
    assert result.explanation.startswith(texts["article"].split("{")[0])
    headline = result.headline
    assert headline is not None
    assert headline.explanation == texts["headline_clean"] or headline.explanation.startswith(texts["headline_clickbait"].split("{")[0])


@pytest.mark.parametrize("language, forced", [("id", "en"), ("en", "id")])
def test_explanations_follow_an_explicit_language(scorer: Scorer, language: str, forced: str) -> None:
    result = scorer.score(Article(text="\n".join(ARTICLES[language][1]), language=forced))
    prefixes = template_prefixes(forced)
    assert all(any(p.explanation.startswith(x) for x in prefixes) for p in result.paragraphs)


def test_explain_false_leaves_explanations_out(scorer: Scorer) -> None:
    result = scorer.score(article_for("id", "text", title=ARTICLES["id"][0]), explain=False)
    assert result.explanation == ""
    assert result.headline is not None and result.headline.explanation == ""
    assert all(p.explanation == "" and p.contributions == [] for p in result.paragraphs)


def test_contributions_add_up_to_the_paragraph_risk(scored, scorer: Scorer) -> None:
    _, _, _, result = scored
    for p in result.paragraphs:
        assert p.contributions
        total = sum(c.value for c in p.contributions) + scorer.risk.intercept_
        assert total == pytest.approx(logit(p.risk), abs=1e-6)


# ---------------------------------------------------------------- signals that must fire
@pytest.mark.parametrize("language", LANGUAGES)
def test_duplicated_paragraph_is_reported(scorer: Scorer, language: str) -> None:
    paragraphs = ARTICLES[language][1]
    clean = scorer.score(Article(paragraphs=paragraphs, language=language))
    doubled = scorer.score(Article(paragraphs=paragraphs + [paragraphs[1].upper(), paragraphs[2]], language=language))
    assert clean.signals["duplicate_paragraphs"] == 0.0
    assert doubled.signals["duplicate_paragraphs"] > 0.0
    assert len(doubled.paragraphs) == len(paragraphs) + 2  # duplicates are reported, not dropped


@pytest.mark.parametrize(
    "language, text",
    [
        ("id", "Baca juga: Harga cabai melonjak menjelang Lebaran"),
        ("id", "Baca Juga: Lima tips hemat belanja bulanan"),
        ("id", "Simak juga: Daftar harga emas hari ini"),
        ("en", "Read more: Chilli prices soar before the holidays"),
        ("en", "Read also: Five tips to save on groceries"),
    ],
)
def test_promotional_chrome_is_promotional(scorer: Scorer, language: str, text: str) -> None:
    body = ARTICLES[language][1][1]
    result = scorer.score(Article(paragraphs=[body, text, body + " (2)"], language=language))
    promo = result.paragraphs[1]
    assert promo.kind == "promotional" or "promotional" in {h.name for h in promo.signals}
    assert result.signals["promotional"] > 0


#: (unattributed, attributed) versions of the same claim, written for these tests.
ATTRIBUTION_PAIRS = {
    "id": [
        ("Harga beras akan naik 20 persen bulan depan.", "Harga beras akan naik 20 persen bulan depan, kata Menteri Perdagangan Budi Santoso."),
        ("Tentara asing sudah masuk ke wilayah perbatasan pada Senin malam.", "Tentara asing sudah masuk ke wilayah perbatasan pada Senin malam, ujar juru bicara TNI Kolonel Ahmad Riyadi kepada wartawan."),
        ("Vaksin itu menyebabkan kematian 300 anak di Jawa Barat.", "Kementerian Kesehatan menyatakan bahwa vaksin itu tidak menyebabkan kematian anak di Jawa Barat."),
        ("Gubernur menyalahgunakan dana bantuan sebesar Rp 5 miliar.", "Menurut Komisi Pemberantasan Korupsi, gubernur menyalahgunakan dana bantuan sebesar Rp 5 miliar."),
    ],
    "en": [
        ("Rice prices will rise 20 percent next month.", "Rice prices will rise 20 percent next month, said Trade Minister John Smith."),
        ("Foreign troops entered the border region on Monday night.", "Foreign troops entered the border region on Monday night, army spokesman Colonel James Reed told Reuters."),
        ("The vaccine caused the deaths of 300 children in the province.", "The Health Ministry said in a statement that the vaccine caused no deaths of children in the province."),
        ("The governor misused $5 million in aid money.", "According to the Anti-Corruption Commission, the governor misused $5 million in aid money."),
    ],
}
#: Pairs whose attributed version the small test model does not (yet) mark `attributed`:
#: a sentence-initial "Menurut X," / "According to X," (reported to the lead).
WEAK_INITIAL_ATTRIBUTION = {("id", 3), ("en", 3)}
PAIR_PARAMS = [(lang, i) for lang in LANGUAGES for i in range(len(ATTRIBUTION_PAIRS[lang]))]


@pytest.mark.parametrize("language, i", PAIR_PARAMS)
def test_attributed_claim_is_less_risky(scorer: Scorer, language: str, i: int) -> None:
    plain, sourced = ATTRIBUTION_PAIRS[language][i]
    a = scorer.score(Article(text=plain, language=language)).paragraphs[0]
    b = scorer.score(Article(text=sourced, language=language)).paragraphs[0]
    assert b.risk < a.risk
    assert b.scores["attributed"] > a.scores["attributed"]
    assert "attributed" not in {h.name for h in a.signals}


@pytest.mark.parametrize(
    "language, i",
    [
        pytest.param(lang, i, marks=pytest.mark.xfail(strict=True, reason="sentence-initial 'Menurut X,'/'According to X,' does not fire attributed"))
        if (lang, i) in WEAK_INITIAL_ATTRIBUTION
        else (lang, i)
        for lang, i in PAIR_PARAMS
    ],
)
def test_attributed_claim_carries_attributed(scorer: Scorer, language: str, i: int) -> None:
    _, sourced = ATTRIBUTION_PAIRS[language][i]
    b = scorer.score(Article(text=sourced, language=language)).paragraphs[0]
    hits = {h.name: h for h in b.signals}
    assert "attributed" in hits
    assert all(sourced[e.start : e.end] == e.text for e in hits["attributed"].evidence)


HEDGE_PAIRS = {
    "id": [
        ("Harga beras naik 20 persen.", "Harga beras mungkin naik 20 persen."),
        ("Presiden menandatangani aturan itu.", "Presiden diduga sudah menandatangani aturan itu."),
    ],
    "en": [
        ("Rice prices rose 20 percent.", "Rice prices might rise 20 percent."),
        ("The president signed the rule.", "The president allegedly signed the rule."),
    ],
}


@pytest.mark.parametrize("language, i", [(lang, i) for lang in LANGUAGES for i in range(len(HEDGE_PAIRS[lang]))])
def test_hedged_claim_is_riskier_than_plain(scorer: Scorer, language: str, i: int) -> None:
    plain, hedged = HEDGE_PAIRS[language][i]
    a = scorer.score(Article(text=plain, language=language)).paragraphs[0]
    b = scorer.score(Article(text=hedged, language=language)).paragraphs[0]
    assert b.scores["hedging"] > a.scores["hedging"]
    assert b.risk > a.risk
    assert "hedging" not in {h.name for h in a.signals}


#: Short, complete sentences that make a checkable claim (written for these tests).
SHORT_CLAIMS = {
    "id": ["Harga beras naik hari ini di pasar.", "Polisi menangkap dua tersangka pada Senin malam.", "Gubernur menyalahgunakan dana bantuan sebesar Rp 5 miliar.", "Banjir merendam 300 rumah di Bekasi."],
    "en": ["Rice prices rose today at the market.", "Police arrested two suspects on Monday night.", "The governor misused $5 million in aid money.", "Floods swamped 300 homes in the city."],
}


@pytest.mark.xfail(strict=True, reason="the kind model calls short claim sentences boilerplate/promotional (reported to the lead)")
def test_short_claim_sentences_are_body(scorer: Scorer) -> None:
    """signals.md: a heading is short with no final period; boilerplate and promotional carry no claim."""
    wrong = []
    for language, claims in SHORT_CLAIMS.items():
        context = ARTICLES[language][1][1]
        for claim in claims:
            paragraph = scorer.score(Article(paragraphs=[context, claim, context + " (2)"], language=language)).paragraphs[1]
            if paragraph.kind != "body":
                wrong.append((claim, paragraph.kind))
    assert not wrong, wrong


def test_a_flagged_paragraph_says_why(scorer: Scorer) -> None:
    """A moderator reading 'no risk signal stands out' under a flagged paragraph cannot act on it."""
    contradictions = []
    for language in LANGUAGES:
        neutral = load_lexicon(language).explain["neutral"]
        for form in INPUTS:
            for p in scorer.score(article_for(language, form, title=ARTICLES[language][0])).paragraphs:
                if p.flagged and p.explanation == neutral:
                    contradictions.append((language, form, p.text, round(p.risk, 2)))
    assert not contradictions, contradictions
