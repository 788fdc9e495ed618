"""Articles, their claims and flags, in and out."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.domain import ArticleStatus, flag_kinds
from service.schemas.common import PageArgsSchema, Text, aware_datetime, record_id

_URL = validate.URL(schemes={"http", "https"}, require_tld=False)


def flag_kind(**kwargs) -> fields.String:
    """A flag kind from the registry (an enum in the OpenAPI document)."""
    return fields.String(validate=validate.OneOf(flag_kinds.kind_names()), **kwargs)


def flag_subtype(**kwargs) -> fields.String:
    """A flag subtype from the registry (an enum in the OpenAPI document)."""
    return fields.String(validate=validate.OneOf(flag_kinds.all_subtypes()), **kwargs)


class ArticleCreateSchema(Schema):
    title = Text(validate=validate.Length(max=1000), load_default=None)
    body = Text(metadata={"description": "Pasted article text; page furniture is removed."})
    html = Text(metadata={"description": "An HTML page; the main content is extracted."})
    url = Text(validate=[validate.Length(max=2048), _URL], load_default=None)
    outlet = Text(validate=validate.Length(max=200), load_default=None)
    author = Text(validate=validate.Length(max=300), load_default=None)
    published_at = aware_datetime(load_default=None)
    language = Text(validate=validate.Length(max=16), load_default=None)
    external_id = Text(
        validate=validate.Length(min=1, max=200), load_default=None,
        metadata={"description": "Your system's id; posting it again returns the stored article."})

    @validates_schema
    def _one_source(self, data, **kwargs):
        if ("body" in data) == ("html" in data):
            raise ValidationError("Send exactly one of `body` (text) and `html`.", "body")


class ArticleFilterSchema(Schema):
    """Which articles: used by GET /articles and by a re-flag."""

    status = fields.String(validate=validate.OneOf([s.value for s in ArticleStatus]))
    outlet = Text(validate=validate.Length(max=200))
    kind = flag_kind(metadata={"description": "Only articles with a flag of this kind."})
    subtype = flag_subtype(metadata={"description": "Only articles with a flag of this subtype."})
    q = Text(validate=validate.Length(min=1, max=200), metadata={"description": "Words in title or body."})
    published_from = aware_datetime()
    published_to = aware_datetime()


class ArticleQueryArgsSchema(ArticleFilterSchema, PageArgsSchema):
    pass


class FlagQueryArgsSchema(PageArgsSchema):
    kind = flag_kind()
    subtype = flag_subtype()
    article = record_id()


class FlagTextSchema(Schema):
    text = Text(required=True, validate=validate.Length(min=1))


class FlagSchema(Schema):
    id = fields.Integer()
    article_id = fields.Integer()
    claim_id = fields.Integer()
    kind = flag_kind()
    subtype = flag_subtype(allow_none=True)
    start = fields.Integer(metadata={"description": "Offset into the article body (end exclusive)."})
    end = fields.Integer()
    text = fields.String()
    attrs = fields.Dict()
    detector_version = fields.String()


class DetectedFlagSchema(Schema):
    kind = flag_kind()
    subtype = flag_subtype(allow_none=True)
    start = fields.Integer()
    end = fields.Integer()
    text = fields.String()
    attrs = fields.Dict()


class FlagTextResultSchema(Schema):
    detector_version = fields.String()
    flags = fields.List(fields.Nested(DetectedFlagSchema))


class ClaimSchema(Schema):
    id = fields.Integer()
    article_id = fields.Integer()
    position = fields.Integer()
    role = fields.String(metadata={"description": "headline, standfirst or body"})
    start = fields.Integer()
    end = fields.Integer()
    text = fields.String()
    annotation_count = fields.Integer()
    flags = fields.List(fields.Nested(FlagSchema))


class ArticleSummarySchema(Schema):
    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    outlet = fields.String(allow_none=True)
    author = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    language = fields.String(allow_none=True)
    source_format = fields.String()
    status = fields.String()
    status_reason = fields.String(allow_none=True, metadata={"description": "Why flagging failed."})
    detector_version = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    flagged_at = fields.DateTime(allow_none=True)
    review_status = fields.String(metadata={"description": "unreviewed, in-review, approved or published"})
    flag_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    annotated_claims = fields.Integer()


class ArticleSchema(ArticleSummarySchema):
    body = fields.String()
    annotation_count = fields.Integer()
    claims = fields.List(fields.Nested(ClaimSchema))


class ArticlePageSchema(Schema):
    items = fields.List(fields.Nested(ArticleSummarySchema))
    next_cursor = fields.String(allow_none=True)


class FlagPageSchema(Schema):
    items = fields.List(fields.Nested(FlagSchema))
    next_cursor = fields.String(allow_none=True)
