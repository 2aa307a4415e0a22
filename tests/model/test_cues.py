"""Cue lexicons: well-formed data, morphology, and exact evidence offsets."""
from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from model import PARAGRAPH_SIGNALS
from model.cues import (
    CLASS_TOKENS,
    TOKEN_PATTERN,
    CueMatcher,
    load_lexicon,
    matcher_for,
)

LANGUAGES = ("id", "en")
#: Groups whose cues are features only (claim, boilerplate) or feed the headline model.
FEATURE_ONLY_SIGNALS = ("claim", "boilerplate", "clickbait")
#: One stand-in word per class token, to build a text that a cue must match.
CLASS_EXAMPLES = {"<NAME>": "Budi", "<NUM>": "42", "<Q>": "“", "<WEB>": "contohberita.com"}


def raw_lexicon(language: str) -> dict:
    text = resources.files("model").joinpath("lexicons", f"{language}.toml").read_text("utf-8")
    return tomllib.loads(text)


def matched(language: str, text: str) -> list[tuple[str, str, str]]:
    """(cue text, group, matched span) for every match in `text`."""
    analysis = matcher_for(language).analyse(text)
    return [(m.cue.text, m.cue.group, text[m.start : m.end]) for m in analysis.matches]


@pytest.mark.parametrize("language", LANGUAGES)
def test_lexicon_loads_and_compiles(language: str) -> None:
    lexicon = load_lexicon(language)
    assert lexicon.language == language
    assert len(lexicon.cues) > 100
    CueMatcher(lexicon)  # refuses malformed prefix cues


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_group_has_a_known_signal_and_a_why(language: str) -> None:
    raw = raw_lexicon(language)
    assert raw["groups"]
    for name, group in raw["groups"].items():
        assert group.get("signal") in PARAGRAPH_SIGNALS + FEATURE_ONLY_SIGNALS, name
        assert name.split(".")[0] == group["signal"], f"group {name} is filed under another signal"
        assert isinstance(group.get("why"), str) and len(group["why"].strip()) > 10, name
        assert group.get("cues"), f"group {name} has no cues"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_paragraph_signal_but_unattributed_claim_has_cues(language: str) -> None:
    signals = {cue.signal for cue in load_lexicon(language).cues}
    assert set(PARAGRAPH_SIGNALS) - {"unattributed_claim"} <= signals


def instantiate(cue) -> str:
    """A text made of the cue's own words (a prefix cue by its stem, a class by an example)."""
    words = []
    for token in cue.tokens:
        if token in CLASS_TOKENS:
            assert token in CLASS_EXAMPLES, f"class token {token} needs an example in CLASS_EXAMPLES"
            words.append(CLASS_EXAMPLES[token])
        else:
            literal = token.rstrip("*")
            assert literal and TOKEN_PATTERN.fullmatch(literal), f"{cue.text!r}: {token!r} is not one token"
            words.append(literal)
    return " ".join(words)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_cue_parses_and_matches_its_own_text(language: str) -> None:
    never = []
    for cue in load_lexicon(language).cues:
        text = instantiate(cue)
        if (cue.text, cue.group, text) not in matched(language, text):
            never.append(f"{cue.group}: {cue.text!r} on {text!r}")
    assert not never, "cues that never match:\n" + "\n".join(never)


@pytest.mark.parametrize(
    "language, text, cue_text",
    [
        ("id", "ujarnya", "ujarnya"),
        ("id", "Hal itu, ujarnya, sudah selesai.", "ujarnya"),
        ("id", "kabarnya", "kabarnya"),
        ("id", "mungkinlah", "mungkin"),  # clitic -lah on a base-form cue
        ("id", "diduganya", "diduga"),  # clitic -nya on a base-form cue
        ("en", "allegedly", "alleg*"),
        ("en", "alleged", "alleg*"),
        ("en", "the allegations", "alleg*"),
        ("en", "ALLEGEDLY", "alleg*"),
    ],
)
def test_morphology_clitics_and_prefixes(language: str, text: str, cue_text: str) -> None:
    assert cue_text in {c for c, _, _ in matched(language, text)}


def test_short_base_words_do_not_lose_a_clitic() -> None:
    # 'kunya' must not be read as 'ku' + 'nya': a base needs at least three letters.
    assert matcher_for("id")._base("kunya") is None


@pytest.mark.parametrize(
    "language, capital, lower, cue_text",
    [
        ("id", "kata Budi", "kata budi", "kata <NAME>"),
        ("id", "Menurut Kementerian itu", "menurut kementerian itu", "menurut <NAME>"),
        ("en", "said Jones", "said jones", "said <NAME>"),
        ("en", "according to Reuters", "according to reuters", "according to <NAME>"),
    ],
)
def test_name_slot_requires_a_capital(language: str, capital: str, lower: str, cue_text: str) -> None:
    assert cue_text in {c for c, _, _ in matched(language, capital)}
    assert cue_text not in {c for c, _, _ in matched(language, lower)}


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_straight_and_curly_apostrophes_match_alike(apostrophe: str) -> None:
    text = f"You won{apostrophe}t believe this"
    assert ("you won't believe", "clickbait.teaser", f"You won{apostrophe}t believe") in matched("en", text)


@pytest.mark.parametrize("open_q, close_q", [("“", "”"), ('"', '"'), ("«", "»"), ("‘", "’")])
@pytest.mark.parametrize("language, tail, cue_text", [("en", "he said", "<Q> he said"), ("id", "kata dia", "<Q> kata")])
def test_quotation_marks_of_every_style(open_q: str, close_q: str, language: str, tail: str, cue_text: str) -> None:
    text = f"{open_q}Kami akan datang,{close_q} {tail}"
    found = matched(language, text)
    assert (cue_text, "attributed.speech_verb_after") in {(c, g) for c, g, _ in found}, found


EVIDENCE_SAMPLES = [
    ("id", "Beberapa laporan menyebut harga mungkin naik, kata Budi Santoso kepada wartawan."),
    ("id", "HEBOH!!! Konon katanya   pejabat itu  diduga\tkabur. Baca juga: berita lain"),
    ("id", "İstanbul dan “kutipan” — menurut Badan Pusat Statistik, inflasi 3,5 persen."),
    ("en", "Some reports say prices could rise, said Jane Doe, according to Reuters."),
    ("en", "SHOCKING: sources say the regime allegedly lied!!! Read more: other news"),
    ("en", "“It’s over,” she said. Experts believe it won’t last."),
]


@pytest.mark.parametrize("language, text", EVIDENCE_SAMPLES)
def test_match_offsets_cover_whole_words(language: str, text: str) -> None:
    analysis = matcher_for(language).analyse(text)
    assert analysis.matches
    token_starts, token_ends = set(analysis.starts), set(analysis.ends)
    for m in analysis.matches:
        span = text[m.start : m.end]
        assert span and span == span.strip()
        assert m.start in token_starts and m.end in token_ends
        # the span holds the cue's words in order (class tokens aside)
        lowered = span.lower().replace("’", "'")
        position = 0
        for token in m.cue.tokens:
            if token in CLASS_TOKENS:
                continue
            found = lowered.find(token.rstrip("*"), position)
            assert found >= 0, (m.cue.text, span)
            position = found


@pytest.mark.parametrize(
    "language, text",
    [
        ("id", "blorptastik zebrawi kwontum"),
        ("en", "blorptastic zebrafoo quantumbar"),
        ("id", ""),
        ("en", "!!! ... ???"),
    ],
)
def test_words_in_no_lexicon_match_nothing(language: str, text: str) -> None:
    assert matched(language, text) == []
