"""The scoring pipeline: article → paragraphs → features → signals, kind, risk → explanations.

`Scorer` is the only object the service needs. It is fitted by
`fit_scorer` (called by the training CLI and by test fixtures) and saved and
loaded by `model.artifact`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from . import explain
from .cues import Analysis, CueMatcher, load_lexicon, tokenize
from .errors import ArtifactError, EmptyArticleError
from .estimators import UNKNOWN, KindClassifier, LinearRisk, SignalClassifier, sigmoid
from .features import ParagraphFeatures
from .language import LanguageDetector
from .segment import is_blank, segment
from .types import (
    ARTICLE_SIGNALS,
    KINDS,
    PARAGRAPH_SIGNALS,
    Article,
    ArticleResult,
    Contribution,
    Evidence,
    HeadlineResult,
    ParagraphResult,
    SignalHit,
)

LANGUAGES = ("id", "en")
#: A paragraph is flagged for moderators at this risk (the probability that a
#: moderator would flag it, signals.md "Risk"): 0.5 is the decision boundary.
FLAG_THRESHOLD = 0.5
#: Article levels: risk below LOW_BELOW is low, at or above HIGH_FROM is high.
LOW_BELOW = 0.35
HIGH_FROM = 0.55
#: Signals that need a cue span to fire (evidence is mandatory in the API);
#: unattributed_claim's evidence is the claim clause itself.
CUE_SIGNALS = ("vague_attribution", "hedging", "promotional", "sensational", "attributed")
#: Weights of the article-risk combination. Chosen by hand so that each part is
#: readable ("a fifth of the article risk is its worst paragraphs"); checked on
#: the team corpus articles and the seeds' ordering, not fitted to them.
ARTICLE_WEIGHTS = {
    "mean_paragraph_risk": 0.45,
    "top_paragraph_risk": 0.20,
    "clickbait": 0.10,
    "promotional_share": 0.10,
    "duplicate_share": 0.05,
    "unsourced_share": 0.10,
}
ARTICLE_SOURCE_BONUS = 0.15  # subtracted × source_density: sourced reporting lowers risk
TOP_K = 3
_SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+[”\"’']?|$)")
#: A direct quotation: with its speaker it is the evidence of `attributed` (signals.md).
_QUOTATION = re.compile(r"[“\"«„][^“”\"«»„]{8,}[”\"»]")
_LISTICLE = re.compile(r"^\s*\d+\s")


@dataclass
class TrainingParagraph:
    """One labelled paragraph for fitting: unknown labels are simply absent from `signals`."""

    text: str
    language: str
    signals: dict[str, int] = field(default_factory=dict)
    kind: str | None = None
    risky: int | None = None
    previous: str | None = None
    position: float = 0.0
    is_title: bool = False
    weight: float = 1.0


@dataclass
class TrainingHeadline:
    text: str
    language: str
    clickbait: int
    weight: float = 1.0


HEADLINE_SHAPE = ("headline:question", "headline:exclamation", "headline:listicle", "headline:caps_words", "headline:teaser_cues", "headline:length", "headline:quote", "headline:colon")


class HeadlineShape(TransformerMixin, BaseEstimator):
    """Form of a headline: question, exclamation, listicle number, ALL CAPS, teaser cues."""

    def fit(self, X=None, y=None):
        self.matchers_ = {lang: CueMatcher(load_lexicon(lang)) for lang in LANGUAGES}
        return self

    def transform(self, X: Sequence[tuple[str, str]]) -> np.ndarray:
        out = np.zeros((len(X), len(HEADLINE_SHAPE)))
        for row, (text, language) in enumerate(X):
            analysis = self.matchers_[language].analyse(text)
            words = analysis.words
            caps = sum(1 for w, s in zip(words, analysis.starts) if len(w) >= 3 and text[s : s + len(w)].isupper())
            teasers = sum(1 for m in analysis.matches if m.cue.signal in ("clickbait", "sensational"))
            stripped = text.strip()
            out[row] = (
                float(stripped.endswith("?")),
                float("!" in stripped),
                float(bool(_LISTICLE.match(stripped))),
                np.log1p(caps),
                np.log1p(teasers),
                np.log1p(len(words)),
                float(any(q in stripped for q in "“”\"'")),
                float(":" in stripped),
            )
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array(HEADLINE_SHAPE, dtype=object)


class HeadlineFeatures(TransformerMixin, BaseEstimator):
    """Word and character n-grams (what CLICK-ID's annotators reacted to) plus the headline's shape."""

    def __init__(self, min_df: int = 2) -> None:
        self.min_df = min_df

    def fit(self, X: Sequence[tuple[str, str]], y=None):
        texts = [t for t, _ in X]
        self.words_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=self.min_df).fit(texts)
        self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=self.min_df, lowercase=False).fit(texts)
        self.shape_ = HeadlineShape().fit()
        return self

    def transform(self, X: Sequence[tuple[str, str]]):
        texts = [t for t, _ in X]
        return sparse.hstack([self.words_.transform(texts), self.chars_.transform(texts), sparse.csr_matrix(self.shape_.transform(X))]).tocsr()

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.concatenate(
            [
                ["words:" + w for w in self.words_.get_feature_names_out()],
                ["chars:" + c for c in self.chars_.get_feature_names_out()],
                self.shape_.get_feature_names_out(),
            ]
        ).astype(object)


def headline_pipeline(C: float = 2.0) -> Pipeline:
    return Pipeline([("features", HeadlineFeatures()), ("clf", LogisticRegression(C=C, max_iter=3000, class_weight="balanced"))])


class Scorer:
    """A fitted scoring model. Build with `fit_scorer`, persist with `model.artifact`."""

    def __init__(
        self,
        features: ParagraphFeatures,
        signals: SignalClassifier,
        kinds: KindClassifier,
        risk: LinearRisk,
        headline: Pipeline,
        thresholds: dict[str, float],
        headline_threshold: float = 0.5,
        name: str = "misinfo-risk",
        version: str = "0",
    ) -> None:
        self.features = features
        self.signals = signals
        self.kinds = kinds
        self.risk = risk
        self.headline = headline
        self.thresholds = thresholds
        self.headline_threshold = headline_threshold
        self.name = name
        self.version = version
        self.card: dict = {}
        self.matchers = {lang: CueMatcher(load_lexicon(lang)) for lang in LANGUAGES}
        self.language_detector = LanguageDetector()

    # ------------------------------------------------------------ analysis
    def analyse(self, texts: Sequence[str], language: str, tags: Sequence[str | None] | None = None, title_first: bool = False) -> list[Analysis]:
        """Cue analysis of an article's paragraphs, in order, with their context."""
        matcher = self.matchers[language]
        n = len(texts)
        seen: set[str] = set()
        analyses: list[Analysis] = []
        previous: Analysis | None = None
        for i, text in enumerate(texts):
            key = " ".join(text.lower().split())
            analysis = matcher.analyse(
                text,
                position=i / max(n - 1, 1),
                tag=tags[i] if tags else None,
                is_title=title_first and i == 0,
                previous=previous,
                duplicate=key in seen,
            )
            seen.add(key)
            analyses.append(analysis)
            previous = analysis
        return analyses

    def risk_inputs(self, logits: np.ndarray, kind_proba: np.ndarray) -> np.ndarray:
        """The named inputs of the risk model: signal log-odds (clipped) and kind probabilities."""
        return np.hstack([np.clip(logits, -6.0, 6.0), kind_proba])

    @property
    def risk_input_names(self) -> list[str]:
        return list(self.signals.signals) + [f"kind:{k}" for k in self.kinds.classes_]

    def predict_paragraphs(self, analyses: Sequence[Analysis]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Signal probabilities, kind probabilities, risk and risk contributions for each paragraph."""
        X = self.features.transform(analyses)
        logits = self.signals.decision_function(X)
        kind_proba = self.kinds.predict_proba(X)
        Z = self.risk_inputs(logits, kind_proba)
        risk = sigmoid(self.risk.decision_function(Z))
        return sigmoid(logits), kind_proba, risk, self.risk.contributions(Z)

    # ------------------------------------------------------------ evidence
    def _evidence(self, analysis: Analysis, signal: str) -> list[Evidence]:
        text = analysis.text
        if signal == "unattributed_claim":
            return self._claim_evidence(analysis)
        spans = []
        for m in analysis.matches:
            if m.cue.signal == signal:
                spans.append(Evidence(start=m.start, end=m.end, text=text[m.start : m.end], cue=m.cue.group))
        if signal == "attributed" and not spans:
            # A quotation the estimator judged attributed (e.g. continuing the previous paragraph's speaker).
            spans = [Evidence(q.start(), q.end(), q.group(), "attributed.quotation") for q in _QUOTATION.finditer(text)]
        return _dedupe_spans(spans)

    def _claim_evidence(self, analysis: Analysis) -> list[Evidence]:
        """The sentence that carries the most claim cues and no attribution: the clause to check."""
        text = analysis.text
        best: tuple[float, int, int] | None = None
        for m in _SENTENCE.finditer(text):
            start, end = m.start(), m.end()
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end - start < 3:
                continue
            weight = 0.0
            for cue_match in analysis.matches:
                if start <= cue_match.start < end:
                    signal = cue_match.cue.signal
                    if signal in ("claim", "hedging", "vague_attribution"):
                        weight += 1.0
                    elif signal == "attributed":
                        weight -= 2.0
            if best is None or weight > best[0]:
                best = (weight, start, end)
        if best is None:
            return []
        _, start, end = best
        return [Evidence(start=start, end=end, text=text[start:end], cue="claim")]

    # ------------------------------------------------------------ scoring
    def score(self, article: Article, explain: bool = True) -> ArticleResult:
        """Score one article. Raises `InputError` subclasses for inputs that cannot be scored."""
        segments = segment(text=article.text, html=article.html, paragraphs=article.paragraphs)
        title = article.title.strip() if article.title and not is_blank(article.title) else None
        if not segments and title is None:
            raise EmptyArticleError("nothing to score: give a title or at least one non-blank paragraph")
        language = article.language
        if language not in LANGUAGES:
            sample = " ".join([title or ""] + [s.text for s in segments[:8]])
            language = self.language_detector.detect(sample)

        texts = [s.text for s in segments]
        analyses = self.analyse(texts, language, tags=[s.tag for s in segments]) if segments else []
        paragraphs: list[ParagraphResult] = []
        if analyses:
            proba, kind_proba, risk, contributions = self.predict_paragraphs(analyses)
            kind_names = self.kinds.classes_
            input_names = self.risk_input_names
            for i, (analysis, seg) in enumerate(zip(analyses, segments)):
                kind = str(kind_names[int(kind_proba[i].argmax())])
                hits = self._hits(analysis, proba[i], kind)
                row_contrib = [Contribution(feature=n, value=float(v)) for n, v in zip(input_names, contributions[i]) if abs(v) > 1e-9]
                paragraphs.append(
                    ParagraphResult(
                        index=i,
                        text=seg.text,
                        start=seg.start,
                        end=seg.end,
                        kind=kind,
                        risk=float(risk[i]),
                        flagged=bool(risk[i] >= FLAG_THRESHOLD),
                        signals=hits,
                        scores={s: float(p) for s, p in zip(self.signals.signals, proba[i])},
                        explanation=explain and _explain_paragraph(language, kind, row_contrib, hits) or "",
                        contributions=row_contrib if explain else [],
                    )
                )
        headline = self._score_headline(title, language, explain) if title else None
        return self._combine(paragraphs, headline, language, explain, analyses)

    def _hits(self, analysis: Analysis, proba: np.ndarray, kind: str) -> list[SignalHit]:
        hits = []
        for signal, p in zip(self.signals.signals, proba):
            # A paragraph whose kind is promotional is promotion by definition (signals.md kinds).
            forced = signal == "promotional" and kind == "promotional"
            if p < self.thresholds.get(signal, 0.5) and not forced:
                continue
            if kind in ("boilerplate", "heading") and signal != "promotional":
                continue
            evidence = self._evidence(analysis, signal)
            if signal in CUE_SIGNALS and not evidence:
                continue
            hits.append(SignalHit(name=signal, score=float(p), evidence=evidence))
        return hits

    def _score_headline(self, title: str, language: str, explain: bool) -> HeadlineResult:
        p = float(self.headline.predict_proba([(title, language)])[0, 1])
        flagged = p >= self.headline_threshold
        analysis = self.matchers[language].analyse(title)
        evidence = [Evidence(m.start, m.end, title[m.start : m.end], m.cue.group) for m in analysis.matches if m.cue.signal in ("clickbait", "sensational")]
        stripped = title.rstrip()
        if stripped.endswith("?"):
            evidence.append(Evidence(len(stripped) - 1, len(stripped), "?", "clickbait.question"))
        listicle = _LISTICLE.match(title)
        if listicle:
            number = re.match(r"\s*(\d+)", title)
            assert number is not None
            evidence.append(Evidence(number.start(1), number.end(1), number.group(1), "clickbait.listicle"))
        evidence = _dedupe_spans(evidence) if flagged else []
        text = explain and explain_headline(language, flagged, [e.text for e in evidence]) or ""
        return HeadlineResult(text=title, clickbait=p, flagged=flagged, evidence=evidence, explanation=text)

    def _combine(self, paragraphs: list[ParagraphResult], headline: HeadlineResult | None, language: str, explain: bool, analyses: Sequence[Analysis]) -> ArticleResult:
        content = [p for p in paragraphs if p.kind in ("body", "promotional")]
        body = [p for p in paragraphs if p.kind == "body"]
        n_dup = sum(1 for a in analyses if a.duplicate)
        clickbait = headline.clickbait if headline else 0.0
        fired = lambda p, s: any(h.name == s for h in p.signals)  # noqa: E731
        source_density = sum(1 for p in body if fired(p, "attributed")) / len(body) if body else 0.0
        signals = {s: (sum(1 for p in body if fired(p, s)) / len(body) if body else 0.0) for s in PARAGRAPH_SIGNALS}
        signals["promotional"] = sum(1 for p in paragraphs if fired(p, "promotional") or p.kind == "promotional") / len(paragraphs) if paragraphs else 0.0
        signals["clickbait"] = clickbait
        signals["duplicate_paragraphs"] = n_dup / len(paragraphs) if paragraphs else 0.0
        signals["source_density"] = source_density
        if content:
            risks = sorted((p.risk for p in content), reverse=True)
            parts = {
                "mean_paragraph_risk": float(np.mean(risks)),
                "top_paragraph_risk": float(np.mean(risks[:TOP_K])),
                "clickbait": clickbait,
                "promotional_share": signals["promotional"],
                "duplicate_share": signals["duplicate_paragraphs"],
                "unsourced_share": signals["unattributed_claim"],
            }
            risk = sum(ARTICLE_WEIGHTS[k] * v for k, v in parts.items()) - ARTICLE_SOURCE_BONUS * source_density
        else:
            risk = clickbait  # a headline alone: its clickbait probability is all we know
        risk = float(min(1.0, max(0.0, risk)))
        level = "low" if risk < LOW_BELOW else "high" if risk >= HIGH_FROM else "medium"
        n_flagged = sum(1 for p in paragraphs if p.flagged)
        text = ""
        if explain:
            text = explain_article(language, level, n_flagged, len(paragraphs), sum(1 for p in body if fired(p, "attributed")))
        return ArticleResult(
            language=language,
            risk=risk,
            level=level,
            flagged=level == "high",
            signals={k: float(v) for k, v in signals.items()},
            explanation=text,
            headline=headline,
            paragraphs=paragraphs,
            model_name=self.name,
            model_version=self.version,
        )

    # ------------------------------------------------------------ checks
    def smoke_test(self) -> None:
        """Refuse a model that cannot score a tiny article in each language sensibly."""
        probes = {
            "id": Article(title="Apa yang terjadi?", text="Menurut Budi, harga naik 5 persen.\nBaca juga: berita lain", language="id"),
            "en": Article(title="What happened?", text='"Prices rose 5 percent," said Jane Doe.\nRead more: other news', language="en"),
        }
        for language, article in probes.items():
            try:
                result = self.score(article)
            except Exception as exc:  # noqa: BLE001 - any failure means the artifact is unusable
                raise ArtifactError(f"smoke test failed for {language}: {exc!r}") from exc
            if len(result.paragraphs) != 2 or not all(0.0 <= p.risk <= 1.0 for p in result.paragraphs):
                raise ArtifactError(f"smoke test failed for {language}: malformed result")

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


# Module-level names so the service can format without a Scorer.
def explain_headline(language: str, flagged: bool, cues: Sequence[str]) -> str:
    return explain.headline_explanation(language, flagged, cues)


def explain_article(language: str, level: str, flagged: int, total: int, sourced: int) -> str:
    return explain.article_explanation(language, level, flagged, total, sourced)


def _explain_paragraph(language: str, kind: str, contributions: Sequence[Contribution], hits: Sequence[SignalHit]) -> str:
    return explain.paragraph_explanation(language, kind, contributions, hits)


def _dedupe_spans(spans: list[Evidence]) -> list[Evidence]:
    """Keep the longest of overlapping spans, in text order."""
    spans = sorted(spans, key=lambda e: (e.start, -(e.end - e.start)))
    kept: list[Evidence] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


# ---------------------------------------------------------------- fitting
def _signal_matrix(records: Sequence[TrainingParagraph]) -> np.ndarray:
    Y = np.full((len(records), len(PARAGRAPH_SIGNALS)), UNKNOWN, dtype=int)
    for i, r in enumerate(records):
        for j, s in enumerate(PARAGRAPH_SIGNALS):
            if s in r.signals:
                Y[i, j] = int(r.signals[s])
    return Y


def analyse_training(records: Sequence[TrainingParagraph], matchers: dict[str, CueMatcher]) -> list[Analysis]:
    analyses = []
    for r in records:
        prev = matchers[r.language].analyse(r.previous) if r.previous else None
        analyses.append(matchers[r.language].analyse(r.text, position=r.position, is_title=r.is_title, previous=prev))
    return analyses


def best_threshold(y: np.ndarray, p: np.ndarray, grid: Iterable[float] = np.arange(0.2, 0.81, 0.05)) -> float:
    """The probability cut with the best F1 on held-out predictions (ties → 0.5-closest)."""
    best = (-1.0, 0.5)
    for t in grid:
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        fp = float(np.sum(pred & (y == 0)))
        fn = float(np.sum(~pred & (y == 1)))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[0] + 1e-9 or (abs(f1 - best[0]) <= 1e-9 and abs(t - 0.5) < abs(best[1] - 0.5)):
            best = (f1, float(t))
    return round(best[1], 2)


def fit_scorer(
    paragraphs: Sequence[TrainingParagraph],
    headlines: Sequence[TrainingHeadline],
    *,
    thresholds: dict[str, float] | None = None,
    headline_threshold: float = 0.5,
    C_signals: float = 0.5,
    C_kind: float = 1.0,
    C_risk: float = 1.0,
    C_headline: float = 2.0,
    name: str = "misinfo-risk",
    version: str = "0",
) -> Scorer:
    """Fit every estimator on labelled data. Deterministic: liblinear/lbfgs with no randomness."""
    features = ParagraphFeatures(LANGUAGES).fit()
    matchers = {lang: CueMatcher(load_lexicon(lang)) for lang in LANGUAGES}
    analyses = analyse_training(paragraphs, matchers)
    X = features.transform(analyses)
    weights = np.array([r.weight for r in paragraphs], dtype=float)
    signals = SignalClassifier(PARAGRAPH_SIGNALS, C=C_signals).fit(X, _signal_matrix(paragraphs), sample_weight=weights)

    with_kind = [i for i, r in enumerate(paragraphs) if r.kind in KINDS]
    kinds = KindClassifier(C=C_kind).fit(X[with_kind], [paragraphs[i].kind for i in with_kind], sample_weight=weights[with_kind])

    with_risk = [i for i, r in enumerate(paragraphs) if r.risky is not None]
    scorer_stub = Scorer(features, signals, kinds, LinearRisk(), headline_pipeline(), {}, name=name, version=version)
    Z = scorer_stub.risk_inputs(signals.decision_function(X[with_risk]), kinds.predict_proba(X[with_risk]))
    risk = LinearRisk(C=C_risk).fit(Z, np.array([paragraphs[i].risky for i in with_risk]), sample_weight=weights[with_risk])

    headline = headline_pipeline(C_headline).fit([(h.text, h.language) for h in headlines], [h.clickbait for h in headlines], clf__sample_weight=np.array([h.weight for h in headlines]))
    return Scorer(
        features,
        signals,
        kinds,
        risk,
        headline,
        thresholds or {s: 0.5 for s in PARAGRAPH_SIGNALS},
        headline_threshold=headline_threshold,
        name=name,
        version=version,
    )


__all__ = ["Scorer", "TrainingParagraph", "TrainingHeadline", "fit_scorer", "best_threshold", "FLAG_THRESHOLD", "ARTICLE_SIGNALS", "tokenize"]
