"""Health and version documents."""
from __future__ import annotations

from marshmallow import Schema, fields

from service.schemas.common import ProblemSchema


class CheckSchema(Schema):
    ok = fields.Boolean()
    latency_ms = fields.Float()
    backend = fields.String()
    error = fields.String()


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok (a dependency that is down gives a 503 problem)"})
    database = fields.Nested(CheckSchema)
    broker = fields.Nested(CheckSchema)


class HealthProblemSchema(ProblemSchema):
    """The 503 problem document, with every dependency's check."""

    database = fields.Nested(CheckSchema)
    broker = fields.Nested(CheckSchema)


class VersionSchema(Schema):
    version = fields.String()
    api = fields.String()
    detector_version = fields.String()
