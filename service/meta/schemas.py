"""Response schemas of the operational endpoints."""
from __future__ import annotations

from marshmallow import Schema, fields


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class ReadySchema(Schema):
    status = fields.String(required=True, metadata={"example": "ready"})
    model = fields.Dict(required=True, metadata={"description": "{name, version} of the loaded model"})


class ModelInfoSchema(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)
    trained_at = fields.String(allow_none=True, required=True)
    metrics = fields.Dict(required=True, metadata={"description": "evaluation figures from the model card"})
    card = fields.Dict(required=True, metadata={"description": "the whole model card"})
