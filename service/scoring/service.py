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
    """Paragraph start/end are offsets into submitted text only: null for html/paragraphs input."""
    if payload.get("text") is None:
        for paragraph in dumped["paragraphs"]:
            paragraph["start"] = None
            paragraph["end"] = None
    return dumped
