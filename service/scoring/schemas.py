"""Request and response schemas of ``/score`` and ``/score/batch``: the CMS contract.

Unknown fields are rejected so that a misspelt option fails loudly instead of
being silently ignored. Response schemas read the dataclasses of
``model.types`` directly (attribute access), so no intermediate dict is built.
"""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema
from marshmallow.validate import Length, OneOf, Range

from model.types import KINDS, PARAGRAPH_SIGNALS

INPUT_FIELDS = ("text", "html", "paragraphs")
LEVELS = ("low", "medium", "high")


class ClientId(fields.Field):
    """The caller's own article id: a string (≤ 256 chars) or an integer, echoed back unchanged."""

    default_error_messages = {"invalid": "must be a string of at most 256 characters or an integer"}  # noqa: RUF012 - marshmallow API

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.make_error("invalid")
        if isinstance(value, str) and len(value) > 256:
            raise self.make_error("invalid")
        return value

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class OptionsSchema(Schema):
    class Meta:
        unknown = RAISE

    explain = fields.Boolean(load_default=True, metadata={"description": "fill the plain-language explanations"})
    review = fields.Boolean(
        load_default=False, metadata={"description": "store the flagged paragraphs for moderators (see response `review`)"}
    )
    contributions = fields.Boolean(
        load_default=False,
        metadata={"description": "add each paragraph's risk contributions per model input (log-odds); off: ~45% smaller"},
    )


class ScoreRequestSchema(Schema):
    """One article. A title alone is valid; at most one of text / html / paragraphs."""

    class Meta:
        unknown = RAISE

    title = fields.String(allow_none=True, load_default=None, metadata={"description": "headline; scored for clickbait"})
    text = fields.String(allow_none=True, load_default=None, metadata={"description": "plain text; paragraphs are lines"})
    html = fields.String(allow_none=True, load_default=None, metadata={"description": "an article body or a whole page"})
    paragraphs = fields.List(
        fields.String(),
        allow_none=True,
        load_default=None,
        metadata={"description": "the article already split; at most MISINFO_MAX_PARAGRAPHS (default 500) items"},
    )
    language = fields.String(load_default="auto", validate=OneOf(["id", "en", "auto"]))
    id = ClientId(
        allow_none=True,
        load_default=None,
        metadata={"description": "client article id, echoed back", "oneOf": [{"type": "string"}, {"type": "integer"}]},
    )
    url = fields.String(allow_none=True, load_default=None, validate=Length(max=2048))
    options = fields.Nested(OptionsSchema, load_default=lambda: {"explain": True, "review": False, "contributions": False})

    def __init__(self, *, max_paragraphs: int = 500, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_paragraphs = max_paragraphs

    @validates_schema
    def _check_input(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = [name for name in INPUT_FIELDS if data.get(name) is not None]
        if len(given) > 1:
            raise ValidationError(f"send at most one of text, html, paragraphs (got {', '.join(given)})", "_schema")
        paragraphs = data.get("paragraphs")
        if paragraphs is not None and len(paragraphs) > self.max_paragraphs:
            raise ValidationError(f"at most {self.max_paragraphs} paragraphs", "paragraphs")
        text = data.get("text")
        if text is not None and _count_lines(text, self.max_paragraphs + 1) > self.max_paragraphs:
            raise ValidationError(f"at most {self.max_paragraphs} paragraphs (non-blank lines)", "text")


def _count_lines(text: str, stop: int) -> int:
    """Non-blank lines of ``text``, counting no further than ``stop`` (cheap pre-check)."""
    count = 0
    for line in text.splitlines():
        if line.strip():
            count += 1
            if count >= stop:
                break
    return count


class BatchRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    articles = fields.List(
        fields.Raw(metadata={"allOf": [{"$ref": "#/components/schemas/ScoreRequest"}]}),
        required=True,
        validate=Length(min=1),
        metadata={"description": "at most MISINFO_MAX_BATCH (default 100); each is validated on its own"},
    )

    def __init__(self, *, max_batch: int = 100, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_batch = max_batch

    @validates_schema
    def _check_size(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len(data.get("articles") or ()) > self.max_batch:
            raise ValidationError(f"at most {self.max_batch} articles per batch", "articles")


# --- responses ------------------------------------------------------------------------------


class EvidenceSchema(Schema):
    start = fields.Integer(required=True, metadata={"description": "offset into the paragraph text"})
    end = fields.Integer(required=True)
    text = fields.String(required=True)
    cue = fields.String(allow_none=True, metadata={"description": "lexicon group that matched"})


class SignalHitSchema(Schema):
    name = fields.String(required=True, validate=OneOf(PARAGRAPH_SIGNALS))
    score = fields.Float(required=True, validate=Range(0, 1))
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)


class ContributionSchema(Schema):
    feature = fields.String(required=True)
    value = fields.Float(required=True, metadata={"description": "log-odds added to the paragraph's risk"})


class ParagraphSchema(Schema):
    index = fields.Integer(required=True)
    start = fields.Integer(allow_none=True, metadata={"description": "offset into the submitted text; null for html/paragraphs"})
    end = fields.Integer(allow_none=True)
    text = fields.String(required=True)
    kind = fields.String(required=True, validate=OneOf(KINDS))
    risk = fields.Float(required=True)
    flagged = fields.Boolean(required=True)
    signals = fields.List(fields.Nested(SignalHitSchema), required=True, metadata={"description": "signals that fired"})
    scores = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "every signal's score"})
    explanation = fields.String(required=True)
    contributions = fields.List(
        fields.Nested(ContributionSchema), metadata={"description": "risk contributions per model input (only with options.contributions)"}
    )


class HeadlineSchema(Schema):
    text = fields.String(required=True)
    clickbait = fields.Float(required=True)
    flagged = fields.Boolean(required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    explanation = fields.String(required=True)


class ArticleSchema(Schema):
    risk = fields.Float(required=True)
    level = fields.String(required=True, validate=OneOf(LEVELS))
    flagged = fields.Boolean(required=True)
    signals = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    explanation = fields.String(required=True)


class ModelRefSchema(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)


class ScoreResponseSchema(Schema):
    request_id = fields.String(required=True)
    id = ClientId(allow_none=True, metadata={"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": True})
    url = fields.String(allow_none=True)
    model = fields.Nested(ModelRefSchema, required=True)
    language = fields.String(required=True, metadata={"description": "language the article was scored in"})
    article = fields.Nested(ArticleSchema, required=True)
    headline = fields.Nested(HeadlineSchema, allow_none=True, required=True)
    paragraphs = fields.List(fields.Nested(ParagraphSchema), required=True)
    review = fields.Dict(
        metadata={"description": "present when review was requested: {stored, deferred, ...} from the review storage"}
    )


class BatchResponseSchema(Schema):
    request_id = fields.String(required=True)
    results = fields.List(
        fields.Raw(
            metadata={
                "oneOf": [
                    {"$ref": "#/components/schemas/ScoreResponse"},
                    {"$ref": "#/components/schemas/ErrorResponse"},
                ]
            }
        ),
        required=True,
        metadata={"description": "one per article, in order: a score result or an error envelope"},
    )
