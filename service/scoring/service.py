"""Turn a validated request into a model call and the model's result into the contract.

Kept apart from the views so that /score and /score/batch share one code path
and so the mapping can be tested without HTTP.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from model.types import Article, ArticleResult

from ..errors import ApiError

if TYPE_CHECKING:
    from model import Scorer

    from ..settings import Settings

log = logging.getLogger(__name__)

#: ``app.extensions["misinfo"]["review_sink"]``: (request payload, result) → status dict.
ReviewSink = Callable[[Mapping[str, Any], ArticleResult], Mapping[str, Any]]


def to_article(payload: Mapping[str, Any]) -> Article:
    """The model's input from a validated request."""
    return Article(
        title=payload.get("title"),
        text=payload.get("text"),
        html=payload.get("html"),
        paragraphs=payload.get("paragraphs"),
        language=payload.get("language", "auto"),
    )


def score_payload(scorer: Scorer, payload: Mapping[str, Any], settings: Settings) -> ArticleResult:
    """Score one validated request; paragraph limits apply to the model's own split too."""
    result = scorer.score(to_article(payload), explain=payload["options"]["explain"])
    if len(result.paragraphs) > settings.max_paragraphs:
        raise ApiError(
            422,
            "too_many_paragraphs",
            f"the article has {len(result.paragraphs)} paragraphs, at most {settings.max_paragraphs} are scored",
            {"paragraphs": len(result.paragraphs), "max_paragraphs": settings.max_paragraphs},
        )
    return result


def review(
    sink: ReviewSink | None, payload: Mapping[str, Any], result: ArticleResult, settings: Settings
) -> dict[str, Any] | None:
    """Hand the result to the review storage when asked to; never fail the scoring because of it."""
    requested = bool(payload["options"]["review"])
    if not requested and not (settings.review_all_flagged and result.flagged):
        return None
    if sink is None:
        return {"stored": 0, "deferred": False, "available": False, "message": "review storage is not configured"}
    try:
        return dict(sink(payload, result))
    except Exception:
        log.exception("review sink failed")
        return {"stored": 0, "deferred": False, "available": False, "message": "review storage failed"}


def to_response(
    result: ArticleResult, payload: Mapping[str, Any], request_id: str, review_status: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The contract's object (before schema dumping); nested model dataclasses are kept as is."""
    body: dict[str, Any] = {
        "request_id": request_id,
        "id": payload.get("id"),
        "url": payload.get("url"),
        "model": {"name": result.model_name, "version": result.model_version},
        "language": result.language,
        "article": result,  # ArticleSchema reads risk, level, flagged, signals, explanation
        "headline": result.headline,
        "paragraphs": result.paragraphs,
    }
    if review_status is not None:
        body["review"] = review_status
    return body


def fix_offsets(dumped: dict[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """Paragraph start/end are offsets into submitted text only: null for html/paragraphs input.
    Contributions are only sent when asked for (they were half of the response)."""
    keep_contributions = payload["options"].get("contributions", False)
    for paragraph in dumped["paragraphs"]:
        if payload.get("text") is None:
            paragraph["start"] = None
            paragraph["end"] = None
        if not keep_contributions:
            paragraph.pop("contributions", None)
    return dumped


# --- the hot path ------------------------------------------------------------------------------
# ScoreResponseSchema is the contract (it generates the OpenAPI document and is what the tests
# hold the output to), but marshmallow's generic dump walks ~50 fields per paragraph and cost
# ~20% of a /score request on the seed articles. render_response builds the very same JSON
# directly; tests/service/test_score.py::test_render_equals_the_schema_dump keeps them equal.


def _evidence(items: Any) -> list[dict[str, Any]]:
    return [{"start": int(e.start), "end": int(e.end), "text": e.text, "cue": e.cue} for e in items]


def _paragraph(p: Any, offsets: bool, contributions: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "index": int(p.index),
        "start": int(p.start) if offsets and p.start is not None else None,
        "end": int(p.end) if offsets and p.end is not None else None,
        "text": p.text,
        "kind": p.kind,
        "risk": float(p.risk),
        "flagged": bool(p.flagged),
        "signals": [{"name": s.name, "score": float(s.score), "evidence": _evidence(s.evidence)} for s in p.signals],
        "scores": {str(k): float(v) for k, v in p.scores.items()},
        "explanation": p.explanation,
    }
    if contributions:
        body["contributions"] = [{"feature": c.feature, "value": float(c.value)} for c in p.contributions]
    return body


def render_response(
    result: ArticleResult, payload: Mapping[str, Any], request_id: str, review_status: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What ``fix_offsets(ScoreResponseSchema().dump(to_response(...)), payload)`` returns, faster."""
    headline = result.headline
    offsets = payload.get("text") is not None
    contributions = bool(payload["options"].get("contributions", False))
    body: dict[str, Any] = {
        "request_id": request_id,
        "id": payload.get("id"),
        "url": payload.get("url"),
        "model": {"name": result.model_name, "version": result.model_version},
        "language": result.language,
        "article": {
            "risk": float(result.risk),
            "level": result.level,
            "flagged": bool(result.flagged),
            "signals": {str(k): float(v) for k, v in result.signals.items()},
            "explanation": result.explanation,
        },
        "headline": None
        if headline is None
        else {
            "text": headline.text,
            "clickbait": float(headline.clickbait),
            "flagged": bool(headline.flagged),
            "evidence": _evidence(headline.evidence),
            "explanation": headline.explanation,
        },
        "paragraphs": [_paragraph(p, offsets, contributions) for p in result.paragraphs],
    }
    if review_status is not None:
        body["review"] = dict(review_status)
    return body
