"""Webhooks: registering receivers, recording events in an outbox, and delivering them signed, in order.

An event is recorded by `emit`, in the transaction of the change it reports: the delivery rows commit
with the change or vanish with it, so nothing is sent for a rolled-back change and nothing committed is
lost. The delivery tasks are sent after the commit (service/unit_of_work.py); a message lost on the way
is re-sent by the sweeper (`resend_pending`), since the rows, not the broker, are the source of truth.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import secrets as secrets_module
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import event, inspect, or_, select, update
from sqlalchemy.orm import Session

from service.config import Settings
from service.domain.access import Principal
from service.domain.events import EVENTS
from service.services.errors import InvalidInput, NotFound
from service.services.pagination import Page, newest_first
from service.services.queue import TaskQueue
from service.services.verdicts import current_verdicts
from service.storage.models import Annotation, Article, Batch
from service.storage.webhooks import Webhook, WebhookDelivery
from service.unit_of_work import after_commit, checkpoint

log = logging.getLogger(__name__)

PING = "ping"  # sent on request to one webhook; no one subscribes to it

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

MIN_SECRET = 16
# Retries wait min(2**attempts, 300) s plus up to a quarter more (jitter, so a receiver back from an
# outage is not hit by every delivery at once): always far below Redis's visibility timeout (3600 s),
# past which a countdown message held by a worker would be handed out twice.
MAX_BACKOFF = 300
# A task may run this early (clocks of web and worker machines differ a little).
EARLY = timedelta(seconds=2)
# What is kept of a failing receiver's answer, for the delivery log.
MAX_ERROR_BODY = 200
USER_AGENT = "Claimdesk-Webhooks/1"

_ACTIVE = "claimdesk_active_webhooks"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


# --- Where deliveries may go: every address a host resolves to must be public, unless allow-listed.

class Refused(Exception):
    """A URL deliveries may not go to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A vetted URL: the addresses checked are the ones connected to, so DNS cannot change them after."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _kind(ip: IPAddress) -> str:
    for name in ("loopback", "link_local", "multicast", "private", "reserved", "unspecified"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    return "non-public"


def _last_32_bits(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


# IPv6 forms that carry an IPv4 address (RFC 6052, 3056, 4380, 4291, 2765). A packet to one of them ends
# up at, or is tunnelled towards, that IPv4 address, so `is_global` of the IPv6 form says nothing about
# where it goes: [64:ff9b::7f00:1] is 127.0.0.1 behind a NAT64 gateway. The well-known NAT64 prefix and
# IPv4-mapped addresses are judged by the IPv4 address inside (an IPv6-only network behind DNS64 reaches
# every IPv4-only receiver that way); the rest are refused whatever they carry (deprecated, or the IPv4
# address is a tunnel's end rather than the receiver, or where it sits depends on the local prefix).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_REFUSED_V6 = (
    (ipaddress.IPv6Network("64:ff9b:1::/48"), "a local-use NAT64"),
    (ipaddress.IPv6Network("2002::/16"), "a 6to4"),
    (ipaddress.IPv6Network("2001::/32"), "a Teredo"),
    (ipaddress.IPv6Network("::ffff:0:0:0/96"), "an IPv4-translated"),
    (ipaddress.IPv6Network("::/96"), "an IPv4-compatible"),
)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, if it is of a form that carries one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address; the server's is the relay
    if ip in _NAT64 or any(ip in network for network, _ in _REFUSED_V6):
        return _last_32_bits(ip)
    return None


class AddressPolicy:
    """Public addresses only, plus the hosts and networks of CLAIMDESK_WEBHOOK_ALLOW (SSRF guard)."""

    def __init__(self, allow: Iterable[str] = (),
                 resolve: Callable[..., list] = socket.getaddrinfo) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.lower().rstrip("."))
        self.resolve = resolve

    def _listed(self, ip: IPAddress) -> bool:
        return any(ip in network for network in self.networks)

    def refusal(self, ip: IPAddress) -> str | None:
        """Why deliveries may not go to `ip` ("a loopback address"), or None when they may."""
        if self._listed(ip):
            return None
        if isinstance(ip, ipaddress.IPv6Address) and not (ip.is_loopback or ip.is_unspecified):
            inner = _embedded_ipv4(ip)
            if inner is not None:
                if self._listed(inner):
                    return None
                if ip.ipv4_mapped is not None or ip in _NAT64:
                    reason = self.refusal(inner)
                    form = "IPv4-mapped" if ip.ipv4_mapped is not None else "NAT64"
                    return None if reason is None else f"the {form} form of {inner}, {reason}"
                form = next((name for network, name in _REFUSED_V6 if ip in network), "an IPv4-embedding")
                return f"{form} address (of {inner})"
        # Reserved ranges count too: Python calls some of them global (e.g. IPv6's ::/8 beyond ::/96).
        if not ip.is_global or ip.is_multicast or ip.is_reserved:
            return f"a {_kind(ip)} address"
        return None

    def check(self, url: str) -> Target:
        """Resolve the URL's host and check every address; raises Refused."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise Refused(f"not a valid URL ({exc})") from None
        if parts.scheme not in ("http", "https"):
            raise Refused("only http and https URLs are allowed")
        if parts.username is not None or parts.password is not None:
            raise Refused("credentials in the URL are not supported; the signature authenticates deliveries")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise Refused("the URL has no host")
        port = port or (443 if parts.scheme == "https" else 80)
        try:
            infos = self.resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"the host {host} does not resolve ({exc})") from None
        addresses = tuple(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
        if not addresses:
            raise Refused(f"the host {host} does not resolve")
        if host.lower() not in self.hosts:
            for address in addresses:
                ip = ipaddress.ip_address(address)
                reason = self.refusal(ip)
                if reason is not None:
                    where = f"{ip} is" if host == address else f"{host} resolves to {ip},"
                    raise Refused(f"{where} {reason}; deliveries go to public addresses only "
                                  "(CLAIMDESK_WEBHOOK_ALLOW lists exceptions)")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Target(parts.scheme, host, port, path, addresses)


@dataclass(frozen=True)
class DeliveryPolicy:
    addresses: AddressPolicy
    timeout: float = 5
    max_attempts: int = 10
    disable_after: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(AddressPolicy(settings.webhook_allow), settings.webhook_timeout,
                   settings.webhook_max_attempts, settings.webhook_disable_after)


def backoff(attempts: int) -> float:
    base = min(2 ** attempts, MAX_BACKOFF)
    return base * random.uniform(1, 1.25)


# --- The outbox.

def emit(session: Session, event_name: str, payload: dict[str, Any], key: str | None = None,
         webhook_id: int | None = None) -> list[WebhookDelivery]:
    """Record `event_name` for every active webhook subscribed to it (or for `webhook_id` alone).

    The rows join the caller's transaction; their tasks are sent once it commits. Deliveries with the
    same `key` (e.g. "article:12") reach each webhook in the order they were emitted.
    """
    if webhook_id is not None:
        hooks = [session.get_one(Webhook, webhook_id).id]
    else:
        hooks = [hook for hook, events in _active_webhooks(session) if event_name in events]
    now = utcnow()
    deliveries = [WebhookDelivery(webhook_id=hook, event=event_name, payload=payload, event_key=key,
                                  status=PENDING, attempts=0, created_at=now, next_attempt_at=now)
                  for hook in hooks]
    # No flush here: the caller's flush or commit does it, so an optimistic-lock conflict still
    # surfaces where the caller expects it.
    session.add_all(deliveries)
    if deliveries:
        after_commit(session, lambda queue: _send(queue, deliveries))
    return deliveries


def _send(queue: TaskQueue, deliveries: list[WebhookDelivery]) -> None:
    for delivery in deliveries:
        state = inspect(delivery)
        if state.identity is not None:
            queue.deliver_webhook(state.identity[0])


_ACTIVE_WEBHOOKS = select(Webhook.id, Webhook.events).where(Webhook.active.is_(True)).order_by(Webhook.id)


def _active_webhooks(session: Session) -> list[tuple[int, list[str]]]:
    """The active webhooks and their events, read once per transaction: a batch of 200 articles flagged
    in one transaction asks once, not 200 times (and without flushing the articles each time)."""
    if _ACTIVE not in session.info:
        # On the session's connection: no autoflush, and no ORM work on every annotation saved.
        session.info[_ACTIVE] = [tuple(row) for row in session.connection().execute(_ACTIVE_WEBHOOKS)]
    return session.info[_ACTIVE]


@event.listens_for(Session, "after_transaction_end")
def _forget_webhooks(session: Session, transaction) -> None:
    # The next transaction reads the webhooks afresh.
    if transaction.parent is None:
        session.info.pop(_ACTIVE, None)


def resend_pending(session: Session, queue: TaskQueue, overdue: timedelta, limit: int = 500) -> list[int]:
    """Re-send pending deliveries overdue by `overdue`: their message was lost (broker restart, refused
    publish, a worker killed mid-attempt). The lease in `deliver` makes a duplicate harmless."""
    now = utcnow()
    lost = list(session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.status == PENDING,
                                      or_(WebhookDelivery.next_attempt_at.is_(None),
                                          WebhookDelivery.next_attempt_at < now - overdue))
        .order_by(WebhookDelivery.id).limit(limit)))
    for delivery in lost:
        delivery.next_attempt_at = now
    checkpoint(session)
    sent = [d.id for d in lost if queue.deliver_webhook(d.id)]
    if sent:
        log.warning("re-sent %d overdue webhook deliveries: %s", len(sent), sent[:20])
    return sent


# --- What events say.

def annotation_event(session: Session, annotation: Annotation, action: str, principal: Principal,
                     article_id: int | None = None) -> None:
    """annotation.created, .updated or .deleted (a restore is an update: the annotation is back), with
    the claim's current verdict after the change: call it once the change is flushed.

    `annotation` may be a row with an Annotation's columns, given its `article_id`."""
    name = {"create": "annotation.created", "delete": "annotation.deleted"}.get(action, "annotation.updated")
    if not any(name in events for _, events in _active_webhooks(session)):
        return
    if article_id is None:
        article_id = annotation.claim.article_id
    claim_id = annotation.claim_id
    payload = {
        "action": action,
        "actor": principal.username,
        "annotation": {
            "id": annotation.id, "claim_id": annotation.claim_id, "article_id": article_id,
            "verdict": annotation.verdict, "note": annotation.note, "evidence": annotation.evidence,
            "selector": annotation.selector, "reviewer": annotation.reviewer,
            "deleted": annotation.deleted_at is not None,
        },
        "claim": {"id": claim_id, "current_verdict": current_verdicts(session, [claim_id]).get(claim_id)},
    }
    emit(session, name, payload, key=f"article:{article_id}")


