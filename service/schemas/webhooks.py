"""Webhooks and their delivery log, in and out."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.schemas.common import Text
from service.services.webhooks import EVENTS, MIN_SECRET

_URL = [validate.Length(max=2048), validate.URL(schemes={"http", "https"}, require_tld=False)]


def _events(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(EVENTS)),
                       validate=validate.Length(min=1, max=20),
                       metadata={"description": f"Any of: {', '.join(EVENTS)}."}, **kwargs)


_SECRET = {"validate": validate.Length(min=MIN_SECRET, max=200), "load_only": True}


class WebhookCreateSchema(Schema):
    url = Text(required=True, validate=_URL, metadata={
        "description": "http(s); its host must resolve to public addresses only, unless "
                       "CLAIMDESK_WEBHOOK_ALLOW lists it."})
    secret = Text(**_SECRET, metadata={
        "description": f"At least {MIN_SECRET} characters; left out, one is generated and shown once."})
    events = _events(required=True)


class WebhookUpdateSchema(Schema):
    url = Text(validate=_URL)
    secret = Text(**_SECRET, metadata={"description": "A new signing secret."})
    events = _events()
    active = fields.Boolean(metadata={
        "description": "false stops deliveries; true re-enables a disabled webhook and resets its failures."})


class WebhookSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    active = fields.Boolean()
    created_by = fields.Integer(allow_none=True, metadata={"description": "The admin who registered it."})
    created_at = fields.DateTime()
    consecutive_failures = fields.Integer(metadata={
        "description": "Deliveries that failed for good in a row; at CLAIMDESK_WEBHOOK_DISABLE_AFTER the "
                       "webhook is disabled."})
    disabled_at = fields.DateTime(allow_none=True)
    disabled_reason = fields.String(allow_none=True)


class NewWebhookSchema(WebhookSchema):
    secret = fields.String(allow_none=True, metadata={
        "description": "The generated secret, shown this once (null when you sent your own); it signs "
                       "every delivery and is never returned again."})


class DeliverySchema(Schema):
    id = fields.Integer(metadata={"description": "Also sent as X-Claimdesk-Delivery."})
    webhook_id = fields.Integer()
    event = fields.String()
    event_key = fields.String(allow_none=True, metadata={
        "description": "Deliveries with the same key (e.g. article:12) arrive in the order they were made."})
    payload = fields.Dict(metadata={"description": "The event's `data`."})
    status = fields.String(metadata={"description": "pending, delivered or failed"})
    attempts = fields.Integer()
    last_status_code = fields.Integer(allow_none=True)
    last_latency_ms = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    next_cursor = fields.String(allow_none=True)
