"""Batches in and out: the re-flag filter, a batch's progress and a page of batches."""
from __future__ import annotations

from marshmallow import Schema, fields

from service.domain import BatchKind, BatchStatus
from service.schemas.articles import ArticleFilterSchema


class ReflagSchema(ArticleFilterSchema):
    """Which articles to run detection over again; no filter at all means every article."""


class BatchErrorSchema(Schema):
    line = fields.Integer(metadata={"description": "Line number in the upload, counting from 1."})
    problem = fields.String()


class BatchSummarySchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": " or ".join(k.value for k in BatchKind)})
    status = fields.String(metadata={"description": (
        f"{BatchStatus.QUEUED}: the upload is still being read; {BatchStatus.RUNNING}: every article is "
        f"stored and queued; {BatchStatus.FINISHED}: none is queued or being flagged; "
        f"{BatchStatus.CANCELLED}: stopped, its unstarted articles failed with reason \"batch cancelled\".")})
    total = fields.Integer(metadata={
        "description": "Non-blank lines read (import) or articles matched (re-flag)."})
    articles = fields.Integer(metadata={"description": "Articles the batch queued: new ones for an import."})
    queued = fields.Integer()
    flagging = fields.Integer()
    flagged = fields.Integer()
    failed = fields.Integer()
    duplicates = fields.Integer(metadata={"description": "Lines whose article was already stored (skipped)."})
    error_count = fields.Integer(metadata={"description": "Lines that could not be imported."})
    filter = fields.Dict(allow_none=True, metadata={"description": "A re-flag's article filter."})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    articles_per_second = fields.Float(allow_none=True, metadata={
        "description": "Articles flagged per second, from the start to the latest one flagged."})


class BatchSchema(BatchSummarySchema):
    errors = fields.List(fields.Nested(BatchErrorSchema), metadata={
        "description": "The first 1,000 lines that could not be imported, with the reason."})


class BatchPageSchema(Schema):
    items = fields.List(fields.Nested(BatchSummarySchema))
    next_cursor = fields.String(allow_none=True)
