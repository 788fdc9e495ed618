"""/webhooks: receivers told about flagged articles, annotation changes and finished batches (admins)."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE

from service.api import auth
from service.api.links import BODY_ID, links
from service.api.parsing import Blueprint
from service.runtime import db_session, runtime
from service.schemas.common import PageArgsSchema
from service.schemas.webhooks import (
    DeliveryPageSchema,
    DeliverySchema,
    NewWebhookSchema,
    WebhookCreateSchema,
    WebhookSchema,
    WebhookUpdateSchema,
)
from service.services import webhooks as service

blp = Blueprint("webhooks", __name__, description=(
    "Webhooks: signed POSTs to your URL when articles are flagged, annotations change or batches finish."))

ID = "<id:webhook_id>"
ADMINS_ONLY = "Only admins manage webhooks."


def _addresses() -> service.AddressPolicy:
    return service.AddressPolicy(runtime().settings.webhook_allow)


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.response(200, WebhookSchema(many=True))
    def get(self):
        """The registered webhooks, oldest first (admins)."""
        auth.require(auth.current().can_administer(), ADMINS_ONLY)
        return service.list_webhooks(db_session())

    @blp.arguments(WebhookCreateSchema())
    @blp.response(201, NewWebhookSchema)
    @blp.doc(**links(201, *((method, path, {"webhook_id": BODY_ID}) for method, path in (
        ("GET", "/webhooks/{webhook_id}"), ("PATCH", "/webhooks/{webhook_id}"),
        ("DELETE", "/webhooks/{webhook_id}"), ("GET", "/webhooks/{webhook_id}/deliveries"),
        ("POST", "/webhooks/{webhook_id}/ping")))))
    def post(self, data):
        """Register a webhook (admins).

        Every delivery is a JSON POST signed with the secret: `X-Claimdesk-Signature` is
        `sha256=` and the hex HMAC-SHA256 of `{X-Claimdesk-Timestamp}.{body}`. A URL whose host resolves
        to a private, loopback, link-local or multicast address is refused (422) unless
        CLAIMDESK_WEBHOOK_ALLOW lists it.
        """
        principal = auth.current()
        auth.require(principal.can_administer(), ADMINS_ONLY)
        webhook, generated = service.create_webhook(db_session(), _addresses(), data["url"], data["events"],
                                                    data.get("secret"), principal.user_id)
        # The 201 schema dumps the attributes; dumping here too would serialise dates twice.
        body = {**{name: getattr(webhook, name) for name in WebhookSchema().fields}, "secret": generated}
        return body, 201, {"Location": url_for("webhooks.Webhook", webhook_id=webhook.id)}


@blp.route(f"/webhooks/{ID}")
class Webhook(MethodView):
    @blp.response(200, WebhookSchema)
    def get(self, webhook_id: int):
        """One webhook; its secret is never shown again (admins)."""
        auth.require(auth.current().can_administer(), ADMINS_ONLY)
        return service.get_webhook(db_session(), webhook_id)

    @blp.arguments(WebhookUpdateSchema())
    @blp.response(200, WebhookSchema)
    def patch(self, changes, webhook_id: int):
        """Change the URL, secret or events, or disable it; `active: true` re-enables it (admins)."""
        principal = auth.current()
        auth.require(principal.can_administer(), ADMINS_ONLY)
        return service.update_webhook(db_session(), _addresses(), webhook_id, changes, principal.username)

    @blp.response(204)
    def delete(self, webhook_id: int):
        """Remove a webhook and its delivery log (admins)."""
        auth.require(auth.current().can_administer(), ADMINS_ONLY)
        service.delete_webhook(db_session(), webhook_id)


@blp.route(f"/webhooks/{ID}/deliveries")
class Deliveries(MethodView):
    @blp.arguments(PageArgsSchema(), location="query", unknown=RAISE)
    @blp.response(200, DeliveryPageSchema)
    def get(self, args, webhook_id: int):
        """The delivery log, newest first: status, attempts, last status code, latency and error (admins)."""
        auth.require(auth.current().can_administer(), ADMINS_ONLY)
        page = service.list_deliveries(db_session(), webhook_id, args["limit"], args.get("cursor"))
        return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route(f"/webhooks/{ID}/ping")
class Ping(MethodView):
    @blp.response(202, DeliverySchema, description="The ping is queued; follow it in the delivery log.")
    def post(self, webhook_id: int):
        """Send a `ping` event to the webhook, even a disabled one, to test the receiver (admins)."""
        principal = auth.current()
        auth.require(principal.can_administer(), ADMINS_ONLY)
        return service.ping(db_session(), webhook_id, principal.username)
