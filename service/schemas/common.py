"""Fields and schemas every resource shares: safe text, pagination, the problem document and its messages."""
from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate

from service.storage.models import MAX_ID

# C0 controls other than tab/newline/carriage return, and DEL: PostgreSQL rejects NUL outright and
# the rest only ever arrive by accident (binary pasted as text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class String(fields.String):
    """A string that is valid Unicode: JSON can spell a lone surrogate ("\\ud800"), which no UTF-8 encoder,
    password hash or database driver takes, so it is refused here rather than failing deep inside."""

    default_error_messages = {"not_unicode": "Not valid Unicode text (it contains a lone surrogate)."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("not_unicode") from None
        return text


class Text(String):
    """A string that is valid Unicode and free of control characters."""

    default_error_messages = {"control": "Contains control characters."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(text):
            raise self.make_error("control")
        return text


class AwareDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time, given back in UTC; one without a zone is taken as UTC.

    Every date-time the API takes is stored or compared in UTC, and an offset can push a valid date out
    of the calendar once converted (0001-01-01T00:30:00+01:00 is in year 0): that is this field's error,
    not an OverflowError wherever the value is next used.
    """

    default_error_messages = {
        "out_of_range": "Out of range: in UTC it falls before 0001-01-01 or after 9999-12-31."}

    def __init__(self, **kwargs) -> None:
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("out_of_range") from None


def aware_datetime(**kwargs) -> AwareDateTime:
    """An ISO 8601 date-time, in UTC; one without a zone is taken as UTC."""
    return AwareDateTime(**kwargs)


def record_id(**kwargs) -> fields.Integer:
    """The id of a stored row: 1 up to the largest the id columns hold."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200),
                           metadata={"description": "Items per page (1-200)."})
    cursor = Text(validate=validate.Length(max=200),
                  metadata={"description": "The `next_cursor` of the previous page."})


class ProblemSchema(Schema):
    """RFC 9457 problem details: every API error has this shape.

    Some carry extension members too (RFC 9457, section 3.2): a 412 the `current` version, a 503 the checks.
    """

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: extension members are allowed

    type = fields.String(metadata={"description": "A URI reference naming the problem type."})
    title = fields.String(metadata={"description": "Short summary of the problem type."})
    status = fields.Integer(metadata={"description": "The HTTP status code."})
    detail = fields.String(metadata={"description": "What went wrong with this request."})
    errors = fields.Dict(metadata={"description": "Per-field messages, by location then field."})


def field_messages(errors: Any, path: str = "") -> list[str]:
    """Flatten marshmallow's nested messages into 'field: message' lines."""
    if isinstance(errors, dict):
        lines = []
        for key, value in errors.items():
            # webargs nests everything under its location ("json", "query"); the field path is enough.
            name = path if key in ("json", "query", "form", "files", "headers", "_schema") else (
                f"{path}.{key}" if path else str(key))
            lines += field_messages(value, name)
        return lines
    if isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        return [f"{path}: {' '.join(errors)}" if path else " ".join(errors)]
    if isinstance(errors, list):
        return [line for e in errors for line in field_messages(e, path)]
    return [f"{path}: {errors}" if path else str(errors)]