def article_flagged(session: Session, article: Article, counts: dict[str, int]) -> None:
    payload = {"article": {
        "id": article.id, "external_id": article.external_id, "title": article.title, "url": article.url,
        "outlet": article.outlet, "status": article.status, "detector_version": article.detector_version,
        "flagged_at": _iso(article.flagged_at), "batch_id": article.batch_id,
    }, "flag_counts": counts}
    emit(session, "article.flagged", payload, key=f"article:{article.id}")


def batch_finished(session: Session, batch: Batch, counts: dict[str, int]) -> None:
    payload = {"batch": {
        "id": batch.id, "kind": batch.kind, "status": batch.status, "total": batch.total,
        "duplicates": batch.duplicates, "error_count": batch.error_count,
        "started_at": _iso(batch.started_at), "finished_at": _iso(batch.finished_at),
    }, "articles": counts}
    emit(session, "batch.finished", payload, key=f"batch:{batch.id}")


# --- Managing webhooks.

def _check_url(policy: AddressPolicy, url: str) -> None:
    try:
        policy.check(url)
    except Refused as exc:
        raise InvalidInput(f"Deliveries cannot go to this URL: {exc}.",
                           {"url": [f"Refused: {exc}."]}) from None


def _check_secret(secret: str) -> None:
    if len(secret) < MIN_SECRET:
        raise InvalidInput(f"A webhook secret has at least {MIN_SECRET} characters.",
                           {"secret": [f"Shorter than minimum length {MIN_SECRET}."]})


