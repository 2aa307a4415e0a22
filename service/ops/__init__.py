"""Operator endpoints: ``POST /admin/reload`` (role ``admin``) loads a new model.

The view is thin: it parses with a schema, calls :func:`service.reload.reload_model`
and dumps with a schema. Under gunicorn it only *checks* the artifact here and
then asks the master (SIGHUP) to reload every worker the same way
``kill -HUP`` does; see :mod:`service.reload` for why the master is the one
place a model is loaded.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.validate import OneOf

from ..auth import require_role
from ..errors import ApiError, json_body
from ..openapi import doc
from ..reload import ReloadRefused, reload_model, signal_master

bp = Blueprint("ops", __name__, url_prefix="/admin")


class ReloadRequestSchema(Schema):
    """Options of a reload; the artifact is always the configured one (MISINFO_MODEL_PATH)."""

    class Meta:
        unknown = RAISE

    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "only load, verify and smoke-test the artifact; serve nothing new"},
    )


class ModelIdentSchema(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)


class ReloadResponseSchema(Schema):
    """What a reload did (or, under gunicorn, has started)."""

    status = fields.String(
        required=True,
        validate=OneOf(["reloaded", "scheduled", "checked"]),
        metadata={"description": "reloaded: swapped in this process; scheduled: checked here, every gunicorn "
                                 "worker is being replaced by one forked with the new model; checked: dry run"},
    )
    scope = fields.String(required=True, validate=OneOf(["process", "all-workers", "none"]))
    model = fields.Nested(ModelIdentSchema, required=True, metadata={"description": "the checked artifact's model"})
    previous = fields.Nested(ModelIdentSchema, allow_none=True, required=True,
                             metadata={"description": "the model served before"})
    seconds = fields.Float(required=True, metadata={"description": "time to load, verify and smoke-test"})
    request_id = fields.String(allow_none=True)


def _load_body() -> dict[str, Any]:
    """An empty body means defaults; anything else must be a JSON object matching the schema."""
    if not request.get_data(cache=True):
        return ReloadRequestSchema().load({})
    data = json_body()  # 415 / 400 / 413 in the house shape, also for absurdly deep nesting
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["expected a JSON object"]})
    return ReloadRequestSchema().load(data)


@bp.post("/reload")
@doc(
    summary="Load the configured model artifact and swap it in",
    tags=["ops"],
    request=ReloadRequestSchema,
    responses={200: ReloadResponseSchema, 202: ReloadResponseSchema},
    errors=[400, 409, 422],
)
@require_role("admin")
def reload_view() -> ResponseReturnValue:
    """Verify the artifact's sha256 and versions, run its smoke test, then swap it in.

    A refused artifact answers 409 with the reason; the old model keeps serving.
    """
    options = _load_body()
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    under_gunicorn = app.extensions["misinfo"].get("gunicorn_master_pid") is not None
    only_check = options["dry_run"] or under_gunicorn
    try:
        result = reload_model(app, trigger="admin", swap=not only_check)
    except ReloadRefused as exc:
        status = 409
        raise ApiError(
            status,
            "reload_in_progress" if exc.reason == "busy" else "artifact_refused",
            f"artifact refused, still serving the previous model: {exc.message}",
            {"reason": exc.reason, "artifact": exc.path or "bundled", "serving": exc.serving},
        ) from exc
    if options["dry_run"]:
        status_text, scope, code = "checked", "none", 200
    elif under_gunicorn and signal_master(app):
        status_text, scope, code = "scheduled", "all-workers", 202
    elif under_gunicorn:
        raise ApiError(503, "service_unavailable", "the gunicorn master is gone; cannot reload the workers")
    else:
        status_text, scope, code = "reloaded", "process", 200
    body = ReloadResponseSchema().dump(
        {
            "status": status_text,
            "scope": scope,
            "model": result.model,
            "previous": result.previous,
            "seconds": result.seconds,
            "request_id": g.get("request_id"),
        }
    )
    return jsonify(body), code


@bp.after_app_request
def _no_sniffing(response: Response) -> Response:
    """Every answer is what its Content-Type says: a browser must never sniff echoed
    article text (which may hold ``<script>``) into HTML."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def init_app(app: Flask) -> None:
    """Register the admin blueprint."""
    app.register_blueprint(bp)
