"""Evaluation of a fitted Scorer on each kind of labelled data, with the same code the card uses."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model import PARAGRAPH_SIGNALS, Article, Scorer, TrainingHeadline

from .metrics import binary_metrics, calibration
from .sources import LabelledRecord, WeaselSentence, by_document


def score_documents(scorer: Scorer, records: Sequence[LabelledRecord]) -> list[tuple[LabelledRecord, object]]:
    """Score each labelled document as an article (headline → title) and pair records with results."""
    pairs = []
    for lines in by_document(records).values():
        title = next((r.text for r in lines if r.headline), None)
        body = [r for r in lines if not r.headline]
        if not body:
            continue
        result = scorer.score(Article(title=title, paragraphs=[r.text for r in body], language=body[0].language))
        if len(result.paragraphs) != len(body):
            continue  # a blank paragraph was dropped: alignment would be wrong
        pairs.extend(zip(body, result.paragraphs))
    return pairs


def paragraph_metrics(scorer: Scorer, records: Sequence[LabelledRecord]) -> dict:
    """Per-signal precision/recall/F1/ROC-AUC, kind accuracy and risk metrics on labelled paragraphs."""
    pairs = score_documents(scorer, records)
    if not pairs:
        return {}
    out: dict = {"paragraphs": len(pairs), "signals": {}}
    for signal in PARAGRAPH_SIGNALS:
        y = [int(signal in r.signals) for r, _ in pairs]
        fired = [int(any(h.name == signal for h in p.signals)) for _, p in pairs]
        scores = [p.scores[signal] for _, p in pairs]
        out["signals"][signal] = binary_metrics(y, fired, scores)
    with_kind = [(r, p) for r, p in pairs if r.kind]
    if with_kind:
        out["kind_accuracy"] = round(float(np.mean([r.kind == p.kind for r, p in with_kind])), 4)
    with_risk = [(r, p) for r, p in pairs if r.risky is not None]
    if with_risk:
        y = [int(r.risky) for r, _ in with_risk]
        risk = [p.risk for _, p in with_risk]
        out["risk"] = binary_metrics(y, [int(p.flagged) for _, p in with_risk], risk)
        out["risk_calibration"] = calibration(y, risk)
    return out


def headline_metrics(scorer: Scorer, headlines: Sequence[TrainingHeadline]) -> dict:
    if not headlines:
        return {}
    p = scorer.headline.predict_proba([(h.text, h.language) for h in headlines])[:, 1]
    y = [h.clickbait for h in headlines]
    out = binary_metrics(y, (p >= scorer.headline_threshold).astype(int), p)
    out["calibration"] = calibration(y, p)
    return out


def weasel_metrics(scorer: Scorer, sentences: Sequence[WeaselSentence]) -> dict:
    """Sentence-level 'uncertain' = hedging or vague attribution fired."""
    if not sentences:
        return {}
    analyses = scorer.analyse([s.text for s in sentences], "en")
    for a in analyses:  # independent sentences: no article context
        a.previous, a.position, a.duplicate = None, 0.0, False
    proba, kind_proba, _, _ = scorer.predict_paragraphs(analyses)
    kinds = scorer.kinds.classes_[kind_proba.argmax(axis=1)]
    fired = []
    for a, row, kind in zip(analyses, proba, kinds):
        hits = {h.name for h in scorer._hits(a, row, "body")}
        fired.append(int(bool(hits & {"hedging", "vague_attribution"})))
    names = list(scorer.signals.signals)
    score = np.maximum(proba[:, names.index("hedging")], proba[:, names.index("vague_attribution")])
    return binary_metrics([s.uncertain for s in sentences], fired, score)


def article_ranking(scorer: Scorer, articles: dict[str, Article]) -> dict[str, float]:
    return {name: round(scorer.score(article).risk, 4) for name, article in articles.items()}