def create_webhook(session: Session, policy: AddressPolicy, url: str, events: list[str],
                   secret: str | None = None, created_by: int | None = None) -> tuple[Webhook, str | None]:
    """Register a receiver; returns it and the secret when one was generated (shown this once)."""
    _check_url(policy, url)
    generated = None
    if secret is None:
        secret = generated = secrets_module.token_urlsafe(32)
    _check_secret(secret)
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise InvalidInput(f"Events are some of: {', '.join(EVENTS)}.",
                           {"events": [f"Unknown or missing: {', '.join(unknown) or 'none given'}."]})
    webhook = Webhook(url=url, secret=secret, events=sorted(set(events), key=EVENTS.index), active=True,
                      created_by=created_by, consecutive_failures=0)
    session.add(webhook)
    session.flush()
    return webhook, generated


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def get_webhook(session: Session, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"There is no webhook {webhook_id}.")
    return webhook


def update_webhook(session: Session, policy: AddressPolicy, webhook_id: int, changes: dict[str, Any],
                   actor: str) -> Webhook:
    """Change the URL, secret, events or state; re-enabling starts the failure count afresh."""
    webhook = get_webhook(session, webhook_id)
    if "url" in changes:
        _check_url(policy, changes["url"])
        webhook.url = changes["url"]
    if "secret" in changes:
        _check_secret(changes["secret"])
        webhook.secret = changes["secret"]
    if "events" in changes:
        if not changes["events"] or set(changes["events"]) - set(EVENTS):
            raise InvalidInput(f"Events are some of: {', '.join(EVENTS)}.",
                               {"events": ["Unknown or missing."]})
        webhook.events = sorted(set(changes["events"]), key=EVENTS.index)
    if changes.get("active") is True and not webhook.active:
        webhook.active, webhook.consecutive_failures = True, 0
        webhook.disabled_at = webhook.disabled_reason = None
    elif changes.get("active") is False and webhook.active:
        _disable(session, webhook, f"disabled by {actor}")
    session.flush()
    return webhook


