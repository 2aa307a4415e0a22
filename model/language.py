"""Article language: Indonesian or English, detected with lingua.

lingua is restricted to the two languages the product supports, which makes
it both faster and more accurate on short texts (headlines) than a detector
that considers every language. Only a bounded prefix of the article is
looked at: language does not change halfway through a news article, and the
scoring hot path must not pay for reading a megabyte twice.
"""
from __future__ import annotations

from functools import cached_property

from lingua import Language, LanguageDetectorBuilder

from .types import Language as LanguageCode

SUPPORTED: tuple[LanguageCode, ...] = ("id", "en")
DEFAULT_LANGUAGE: LanguageCode = "id"
#: Characters read for detection; 600 is ~100 words, enough for lingua to be
#: confident on news prose (measured on the seeds: 1.0 confidence at 300).
SAMPLE_CHARS = 600

_CODES = {Language.INDONESIAN: "id", Language.ENGLISH: "en"}


class LanguageDetector:
    """Picks `id` or `en`; falls back to Indonesian (the product's main market) when unsure."""

    def __init__(self, sample_chars: int = SAMPLE_CHARS) -> None:
        self.sample_chars = sample_chars

    @cached_property
    def _detector(self):  # built lazily: tests and tools that never detect pay nothing
        return LanguageDetectorBuilder.from_languages(*_CODES).with_preloaded_language_models().build()

    def detect(self, text: str) -> LanguageCode:
        sample = text[: self.sample_chars]
        if not any(ch.isalpha() for ch in sample):
            return DEFAULT_LANGUAGE
        found = self._detector.detect_language_of(sample)
        return _CODES.get(found, DEFAULT_LANGUAGE)  # type: ignore[return-value]

    def __getstate__(self) -> dict:
        # The native detector is rebuilt after unpickling instead of being stored in the artifact.
        return {"sample_chars": self.sample_chars}

    def __setstate__(self, state: dict) -> None:
        self.sample_chars = state["sample_chars"]
