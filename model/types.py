"""Plain data that flows through the scoring core.

These dataclasses are the contract between `model/` and its callers (the HTTP
service, the training CLI, the benchmarks). They hold no behaviour beyond
serialisation so that callers never need to know how a score was produced.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Language = Literal["id", "en"]
LanguageChoice = Literal["id", "en", "auto"]
ParagraphKind = Literal["body", "heading", "boilerplate", "promotional"]

#: Paragraph-level signals, exact strings of ../shared/signals.md.
PARAGRAPH_SIGNALS: tuple[str, ...] = (
    "unattributed_claim",
    "vague_attribution",
    "hedging",
    "promotional",
    "sensational",
    "attributed",
)
HEADLINE_SIGNAL = "clickbait"
ARTICLE_SIGNALS: tuple[str, ...] = ("duplicate_paragraphs", "source_density")
KINDS: tuple[str, ...] = ("body", "heading", "boilerplate", "promotional")


@dataclass(frozen=True)
class Article:
    """What a caller submits. At most one of text / html / paragraphs."""

    title: str | None = None
    text: str | None = None
    html: str | None = None
    paragraphs: list[str] | None = None
    language: LanguageChoice = "auto"


@dataclass(frozen=True)
class Segment:
    """One paragraph cut out of the input; offsets are into the submitted text (None otherwise)."""

    text: str
    start: int | None = None
    end: int | None = None
    tag: str | None = None  # HTML tag it came from ("p", "h2", "li", ...), None for plain text


@dataclass(frozen=True)
class Evidence:
    """A span of the paragraph that made a signal fire; offsets are into the paragraph text."""

    start: int
    end: int
    text: str
    cue: str | None = None  # lexicon group that matched, e.g. "hedging:id:modal"


@dataclass
class SignalHit:
    name: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Contribution:
    """How much one feature moved a paragraph's risk (log-odds, exact for the linear risk model)."""

    feature: str
    value: float


@dataclass
class ParagraphResult:
    index: int
    text: str
    start: int | None
    end: int | None
    kind: str
    risk: float
    flagged: bool
    signals: list[SignalHit]
    scores: dict[str, float]
    explanation: str = ""
    contributions: list[Contribution] = field(default_factory=list)


@dataclass
class HeadlineResult:
    text: str
    clickbait: float
    flagged: bool
    evidence: list[Evidence] = field(default_factory=list)
    explanation: str = ""


@dataclass
class ArticleResult:
    language: str
    risk: float
    level: str  # "low" | "medium" | "high"
    flagged: bool
    signals: dict[str, float]
    explanation: str
    headline: HeadlineResult | None
    paragraphs: list[ParagraphResult]
    model_name: str
    model_version: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
