"""Language detection: Indonesian or English, Indonesian when there is nothing to go on."""
from __future__ import annotations

import pytest

from model import Article, Scorer
from model.language import DEFAULT_LANGUAGE, LanguageDetector

SAMPLES = {
    "id": [
        "Harga beras naik lagi",
        "Banjir rendam rumah warga",
        "Pemerintah daerah mengumumkan bahwa sekolah akan dibuka kembali pada pekan depan setelah banjir surut.",
        "Warga desa berkumpul di balai pertemuan untuk membahas rencana pembangunan jembatan baru. "
        "Kepala desa menjelaskan bahwa dana berasal dari anggaran provinsi dan pekerjaan dimulai bulan depan. " * 10,
    ],
    "en": [
        "Prices rise again",
        "Flood hits homes",
        "The local council announced that schools will reopen next week once the flood water has gone down.",
        "Villagers gathered in the meeting hall to discuss plans for a new bridge. "
        "The village head explained that the money comes from the provincial budget and work starts next month. " * 10,
    ],
}


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    "language, text",
    [(language, text) for language, texts in SAMPLES.items() for text in texts],
    ids=lambda v: v[:24] if isinstance(v, str) else v,
)
def test_detects_short_and_long_samples(detector: LanguageDetector, language: str, text: str) -> None:
    assert detector.detect(text) == language


@pytest.mark.parametrize("text", ["", "   ", "12345 !!! ???", "🙂🙂🙂", "— … ——", "2024-01-01 10:00"])
def test_nothing_alphabetic_falls_back_to_indonesian(detector: LanguageDetector, text: str) -> None:
    assert DEFAULT_LANGUAGE == "id"
    assert detector.detect(text) == "id"


def test_only_the_prefix_decides(detector: LanguageDetector) -> None:
    english_first = SAMPLES["en"][3] + " " + SAMPLES["id"][3] * 3
    assert detector.detect(english_first) == "en"


@pytest.mark.parametrize("language", ["id", "en"])
def test_scorer_auto_detects(scorer: Scorer, language: str) -> None:
    text = "\n".join(SAMPLES[language][2:])
    assert scorer.score(Article(text=text, language="auto")).language == language


@pytest.mark.parametrize("language, forced", [("id", "en"), ("en", "id")])
def test_explicit_language_overrides_detection(scorer: Scorer, language: str, forced: str) -> None:
    result = scorer.score(Article(title=SAMPLES[language][0], text=SAMPLES[language][2], language=forced))
    assert result.language == forced


def test_title_alone_is_detected(scorer: Scorer) -> None:
    assert scorer.score(Article(title="The council approved the new budget on Monday")).language == "en"
