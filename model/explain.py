"""Plain-language explanations, in the article's language, from lexicon templates.

The sentences are built from the exact per-signal contributions of the
linear risk model, so what the moderator reads is what moved the number.
"""
from __future__ import annotations

from collections.abc import Sequence

from .cues import load_lexicon
from .types import Contribution, SignalHit

#: Contributions smaller than this (log-odds) are not worth a moderator's attention.
MIN_CONTRIBUTION = 0.15
#: At most this many cue words are quoted per signal.
MAX_CUES_QUOTED = 3


def _join(parts: Sequence[str], joiner: str, last_joiner: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return joiner.join(parts[:-1]) + last_joiner + parts[-1]


def _cue_list(hit: SignalHit | None) -> str:
    if hit is None or not hit.evidence:
        return ""
    words = list(dict.fromkeys(f"“{e.text}”" for e in hit.evidence if len(e.text) <= 40))
    return ", ".join(words[:MAX_CUES_QUOTED])


def _reason(template: str, hit: SignalHit | None) -> str:
    cues = _cue_list(hit)
    text = template.format(cues=cues)
    # Templates quote cues in parentheses; drop the empty pair when there is nothing to quote.
    return text.replace(" ()", "")


def paragraph_explanation(language: str, kind: str, contributions: Sequence[Contribution], hits: Sequence[SignalHit]) -> str:
    texts = load_lexicon(language).explain
    if kind == "boilerplate":
        return texts["kind_boilerplate"]
    by_name = {h.name: h for h in hits}
    signal_texts = texts["signals"]
    raised = [c for c in contributions if c.value >= MIN_CONTRIBUTION and c.feature in signal_texts]
    lowered = [c for c in contributions if c.value <= -MIN_CONTRIBUTION and c.feature in signal_texts and c.feature in by_name]
    raised.sort(key=lambda c: -c.value)
    lowered.sort(key=lambda c: c.value)
    sentences = []
    if kind == "heading":
        sentences.append(texts["kind_heading"])
    raised_reasons = [_reason(signal_texts[c.feature], by_name.get(c.feature)) for c in raised if c.feature in by_name]
    if not raised_reasons:
        # Risk can come mostly from the paragraph's kind and base rate; the moderator still
        # needs to see which risk signals fired, strongest contribution first.
        strength = {c.feature: c.value for c in contributions}
        fired = sorted((h for h in hits if h.name != "attributed" and h.name in signal_texts), key=lambda h: -strength.get(h.name, 0.0))
        raised_reasons = [_reason(signal_texts[h.name], h) for h in fired]
    lowered_reasons = [_reason(signal_texts[c.feature], by_name.get(c.feature)) for c in lowered]
    if raised_reasons:
        sentences.append(texts["raised"].format(reasons=_join(raised_reasons, texts["joiner"], texts["last_joiner"])))
    if lowered_reasons:
        sentences.append(texts["lowered"].format(reasons=_join(lowered_reasons, texts["joiner"], texts["last_joiner"])))
    if not sentences:
        sentences.append(texts["neutral"])
    return " ".join(sentences)


def headline_explanation(language: str, flagged: bool, cues: Sequence[str]) -> str:
    texts = load_lexicon(language).explain
    if flagged:
        quoted = ", ".join(f"“{c}”" for c in list(dict.fromkeys(cues))[:MAX_CUES_QUOTED])
        return texts["headline_clickbait"].format(cues=quoted).replace(" ()", "")
    return texts["headline_clean"]


def article_explanation(language: str, level: str, flagged: int, total: int, sourced: int) -> str:
    texts = load_lexicon(language).explain
    return texts["article"].format(level=texts["levels"][level], flagged=flagged, total=total, sourced=sourced)