def delete_webhook(session: Session, webhook_id: int) -> None:
    session.delete(get_webhook(session, webhook_id))
    session.flush()


def list_deliveries(session: Session, webhook_id: int, limit: int, cursor: str | None) -> Page:
    """The delivery log, newest first, with the cursors of the other lists."""
    get_webhook(session, webhook_id)
    return newest_first(session, select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id),
                        WebhookDelivery.id, limit, cursor)


def ping(session: Session, webhook_id: int, actor: str) -> WebhookDelivery:
    """A `ping` delivery to this webhook, even a disabled one: a way to test it before re-enabling it."""
    get_webhook(session, webhook_id)
    [delivery] = emit(session, PING, {"webhook_id": webhook_id, "actor": actor, "sent_at": _iso(utcnow())},
                      webhook_id=webhook_id)
    session.flush()
    return delivery


def _disable(session: Session, webhook: Webhook, reason: str) -> None:
    webhook.active, webhook.disabled_at, webhook.disabled_reason = False, utcnow(), reason[:2000]
    # Nothing more goes out to it: what is still waiting fails now, visibly, in the log.
    session.execute(update(WebhookDelivery)
                    .where(WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.status == PENDING,
                           WebhookDelivery.event != PING)
                    .values(status=FAILED, next_attempt_at=None, last_error="the webhook was disabled")
                    .execution_options(synchronize_session=False))


# --- Delivering.

def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What X-Claimdesk-Signature carries: HMAC-SHA256 of "{timestamp}.{body}" with the secret, in hex."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _request(delivery: WebhookDelivery, secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": delivery.id, "event": delivery.event, "created_at": _iso(delivery.created_at),
                       "data": delivery.payload}, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    return body, {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Claimdesk-Event": delivery.event,
        "X-Claimdesk-Delivery": str(delivery.id),
        "X-Claimdesk-Timestamp": timestamp,
        "X-Claimdesk-Signature": signature(secret, timestamp, body),
    }


def _post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    """POST to the vetted addresses themselves (no second lookup a rebinding DNS could answer
    differently) and never follow a redirect (it could point anywhere); http.client does neither."""

    def connect(_address, timeout=None, source_address=None) -> socket.socket:
        error: OSError | None = None
        for address in target.addresses:
            try:
                return socket.create_connection((address, target.port), timeout)
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")

    if target.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # TLS still verifies the certificate against the host name: only the TCP connection is pinned.
    connection._create_connection = connect
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(MAX_ERROR_BODY).decode("utf-8", "replace")
    finally:
        connection.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return f"{type(exc).__name__}: {exc}"[:500]


