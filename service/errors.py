"""One JSON error shape for every failure the service can answer with.

``{"error": {"status": 422, "code": "validation_error", "message": "...", "details": {...}}}``

Views raise :class:`ApiError` (or let marshmallow / the model raise); the
handlers registered by :func:`register_error_handlers` turn everything else,
including werkzeug's own 404/405/413/415 and unexpected crashes, into the same
shape. Other blueprints use :func:`error_response` when they need a response
object rather than an exception (for example in a ``before_request`` hook).
"""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

from model.errors import (
    AmbiguousInputError,
    EmptyArticleError,
    InputError,
    InputTooLargeError,
)

from .scorer_holder import ModelUnavailableError

log = logging.getLogger(__name__)

#: Stable machine-readable code for each HTTP status werkzeug can raise on its own.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    410: "gone",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
}

#: Model input errors → (code, message); all are the caller's fault, hence 422.
INPUT_ERROR_CODES: dict[type[InputError], str] = {
    EmptyArticleError: "empty_article",
    AmbiguousInputError: "ambiguous_input",
    InputTooLargeError: "input_too_large",
}

# Headers of a werkzeug exception worth keeping (Allow on 405, WWW-Authenticate on 401).
_KEEP_HEADERS = {"allow", "www-authenticate", "retry-after"}


class ApiError(Exception):
    """An error the service answers on purpose, carrying its own status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        return error_body(self.status, self.code, self.message, self.details)


def error_body(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error envelope as a plain dict (batch results embed it per article)."""
    return {"error": {"status": status, "code": code, "message": message, "details": details or {}}}


def error_response(
    status: int,
    code: str | None = None,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON error response in the house shape; ``code`` defaults from the status."""
    code = code or STATUS_CODES.get(status, "error")
    message = message or code.replace("_", " ")
    response = jsonify(error_body(status, code, message, details))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def input_error_details(exc: InputError) -> tuple[str, str]:
    """(code, message) for a model input error, most specific class first."""
    for cls in type(exc).__mro__:
        if cls in INPUT_ERROR_CODES:
            return INPUT_ERROR_CODES[cls], str(exc) or cls.__doc__ or "invalid article"
    return "invalid_article", str(exc) or "the article cannot be scored"


def json_body() -> Any:
    """The request's JSON body, or the house error: 415 if not JSON, 400 if malformed, 413 if too big."""
    if not request.is_json:
        raise ApiError(
            415,
            "unsupported_media_type",
            "send the body as JSON with 'Content-Type: application/json'",
            {"content_type": request.mimetype or None},
        )
    try:
        _check_streamed_size()
        return request.get_json()
    except RequestEntityTooLarge:
        raise
    except BadRequest as exc:
        raise ApiError(400, "invalid_json", "the body is not valid JSON (UTF-8)") from exc
    except RecursionError as exc:  # absurdly deep nesting
        raise ApiError(400, "invalid_json", "the JSON body is nested too deeply") from exc


def _check_streamed_size() -> None:
    """413 for a chunked body over the limit (werkzeug would silently cut it at the limit)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is not None or limit is None:
        return  # a declared length is checked by werkzeug before reading
    if len(request.get_data(cache=True)) >= limit:
        request.stream.read(1)  # werkzeug's LimitedStream raises RequestEntityTooLarge here
        raise RequestEntityTooLarge()


def _handle_api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def _handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() in _KEEP_HEADERS}
    details: dict[str, Any] = {}
    if status == 429:
        headers["Retry-After"] = str(_retry_after_seconds())
        details["limit"] = exc.description
        message = "rate limit exceeded, retry after the number of seconds in the Retry-After header"
    else:
        message = exc.description or exc.name
    if status == 405 and "Allow" in headers:
        details["allowed_methods"] = [m.strip() for m in headers["Allow"].split(",")]
    if status == 413:
        details["max_body_bytes"] = current_app.config.get("MAX_CONTENT_LENGTH")
    return error_response(status, STATUS_CODES.get(status), message, details, headers)


def _retry_after_seconds() -> int:
    """Seconds until the breached window resets, at least 1."""
    limiter = current_app.extensions.get("misinfo", {}).get("limiter")
    try:
        reset_at = limiter.current_limit.reset_at  # type: ignore[union-attr]
        return max(1, int(reset_at - time.time()))
    except Exception:  # noqa: BLE001 - headers must never turn a 429 into a 500
        return 1


def _handle_validation_error(exc: ValidationError) -> Response:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return error_response(422, "validation_error", "the request does not match the schema", {"fields": messages})


def _handle_input_error(exc: InputError) -> Response:
    code, message = input_error_details(exc)
    return error_response(422, code, message)


def _handle_model_unavailable(exc: ModelUnavailableError) -> Response:
    return error_response(503, "model_unavailable", "no model is loaded; retry later", headers={"Retry-After": "5"})


def _handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error (request_id=%s)", g.get("request_id"))
    return error_response(500, "internal_error", "internal error; quote the request id when reporting it")


def register_error_handlers(app: Flask) -> None:
    """Route every exception to the JSON error shape (never HTML, never a traceback)."""
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(ValidationError, _handle_validation_error)
    app.register_error_handler(InputError, _handle_input_error)
    app.register_error_handler(ModelUnavailableError, _handle_model_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)


# --- schema of the error envelope (documented in the OpenAPI spec) -------------------------


class ErrorDetailSchema(Schema):
    status = fields.Integer(required=True, metadata={"description": "HTTP status, repeated"})
    code = fields.String(required=True, metadata={"description": "stable machine-readable code", "example": "validation_error"})
    message = fields.String(required=True, metadata={"description": "for humans; may change"})
    details = fields.Dict(required=True, metadata={"description": "structured context, e.g. field errors"})


class ErrorResponseSchema(Schema):
    """Every non-2xx answer of the service."""

    error = fields.Nested(ErrorDetailSchema, required=True)
