"""Liveness, readiness, model card and the API description; no auth, no rate limit."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from ..errors import ApiError
from ..openapi import build_spec, doc, render_docs
from .schemas import HealthSchema, ModelInfoSchema, ReadySchema

bp = Blueprint("meta", __name__)


def _holder() -> Any:
    return current_app.extensions["misinfo"]["scorer"]


def _spec() -> dict[str, Any]:
    """Built on first use, after every blueprint is registered, then cached per app."""
    ext = current_app.extensions["misinfo"]
    if ext.get("openapi") is None:
        ext["openapi"] = build_spec(current_app)
    return ext["openapi"]  # type: ignore[no-any-return]


@bp.get("/health")
@doc(summary="Liveness: the process answers", tags=["meta"], responses={200: HealthSchema})
def health() -> Response:
    return jsonify(HealthSchema().dump({"status": "ok"}))


@bp.get("/ready")
@doc(summary="Readiness: a model is loaded", tags=["meta"], responses={200: ReadySchema}, errors=[503])
def ready() -> Response:
    scorer = _holder().peek()
    if scorer is None:
        raise ApiError(503, "model_unavailable", "no model is loaded", headers={"Retry-After": "5"})
    return jsonify(ReadySchema().dump({"status": "ready", "model": {"name": scorer.name, "version": scorer.version}}))


@bp.get("/model")
@doc(summary="The loaded model and its card", tags=["meta"], responses={200: ModelInfoSchema}, errors=[503])
def model_info() -> Response:
    scorer = _holder().get()
    card = dict(scorer.card or {})
    info = {
        "name": scorer.name,
        "version": scorer.version,
        "trained_at": card.get("trained_at"),
        "metrics": card.get("metrics") or {},
        "card": card,
    }
    return jsonify(ModelInfoSchema().dump(info))


@bp.get("/openapi.json")
@doc(summary="This API's OpenAPI 3 document, generated from the schemas", tags=["meta"], responses={200: None})
def openapi_json() -> Response:
    return jsonify(_spec())


@bp.get("/docs")
@doc(summary="Human-readable API reference (self-contained HTML)", tags=["meta"], responses={200: "text/html"})
def docs() -> Response:
    return Response(render_docs(_spec()), mimetype="text/html")
