"""The review queue API (role ``moderator``): list, read, decide, audit, export.

Thin views: parse with a schema, call one repository function in a session,
dump with a schema. Storage failures answer 503 in the house error shape.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    request,
    stream_with_context,
)
from sqlalchemy.exc import SQLAlchemyError

from ..auth import require_role
from ..errors import ApiError, error_response, json_body
from ..openapi import doc
from ..storage import ReviewSink, ReviewStore, StorageUnavailableError
from ..storage import repository as repo
from .schemas import (
    ReviewAuditPageSchema,
    ReviewAuditQuerySchema,
    ReviewItemDetailSchema,
    ReviewItemPageSchema,
    ReviewItemQuerySchema,
    ReviewItemSchema,
    ReviewListQuerySchema,
    ReviewStatsSchema,
    ReviewVerdictRequestSchema,
)

bp = Blueprint("review", __name__, url_prefix="/review")

TAGS = ["review"]
#: Media type of the export: one JSON object per line.
JSONL = "application/x-ndjson"


def store() -> ReviewStore:
    found = current_app.extensions["misinfo"].get("review_store")
    if found is None:
        raise ApiError(503, "review_unavailable", "review storage is not configured")
    return found  # type: ignore[no-any-return]


def actor() -> str:
    """Who is acting, for ``decided_by`` and the audit trail."""
    principal = g.get("principal")
    return principal.name if principal is not None else "anonymous"


def storage_down(exc: Exception) -> Response:
    """Handler of both blueprints: the database is down or locked → 503, in the house shape."""
    current_app.logger.warning("review storage error: %s", exc)
    return error_response(503, "review_storage_unavailable", "the review database is unavailable; retry later",
                          headers={"Retry-After": "5"})


bp.register_error_handler(SQLAlchemyError, storage_down)
bp.register_error_handler(StorageUnavailableError, storage_down)


def _query(schema: Any) -> dict[str, Any]:
    return schema.load(request.args.to_dict())  # type: ignore[no-any-return]


def item_detail(item: Any, context: int, session: Any) -> dict[str, Any]:
    before, after = repo.neighbours(item, context)
    return {**{k: getattr(item, k) for k in ReviewItemSchema().fields}, "before": before, "after": after,
            "audit": repo.audit_for(session, item.id)}


@bp.get("/items")
@doc(summary="List queue items", description="Filters combine with AND; pages follow `next_cursor`.",
     tags=TAGS, responses={200: ReviewItemPageSchema}, errors=[400, 422, 503],
     parameters=[{"in": "query", "schema": ReviewListQuerySchema}])
@require_role("moderator")
def list_items() -> Response:
    args = _query(ReviewListQuerySchema())
    with store().read_session() as session:
        try:
            page = repo.list_items(session, **args)
        except repo.InvalidCursorError as exc:
            raise ApiError(400, "invalid_cursor", str(exc), {"cursor": args["cursor"]}) from exc
        return jsonify(ReviewItemPageSchema().dump({"items": page.items, "next_cursor": page.next_cursor}))


@bp.get("/items/<int:item_id>")
@doc(summary="One queue item with its article context and audit trail", tags=TAGS,
     responses={200: ReviewItemDetailSchema}, errors=[404, 422, 503],
     parameters=[{"in": "query", "schema": ReviewItemQuerySchema}])
@require_role("moderator")
def get_item(item_id: int) -> Response:
    args = _query(ReviewItemQuerySchema())
    with store().read_session() as session:
        try:
            item = repo.get_item(session, item_id)
        except repo.NotFoundError as exc:
            raise ApiError(404, "not_found", str(exc), {"item": item_id}) from exc
        return jsonify(ReviewItemDetailSchema().dump(item_detail(item, args["context"], session)))


@bp.post("/items/<int:item_id>/verdict")
@doc(summary="Confirm or dismiss an item", description="Records who and when, and an audit event. "
     "Deciding again replaces the earlier verdict (both stay in the audit trail).",
     tags=TAGS, request=ReviewVerdictRequestSchema, responses={200: ReviewItemSchema}, errors=[400, 404, 415, 422, 503])
@require_role("moderator")
def record_verdict(item_id: int) -> Response:
    data = ReviewVerdictRequestSchema().load(json_body())
    with store().session() as session:
        try:
            item = repo.record_verdict(session, item_id, verdict=data["verdict"], actor=actor(),
                                       corrected_signals=data["signals"], note=data["note"])
        except repo.NotFoundError as exc:
            raise ApiError(404, "not_found", str(exc), {"item": item_id}) from exc
        body = ReviewItemSchema().dump(item)
    return jsonify(body)


@bp.get("/audit")
@doc(summary="The audit trail of every change, oldest first", tags=TAGS, responses={200: ReviewAuditPageSchema},
     errors=[422, 503], parameters=[{"in": "query", "schema": ReviewAuditQuerySchema}])
@require_role("moderator")
def audit() -> Response:
    args = _query(ReviewAuditQuerySchema())
    with store().read_session() as session:
        events, next_cursor = repo.list_audit(session, item_id=args["item"], cursor=args["cursor"], limit=args["limit"])
        return jsonify(ReviewAuditPageSchema().dump({"events": events, "next_cursor": next_cursor}))


@bp.get("/export")
@doc(summary="Decided items as labelled JSONL (the training format)",
     description="One object per line: doc, line, lang, text, kind, signals, evidence, risky, source, "
     "verdict, decided_by, decided_at. Feed it to `python -m training train --feedback FILE`.",
     tags=TAGS, responses={200: JSONL}, errors=[503])
@require_role("moderator")
def export() -> Response:
    review_store = store()
    review_store.ensure_schema()  # fail with 503 before the stream starts, not half way

    def lines() -> Iterator[str]:
        with review_store.read_session() as session:
            for record in repo.export_decided(session):
                yield json.dumps(record, ensure_ascii=False) + "\n"

    return Response(stream_with_context(lines()), mimetype=JSONL,
                    headers={"Content-Disposition": 'attachment; filename="review-export.jsonl"'})


@bp.get("/stats")
@doc(summary="Items per status and review writes waiting in the spool", tags=TAGS,
     responses={200: ReviewStatsSchema}, errors=[503])
@require_role("moderator")
def stats() -> Response:
    sink: ReviewSink | None = current_app.extensions["misinfo"].get("review_sink")
    with store().read_session() as session:
        counts = repo.counts_by_status(session)
    pending = sink.spool.pending() if isinstance(sink, ReviewSink) else 0
    return jsonify(ReviewStatsSchema().dump({"counts": counts, "spool_pending": pending}))
