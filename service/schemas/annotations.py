"""Annotations on claims, in and out."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.domain.access import ReviewStatus
from service.schemas.articles import FlagSchema
from service.schemas.common import Text

MAX_NOTE = 10_000
MAX_EVIDENCE = 50


def _known_verdict(value: str | None) -> None:
    scale = current_app.extensions["claimdesk"].settings.verdicts
    if value is not None and value not in scale:
        raise ValidationError(f"Must be one of: {', '.join(scale)}.")


class EvidenceSchema(Schema):
    url = Text(required=True, validate=[validate.Length(max=2048),
                                        validate.URL(schemes={"http", "https"}, require_tld=False)])
    title = Text(validate=validate.Length(max=500), load_default=None)


class SelectorSchema(Schema):
    """Where in the claim the annotation points: positions plus a W3C TextQuoteSelector."""

    start = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000_000))
    end = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000_000))
    exact = Text(metadata={"description": "Checked against the claim when given."})
    prefix = fields.String(dump_only=True)
    suffix = fields.String(dump_only=True)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["end"] <= data["start"]:
            raise ValidationError("Must be greater than start.", "end")


class AnnotationUpdateSchema(Schema):
    # The length too: CLAIMDESK_VERDICTS may name a verdict longer than the column holds.
    verdict = Text(allow_none=True, validate=[validate.Length(max=64), _known_verdict],
                   metadata={"description": "One of the configured verdict scale (GET /verdicts)."})
    note = Text(allow_none=True, validate=validate.Length(max=MAX_NOTE))
    evidence = fields.List(fields.Nested(EvidenceSchema), allow_none=True,
                           validate=validate.Length(max=MAX_EVIDENCE))
    selector = fields.Nested(SelectorSchema, allow_none=True)


class AnnotationCreateSchema(AnnotationUpdateSchema):
    """The reviewer is the authenticated caller, never a field."""


class AnnotationSchema(Schema):
    id = fields.Integer()
    claim_id = fields.Integer()
    reviewer = fields.String()
    user_id = fields.Integer(allow_none=True)
    version = fields.Integer(metadata={"description": "Bumped by every change; the ETag carries it."})
    deleted_at = fields.DateTime(allow_none=True,
                                 metadata={"description": "Set when deleted (editors see it)."})
    verdict = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema))
    selector = fields.Nested(SelectorSchema, allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ClaimDetailSchema(Schema):
    id = fields.Integer()
    article_id = fields.Integer()
    position = fields.Integer()
    role = fields.String()
    start = fields.Integer()
    end = fields.Integer()
    text = fields.String()
    review_status = fields.String()
    current_verdict = fields.String(allow_none=True, metadata={
        "description": "The verdict of the most recently updated live annotation that has one (ties: the "
                       "higher id); null while no annotation gives a verdict."})
    flags = fields.List(fields.Nested(FlagSchema))
    annotations = fields.List(fields.Nested(AnnotationSchema))


class VerdictScaleSchema(Schema):
    verdicts = fields.List(fields.String(), metadata={"description": "Allowed verdicts, in order."})


class ReviewStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in ReviewStatus]))


class HistoryEntrySchema(Schema):
    id = fields.Integer()
    entity = fields.String(metadata={"description": "annotation, claim or article"})
    entity_id = fields.Integer()
    claim_id = fields.Integer(allow_none=True)
    action = fields.String(metadata={"description": "create, update, delete, restore or status"})
    user_id = fields.Integer(allow_none=True)
    username = fields.String()
    at = fields.DateTime()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
