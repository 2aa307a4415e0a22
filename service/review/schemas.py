"""Request and response schemas of the review queue API (``/review/...``).

Query strings are schemas too, so a misspelt filter fails with 422 instead of
silently listing everything. Response schemas read the ORM rows directly.
"""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, pre_load
from marshmallow.validate import Length, OneOf, Range

from model.types import KINDS, PARAGRAPH_SIGNALS

from ..storage.db import as_utc
from ..storage.models import STATUSES, VERDICT_STATUS
from ..storage.repository import MAX_PAGE, ORDERS

VERDICTS = tuple(VERDICT_STATUS)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ReviewListQuerySchema(_Strict):
    """Filters and cursor of ``GET /review/items``."""

    status = fields.String(validate=OneOf(STATUSES), load_default=None, metadata={"description": "default: every status"})
    signal = fields.String(validate=OneOf(PARAGRAPH_SIGNALS), load_default=None, metadata={"description": "items where this signal fired"})
    language = fields.String(validate=OneOf(["id", "en"]), load_default=None)
    min_risk = fields.Float(validate=Range(0, 1), load_default=None, metadata={"description": "items with risk ≥ this"})
    article = fields.String(validate=Length(1, 300), load_default=None, metadata={"description": "client article id, or the article key (`id:…` / `sha256:…`)"})
    order = fields.String(validate=OneOf(ORDERS), load_default="oldest", metadata={"description": "`oldest` first, or highest `risk` first"})
    cursor = fields.String(validate=Length(1, 500), load_default=None, metadata={"description": "`next_cursor` of the previous page"})
    limit = fields.Integer(validate=Range(1, MAX_PAGE), load_default=50)

    @pre_load
    def _blank_is_absent(self, data: Any, **kwargs: Any) -> Any:
        """HTML filter forms send empty fields; treat them as not given."""
        return {k: v for k, v in data.items() if v != ""}


class ReviewItemQuerySchema(_Strict):
    context = fields.Integer(validate=Range(0, 10), load_default=2, metadata={"description": "neighbouring paragraphs on each side"})


class ReviewAuditQuerySchema(_Strict):
    item = fields.Integer(validate=Range(min=1), load_default=None, metadata={"description": "one item's trail only"})
    cursor = fields.Integer(validate=Range(min=0), load_default=None, metadata={"description": "`next_cursor` of the previous page"})
    limit = fields.Integer(validate=Range(1, MAX_PAGE), load_default=100)


class ReviewVerdictRequestSchema(_Strict):
    """A moderator's decision on one item."""

    verdict = fields.String(required=True, validate=OneOf(VERDICTS))
    signals = fields.List(
        fields.String(validate=OneOf(PARAGRAPH_SIGNALS)),
        load_default=None,
        allow_none=True,
        metadata={"description": "corrected signal set; omit to keep the model's (confirm) or its non-risk signals (dismiss)"},
    )
    note = fields.String(load_default=None, allow_none=True, validate=Length(max=2000))


# --- responses ------------------------------------------------------------------------------


class UtcDateTime(fields.DateTime):
    """ISO-8601 with its offset; SQLite hands back naive datetimes that are UTC."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return super()._serialize(as_utc(value), attr, obj, **kwargs)


class ReviewEvidenceSchema(Schema):
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    text = fields.String(required=True)
    cue = fields.String(allow_none=True)


class ReviewSignalSchema(Schema):
    name = fields.String(required=True)
    score = fields.Float(required=True)
    evidence = fields.List(fields.Nested(ReviewEvidenceSchema), required=True)


class ReviewArticleRefSchema(Schema):
    key = fields.String(required=True, metadata={"description": "`id:<client id>` or `sha256:<text hash>`"})
    client_id = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    language = fields.String(allow_none=True)


class ReviewItemSchema(Schema):
    id = fields.Integer(required=True)
    article = fields.Nested(ReviewArticleRefSchema, required=True)
    paragraph_index = fields.Integer(required=True)
    text = fields.String(required=True)
    kind = fields.String(required=True, validate=OneOf(KINDS))
    language = fields.String(allow_none=True)
    risk = fields.Float(required=True)
    signals = fields.List(fields.Nested(ReviewSignalSchema), required=True)
    explanation = fields.String(required=True)
    model_name = fields.String(required=True)
    model_version = fields.String(required=True)
    status = fields.String(required=True, validate=OneOf(STATUSES))
    verdict = fields.String(allow_none=True, validate=OneOf(VERDICTS))
    corrected_signals = fields.List(fields.String(), allow_none=True)
    note = fields.String(allow_none=True)
    created_at = UtcDateTime(required=True)
    decided_at = UtcDateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)


class ReviewItemPageSchema(Schema):
    items = fields.List(fields.Nested(ReviewItemSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={"description": "null on the last page"})


class ReviewNeighbourSchema(Schema):
    index = fields.Integer(required=True)
    text = fields.String(required=True)
    kind = fields.String(required=True)


class ReviewAuditEventSchema(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    action = fields.String(required=True, validate=OneOf(["created", "rescored", "verdict"]))
    actor = fields.String(required=True)
    at = UtcDateTime(required=True)
    details = fields.Dict(required=True)


class ReviewItemDetailSchema(ReviewItemSchema):
    before = fields.List(fields.Nested(ReviewNeighbourSchema), required=True, metadata={"description": "paragraphs before, nearest last"})
    after = fields.List(fields.Nested(ReviewNeighbourSchema), required=True, metadata={"description": "paragraphs after, nearest first"})
    audit = fields.List(fields.Nested(ReviewAuditEventSchema), required=True)


class ReviewAuditPageSchema(Schema):
    events = fields.List(fields.Nested(ReviewAuditEventSchema), required=True)
    next_cursor = fields.Integer(allow_none=True, required=True)


class ReviewStatsSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={"description": "items per status"})
    spool_pending = fields.Integer(required=True, metadata={"description": "review writes waiting in the local spool"})
