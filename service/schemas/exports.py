"""What to export: the query arguments of the export endpoints."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.domain import ArticleStatus
from service.schemas.common import aware_datetime, record_id
from service.services.exports import FORMATS


class ArticleExportQueryArgsSchema(Schema):
    format = fields.String(
        required=True, validate=validate.OneOf(list(FORMATS)),
        metadata={"description": "claimreview (schema.org ClaimReview) or w3c (W3C Web Annotation), "
                                 "one JSON-LD document per line; or csv."})


class ExportQueryArgsSchema(ArticleExportQueryArgsSchema):
    since = aware_datetime(metadata={"description": "Articles created at or after this moment."})
    until = aware_datetime(metadata={"description": "Articles created before this moment."})
    status = fields.String(validate=validate.OneOf([s.value for s in ArticleStatus]))
    batch = record_id(metadata={"description": "Articles the batch last queued."})

    @validates_schema
    def _ordered(self, data, **kwargs):
        if "since" in data and "until" in data and data["until"] <= data["since"]:
            raise ValidationError("Must be later than since.", "until")
