"""Thin views: parse with a schema, call the model once per article, dump with a schema."""
from __future__ import annotations

import functools
import logging
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from marshmallow import ValidationError

from model.errors import InputError

from ..auth import require_role
from ..errors import ApiError, error_body, input_error_details, json_body
from ..limits import rate_limited
from ..openapi import doc
from ..scorer_holder import ModelUnavailableError
from .schemas import (
    BatchRequestSchema,
    BatchResponseSchema,
    ScoreRequestSchema,
    ScoreResponseSchema,
)
from .service import render_response, review, score_payload

log = logging.getLogger(__name__)

bp = Blueprint("scoring", __name__)


@functools.lru_cache(maxsize=8)
def _request_schema(max_paragraphs: int) -> ScoreRequestSchema:
    return ScoreRequestSchema(max_paragraphs=max_paragraphs)


@functools.lru_cache(maxsize=8)
def _batch_schema(max_batch: int) -> BatchRequestSchema:
    return BatchRequestSchema(max_batch=max_batch)


def _ext() -> dict[str, Any]:
    return current_app.extensions["misinfo"]  # type: ignore[no-any-return]


def _score_one(scorer: Any, raw: Any, request_id: str) -> dict[str, Any]:
    """Validate, score and dump one article; raises on the caller's errors."""
    ext = _ext()
    settings = ext["settings"]
    payload = _request_schema(settings.max_paragraphs).load(raw)
    result = score_payload(scorer, payload, settings)
    status = review(ext.get("review_sink"), payload, result, settings)
    return render_response(result, payload, request_id, status)


def _batch_cost() -> int:
    """A batch draws one unit of the rate budget per article."""
    data = request.get_json(silent=True)
    articles = data.get("articles") if isinstance(data, dict) else None
    return len(articles) if isinstance(articles, list) else 1


@bp.post("/score")
@doc(
    summary="Score one article",
    description="Article risk, headline clickbait and, for every paragraph, kind, risk, fired signals "
    "with evidence spans and an explanation.",
    tags=["scoring"],
    request=ScoreRequestSchema,
    responses={200: ScoreResponseSchema},
    errors=[400, 413, 415, 422, 429, 503],
)
@rate_limited()
@require_role("scorer")
def score() -> Response:
    raw = json_body()
    scorer = _ext()["scorer"].get()
    return jsonify(_score_one(scorer, raw, g.request_id))


@bp.post("/score/batch")
@doc(
    summary="Score up to MISINFO_MAX_BATCH articles",
    description="Results come back in order; an article that cannot be scored gets an error envelope "
    "in its slot instead of failing the batch. Each article costs one unit of the rate limit.",
    tags=["scoring"],
    request=BatchRequestSchema,
    responses={200: BatchResponseSchema},
    errors=[400, 413, 415, 422, 429, 503],
)
@rate_limited(cost=_batch_cost)
@require_role("scorer")
def score_batch() -> Response:
    ext = _ext()
    data = _batch_schema(ext["settings"].max_batch).load(json_body())
    scorer = ext["scorer"].get()  # one model for the whole batch, even during a hot reload
    results = []
    for index, raw in enumerate(data["articles"]):
        item_id = f"{g.request_id}.{index}"
        try:
            results.append(_score_one(scorer, raw, item_id))
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
            results.append(error_body(422, "validation_error", "the article does not match the schema", {"fields": messages}))
        except InputError as exc:
            code, message = input_error_details(exc)
            results.append(error_body(422, code, message))
        except ApiError as exc:
            results.append(exc.to_dict())
        except ModelUnavailableError:
            raise
        except Exception:  # one crashing article must not fail the others
            log.exception("article %s of batch %s crashed the scorer", index, g.request_id)
            results.append(error_body(500, "internal_error", "internal error while scoring this article", {"item_id": item_id}))
    return jsonify({"request_id": g.request_id, "results": results})
