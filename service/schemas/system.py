"""Health and version documents."""
from __future__ import annotations

from marshmallow import Schema, fields


class CheckSchema(Schema):
    ok = fields.Boolean()
    latency_ms = fields.Float()
    backend = fields.String()
    error = fields.String()


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok, or unavailable when a dependency is down"})
    database = fields.Nested(CheckSchema)
    broker = fields.Nested(CheckSchema)


class VersionSchema(Schema):
    version = fields.String()
    api = fields.String()
    detector_version = fields.String()