def deliver(session: Session, queue: TaskQueue, delivery_id: int,
            policy: DeliveryPolicy) -> WebhookDelivery | None:
    """Make one attempt at a delivery and record it; schedule the retry, or the next delivery in order.

    Safe to call twice for the same delivery (a redelivered or re-sent message): a lease taken with a
    conditional UPDATE lets one attempt run at a time, and a delivery not yet due is left alone.
    """
    now = utcnow()
    lease = now + timedelta(seconds=policy.timeout * 2 + 5)
    claimed = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == PENDING,
               or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now + EARLY))
        .values(next_attempt_at=lease).execution_options(synchronize_session=False)).rowcount
    checkpoint(session)
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if not claimed or delivery is None:
        checkpoint(session)
        return delivery  # done, gone, not due yet, or another worker is on it
    webhook = session.get(Webhook, delivery.webhook_id, populate_existing=True)
    if webhook is None:  # deleted a moment ago, its deliveries with it
        checkpoint(session)
        return None
    if not webhook.active and delivery.event != PING:
        delivery.status, delivery.next_attempt_at = FAILED, None
        delivery.last_error = "the webhook is disabled"
        checkpoint(session)
        return delivery
    if delivery.event_key is not None:
        older = session.execute(
            select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
            .where(WebhookDelivery.webhook_id == delivery.webhook_id,
                   WebhookDelivery.event_key == delivery.event_key,
                   WebhookDelivery.status == PENDING, WebhookDelivery.id < delivery.id)
            .order_by(WebhookDelivery.id).limit(1)).first()
        if older is not None:
            # An older event for the same article has not gone out yet: wait for it. It sends this one
            # on as soon as it is settled; the countdown (until its next attempt) is the fallback.
            due = older.next_attempt_at
            wait = min(max((due - now).total_seconds(), 1) if due else 1, MAX_BACKOFF)
            delivery.next_attempt_at = now + timedelta(seconds=wait)
            checkpoint(session)
            queue.deliver_webhook(delivery.id, countdown=wait)
            return delivery
    url, secret = webhook.url, webhook.secret
    checkpoint(session)  # no transaction stays open while the receiver is called

    code: int | None = None
    error: str | None = None
    latency: int | None = None
    final = False
    try:
        target = policy.addresses.check(url)
    except Refused as exc:
        error, final = f"refused: {exc}", True
    else:
        body, headers = _request(delivery, secret)
        started = time.perf_counter()
        try:
            code, answer = _post(target, body, headers, policy.timeout)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            error = _describe(exc)
        else:
            if not 200 <= code < 300:
                said = " ".join(answer.split())[:MAX_ERROR_BODY]
                error = f"HTTP {code}: {said}" if said else f"HTTP {code}"
        latency = round((time.perf_counter() - started) * 1000)
    return _record(session, queue, delivery_id, policy, code, latency, error, final)


def _record(session: Session, queue: TaskQueue, delivery_id: int, policy: DeliveryPolicy, code: int | None,
            latency: int | None, error: str | None, final: bool) -> WebhookDelivery | None:
    now = utcnow()
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True, with_for_update=True)
    webhook = delivery and session.get(Webhook, delivery.webhook_id, populate_existing=True,
                                       with_for_update=True)
    if delivery is None or webhook is None:  # the webhook was deleted while its receiver was called
        checkpoint(session)
        return None
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_latency_ms, delivery.last_error = code, latency, error
    counts = delivery.event != PING  # pings test a receiver; they neither disable nor rescue it
    retry_in = None
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DELIVERED, now, None
        if counts:
            webhook.consecutive_failures = 0
    elif final or delivery.attempts >= policy.max_attempts or delivery.status != PENDING:
        if delivery.status == PENDING:
            delivery.status = FAILED
        delivery.next_attempt_at = None
        if counts:
            webhook.consecutive_failures += 1
            if webhook.active and webhook.consecutive_failures >= policy.disable_after:
                _disable(session, webhook, f"{webhook.consecutive_failures} deliveries in a row failed; "
                                           f"the last: {error}")
                log.warning("webhook %s disabled after %d failed deliveries", webhook.id,
                            webhook.consecutive_failures)
    else:
        retry_in = backoff(delivery.attempts)
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    checkpoint(session)
    if retry_in is not None:
        queue.deliver_webhook(delivery.id, countdown=retry_in)
    elif delivery.event_key is not None:
        _send_next(session, queue, delivery)
    return delivery


def _send_next(session: Session, queue: TaskQueue, settled: WebhookDelivery) -> None:
    """The delivery that waited for `settled` (the next of its key) may go now."""
    following = session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == settled.webhook_id,
               WebhookDelivery.event_key == settled.event_key,
               WebhookDelivery.status == PENDING, WebhookDelivery.id > settled.id)
        .order_by(WebhookDelivery.id).limit(1))
    if following is None or following.attempts > 0:
        checkpoint(session)
        return  # none waiting, or one that is already retrying on its own schedule
    following.next_attempt_at = utcnow()
    checkpoint(session)
    queue.deliver_webhook(following.id)
