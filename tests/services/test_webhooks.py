"""Webhooks without HTTP in front: the outbox, signed deliveries to a local receiver, retries, disabling,
order per article and the address guard."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from service.domain.access import Principal, Role
from service.services import accounts, annotations, batches, webhooks
from service.services.articles import Submission, add_article
from service.services.errors import InvalidInput
from service.services.flagging import flag_article
from service.storage.accounts import User
from service.storage.models import Article, Claim
from service.storage.webhooks import Webhook, WebhookDelivery
from service.unit_of_work import connect
from tests.fakes import KeywordDetector, RecordingQueue
from tests.receiver import Receiver

SECRET = "a-long-enough-test-secret"
LOCAL = webhooks.AddressPolicy(["127.0.0.1/32"])
POLICY = webhooks.DeliveryPolicy(LOCAL, timeout=5, max_attempts=10, disable_after=10)


@pytest.fixture
def queue(database) -> RecordingQueue:
    """The queue delivery tasks go to, wired as the web app and the worker wire theirs."""
    queue = RecordingQueue()
    connect(database, queue)
    return queue


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def hook(session, url: str, events=webhooks.EVENTS, policy=LOCAL) -> Webhook:
    webhook = webhooks.create_webhook(session, policy, url, list(events), SECRET)[0]
    session.commit()  # as the request or command that registers it does
    return webhook


def pending(session, event="annotation.created", key: str | None = "article:1", data=None) -> int:
    [delivery] = webhooks.emit(session, event, data or {"n": 1}, key=key)
    session.commit()
    return delivery.id


def make_due(session, delivery_id: int) -> None:
    """Time passes: the retry's countdown is over."""
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                    .values(next_attempt_at=webhooks.utcnow() - timedelta(seconds=1)))
    session.commit()


def log_of(session, delivery_id: int) -> WebhookDelivery:
    return session.get(WebhookDelivery, delivery_id, populate_existing=True)


# --- Signed deliveries.

def test_a_delivery_is_a_signed_json_post_that_verifies_with_the_secret(session, queue, receiver):
    webhook = hook(session, receiver.url)
    delivery_id = pending(session, data={"annotation": {"id": 7}})

    webhooks.deliver(session, queue, delivery_id, POLICY)

    [request] = receiver.received
    assert request.path == "/hooks/claimdesk"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Claimdesk-Event"] == "annotation.created"
    assert request.headers["X-Claimdesk-Delivery"] == str(delivery_id)
    assert request.signed_with(SECRET)
    assert not request.signed_with(SECRET + "x")
    assert request.json == {"id": delivery_id, "event": "annotation.created",
                            "data": {"annotation": {"id": 7}}, "created_at": request.json["created_at"]}
    delivery = log_of(session, delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.last_latency_ms is not None and delivery.last_error is None
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert session.get(Webhook, webhook.id).consecutive_failures == 0


def test_the_readme_verification_snippet_accepts_a_delivery_and_rejects_a_forgery(session, queue, receiver):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("**Webhooks.**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)
    verify = namespace["verify"]
    hook(session, receiver.url)
    webhooks.deliver(session, queue, pending(session), POLICY)
    [request] = receiver.received
    assert verify(SECRET, request.headers, request.body)
    assert not verify(SECRET, request.headers, request.body + b" ")
    assert not verify("another-secret-of-16", request.headers, request.body)
    ten_minutes_ago = str(int(request.headers["X-Claimdesk-Timestamp"]) - 600)
    # Correctly signed, but old: a replay.
    resigned = webhooks.signature(SECRET, ten_minutes_ago, request.body)
    stale = request.headers | {"X-Claimdesk-Timestamp": ten_minutes_ago, "X-Claimdesk-Signature": resigned}
    assert not verify(SECRET, stale, request.body)


def test_the_signature_covers_timestamp_and_body():
    body, secret = b'{"id":1}', "k" * 16
    assert webhooks.signature(secret, "1700000000", body) != webhooks.signature(secret, "1700000001", body)
    expected = hmac.new(b"k" * 16, b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.signature("k" * 16, "1700000000", body) == f"sha256={expected}"


def test_a_second_message_for_a_settled_or_leased_delivery_sends_nothing(session, queue, receiver):
    hook(session, receiver.url)
    delivery_id = pending(session)
    webhooks.deliver(session, queue, delivery_id, POLICY)
    webhooks.deliver(session, queue, delivery_id, POLICY)  # a redelivered message
    assert len(receiver.received) == 1
    assert log_of(session, delivery_id).attempts == 1


# --- Retries and disabling.

def test_failures_are_retried_with_growing_countdowns_until_delivered(session, queue):
    with Receiver(script=[500, 500]) as receiver:
        hook(session, receiver.url)
        delivery_id = pending(session)
        queue.deliveries.clear()

        webhooks.deliver(session, queue, delivery_id, POLICY)
        first = log_of(session, delivery_id)
        assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
        assert first.last_error == "HTTP 500: boom"
        # Too early: the retry is not due; a stray message changes nothing.
        webhooks.deliver(session, queue, delivery_id, POLICY)
        assert len(receiver.received) == 1

        make_due(session, delivery_id)
        webhooks.deliver(session, queue, delivery_id, POLICY)
        make_due(session, delivery_id)
        webhooks.deliver(session, queue, delivery_id, POLICY)

        countdowns = [countdown for sent, countdown in queue.deliveries if sent == delivery_id]
        assert len(countdowns) == 2
        assert 2 <= countdowns[0] <= 2.5 and 4 <= countdowns[1] <= 5
        delivery = log_of(session, delivery_id)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
        assert delivery.last_error is None
        assert len(receiver.received) == 3
        # The log says it too.
        page = webhooks.list_deliveries(session, delivery.webhook_id, 10, None)
        assert [(d.id, d.attempts, d.status) for d in page.items] == [(delivery_id, 3, "delivered")]


def test_backoff_grows_and_stays_under_the_visibility_timeout():
    assert [round(webhooks.backoff(n)) >= 2 ** n for n in (1, 2, 3)] == [True] * 3
    assert all(webhooks.backoff(n) <= 300 * 1.25 < 3600 for n in range(1, 30))


def test_a_receiver_that_always_fails_gets_its_webhook_disabled_and_nothing_more(session, queue):
    policy = webhooks.DeliveryPolicy(LOCAL, timeout=5, max_attempts=2, disable_after=2)
    with Receiver(then=500) as receiver:
        webhook = hook(session, receiver.url)
        first, second, third = (pending(session, key=f"article:{n}") for n in (1, 2, 3))
        for delivery_id in (first, second):
            webhooks.deliver(session, queue, delivery_id, policy)
            make_due(session, delivery_id)
            webhooks.deliver(session, queue, delivery_id, policy)
            assert log_of(session, delivery_id).status == "failed"
        webhook = session.get(Webhook, webhook.id, populate_existing=True)
        assert webhook.active is False and webhook.consecutive_failures == 2
        assert webhook.disabled_at is not None
        assert webhook.disabled_reason == "2 deliveries in a row failed; the last: HTTP 500: boom"
        # What was still waiting fails, visibly; a message for it sends nothing.
        assert log_of(session, third).status == "failed"
        assert log_of(session, third).last_error == "the webhook was disabled"
        webhooks.deliver(session, queue, third, policy)
        # A new event makes no delivery for a disabled webhook.
        assert webhooks.emit(session, "annotation.created", {"n": 2}, key="article:9") == []
        session.commit()
        assert len(receiver.received) == 4

        # Re-enabling starts afresh.
        webhooks.update_webhook(session, LOCAL, webhook.id, {"active": True}, "ada")
        assert (webhook.active, webhook.consecutive_failures, webhook.disabled_reason) == (True, 0, None)


def test_a_success_resets_the_failure_count(session, queue):
    policy = webhooks.DeliveryPolicy(LOCAL, timeout=5, max_attempts=1, disable_after=3)
    with Receiver(script=[500, 500]) as receiver:
        webhook = hook(session, receiver.url)
        for n in range(3):
            webhooks.deliver(session, queue, pending(session, key=f"article:{n}"), policy)
        assert session.get(Webhook, webhook.id, populate_existing=True).consecutive_failures == 0
        assert session.get(Webhook, webhook.id).active


# --- Order per article.

def test_events_for_one_article_arrive_in_the_order_they_happened(session, queue, receiver):
    hook(session, receiver.url)
    created = pending(session, "annotation.created", "article:5")
    updated = pending(session, "annotation.updated", "article:5")
    other = pending(session, "annotation.created", "article:6")
    queue.deliveries.clear()

    # The newer event's message comes first: it waits for the older one.
    webhooks.deliver(session, queue, updated, POLICY)
    assert receiver.received == []
    assert queue.deliveries[-1][0] == updated and queue.deliveries[-1][1] >= 1
    # Another article is not held up.
    webhooks.deliver(session, queue, other, POLICY)
    assert [r.headers["X-Claimdesk-Delivery"] for r in receiver.received] == [str(other)]

    # The older one goes, then sends the waiting one on at once.
    webhooks.deliver(session, queue, created, POLICY)
    assert queue.deliveries[-1] == (updated, None)
    webhooks.deliver(session, queue, updated, POLICY)
    assert [r.headers["X-Claimdesk-Event"] for r in receiver.received] == [
        "annotation.created", "annotation.created", "annotation.updated"]
    assert [r.headers["X-Claimdesk-Delivery"] for r in receiver.received[1:]] == [str(created), str(updated)]


def test_a_newer_event_waits_while_the_older_one_is_being_retried(session, queue):
    with Receiver(script=[503]) as receiver:
        hook(session, receiver.url)
        older, newer = pending(session, key="article:1"), pending(session, key="article:1")
        webhooks.deliver(session, queue, older, POLICY)  # 503: retried later
        webhooks.deliver(session, queue, newer, POLICY)
        assert len(receiver.received) == 1 and log_of(session, newer).attempts == 0
        make_due(session, older)
        webhooks.deliver(session, queue, older, POLICY)
        webhooks.deliver(session, queue, newer, POLICY)
        assert [int(r.headers["X-Claimdesk-Delivery"]) for r in receiver.received] == [older, older, newer]


# --- Where deliveries may go.

@pytest.mark.parametrize("url", ["http://10.0.0.1/hook", "http://192.168.1.1/hook",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]:8080/hook",
                                 "http://localhost:8000/hook", "http://127.0.0.1/hook", "http://0.0.0.0/",
                                 "http://224.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://2130706433/"])
def test_private_loopback_link_local_and_multicast_addresses_are_refused(session, url):
    with pytest.raises(InvalidInput) as refused:
        webhooks.create_webhook(session, webhooks.AddressPolicy(), url, ["annotation.created"], SECRET)
    assert refused.value.status == 422
    assert "url" in refused.value.errors


# IPv6 forms that carry an IPv4 address: NAT64 (well-known and local-use prefixes), 6to4, Teredo,
# IPv4-mapped, IPv4-translated and IPv4-compatible, each around a loopback, link-local or private address.
EMBEDDED_IPV4 = ["64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1", "64:ff9b:1::7f00:1",
                 "64:ff9b:1:ffff::808:808", "2002:7f00:1::", "2002:a9fe:a9fe::1", "2002:808:808::1",
                 "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "::ffff:7f00:1", "::ffff:a9fe:a9fe",
                 "::ffff:0:7f00:1", "::ffff:0:808:808", "::7f00:1", "::a9fe:a9fe", "100::1", "::1", "::"]


@pytest.mark.parametrize("address", EMBEDDED_IPV4)
def test_ipv6_forms_that_embed_a_non_public_ipv4_address_are_refused(session, address):
    with pytest.raises(InvalidInput) as refused:
        webhooks.create_webhook(session, webhooks.AddressPolicy(), f"http://[{address}]/hook",
                                ["annotation.created"], SECRET)
    assert "public addresses only" in refused.value.detail


def test_the_embedded_ipv4_address_is_named_in_the_refusal():
    policy = webhooks.AddressPolicy()
    with pytest.raises(webhooks.Refused, match=r"NAT64 form of 127\.0\.0\.1, a loopback address"):
        policy.check("http://[64:ff9b::7f00:1]/")
    with pytest.raises(webhooks.Refused, match=r"6to4 address \(of 127\.0\.0\.1\)"):
        policy.check("http://[2002:7f00:1::]/")


@pytest.mark.parametrize("address", ["2606:4700:4700::1111", "2001:4860:4860::8888",
                                     "2a00:1450:4001:80b::200e", "64:ff9b::808:808", "::ffff:93.184.215.14"])
def test_global_ipv6_addresses_and_nat64_of_a_public_ipv4_address_are_accepted(address):
    """An IPv6-only network behind DNS64 reaches an IPv4-only receiver at 64:ff9b::<its address>."""
    assert webhooks.AddressPolicy().check(f"https://[{address}]/hook").addresses == (address,)


def test_an_allow_listed_ipv4_network_covers_its_nat64_form():
    assert webhooks.AddressPolicy(["10.0.0.0/8"]).check("http://[64:ff9b::a00:1]/").port == 80


def test_dns_rebinding_to_an_embedded_loopback_address_is_refused_at_delivery(session, queue):
    answers = {"hooks.example.org": "2606:4700:4700::1111"}

    def resolve(host, port, type=0):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (answers[host], port, 0, 0))]

    policy = webhooks.AddressPolicy(resolve=resolve)
    hook(session, "https://hooks.example.org/claimdesk", policy=policy)
    answers["hooks.example.org"] = "64:ff9b::7f00:1"
    delivery_id = pending(session)
    webhooks.deliver(session, queue, delivery_id, webhooks.DeliveryPolicy(policy))
    assert log_of(session, delivery_id).status == "failed"
    error = log_of(session, delivery_id).last_error
    assert "resolves to 64:ff9b::7f00:1, the NAT64 form of 127.0.0.1" in error


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/", "http://user:pass@93.184.215.14/",
                                 "http://no-such-host.invalid/"])
def test_other_schemes_credentials_and_unknown_hosts_are_refused(session, url):
    with pytest.raises(InvalidInput):
        webhooks.create_webhook(session, webhooks.AddressPolicy(), url, ["annotation.created"], SECRET)


def test_the_allow_list_lets_hosts_and_networks_through():
    assert webhooks.AddressPolicy(["127.0.0.1/32"]).check("http://127.0.0.1:9/x").addresses == ("127.0.0.1",)
    assert webhooks.AddressPolicy(["10.0.0.0/8"]).check("https://10.1.2.3/").port == 443
    assert webhooks.AddressPolicy(["localhost"]).check("http://localhost:8000/").host == "localhost"
    assert webhooks.AddressPolicy().check("https://93.184.215.14/hooks?a=1").path == "/hooks?a=1"
    with pytest.raises(webhooks.Refused):
        webhooks.AddressPolicy(["127.0.0.1/32"]).check("http://127.0.0.2/")


def test_an_address_refused_at_delivery_time_is_never_contacted(session, queue, receiver):
    """Registered while allowed (or while DNS said something else): delivery checks again."""
    webhook = hook(session, receiver.url)
    delivery_id = pending(session)
    strict = webhooks.DeliveryPolicy(webhooks.AddressPolicy(), timeout=5, max_attempts=10, disable_after=10)
    webhooks.deliver(session, queue, delivery_id, strict)
    delivery = log_of(session, delivery_id)
    assert receiver.received == []
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.last_error.startswith("refused: 127.0.0.1 is a loopback address")
    assert session.get(Webhook, webhook.id, populate_existing=True).consecutive_failures == 1


def test_dns_rebinding_to_a_private_address_is_refused_at_delivery(session, queue):
    answers = {"hooks.example.org": "93.184.215.14"}

    def resolve(host, port, type=0):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    policy = webhooks.AddressPolicy(resolve=resolve)
    webhook = hook(session, "https://hooks.example.org/claimdesk", policy=policy)
    answers["hooks.example.org"] = "10.0.0.7"  # the attacker's DNS changes its answer
    delivery_id = pending(session)
    webhooks.deliver(session, queue, delivery_id, webhooks.DeliveryPolicy(policy))
    assert log_of(session, delivery_id).status == "failed"
    assert "hooks.example.org resolves to 10.0.0.7, a private" in log_of(session, delivery_id).last_error
    assert webhook.id


def test_the_connection_goes_to_the_vetted_address_not_a_second_lookup(receiver):
    """The host name is only sent (Host header, TLS name); the socket goes to the address checked."""
    target = webhooks.Target("http", "receiver.invalid", receiver.port, "/pinned", ("127.0.0.1",))
    code, _ = webhooks._post(target, b"{}", {"Content-Type": "application/json"}, 5)
    assert code == 200
    assert receiver.received[0].headers["Host"] == f"receiver.invalid:{receiver.port}"


def test_a_receiver_that_does_not_answer_is_a_failed_attempt(session, queue):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    hook(session, f"http://127.0.0.1:{port}/")
    delivery_id = pending(session)
    webhooks.deliver(session, queue, delivery_id, POLICY)
    delivery = log_of(session, delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "connection refused")


# --- The outbox.

def test_events_are_sent_after_the_commit_and_never_for_a_rollback(session, queue, receiver):
    hook(session, receiver.url)
    queue.deliveries.clear()
    webhooks.emit(session, "annotation.created", {"n": 1}, key="article:1")
    assert queue.deliveries == []  # not before the change is committed
    session.rollback()
    assert session.scalars(select(WebhookDelivery)).all() == []
    session.commit()
    assert queue.deliveries == []  # nor later, with some other transaction

    [delivery] = webhooks.emit(session, "annotation.created", {"n": 2}, key="article:1")
    session.commit()
    assert queue.deliveries == [(delivery.id, None)]


def test_only_subscribed_active_webhooks_get_an_event(session, queue, receiver):
    flagged = hook(session, receiver.url, events=["article.flagged"])
    everything = hook(session, receiver.url)
    off = hook(session, receiver.url)
    webhooks.update_webhook(session, LOCAL, off.id, {"active": False}, "ada")
    deliveries = webhooks.emit(session, "annotation.deleted", {}, key="article:1")
    assert [d.webhook_id for d in deliveries] == [everything.id]
    flags = webhooks.emit(session, "article.flagged", {})
    assert [d.webhook_id for d in flags] == [flagged.id, everything.id]


def test_the_webhooks_are_read_once_per_transaction(session, database, queue, receiver):
    hook(session, receiver.url)
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        for n in range(3):
            webhooks.emit(session, "article.flagged", {"n": n}, key=f"article:{n}")
        session.commit()
        webhooks.emit(session, "article.flagged", {"n": 4})  # a new transaction reads them again
        session.commit()
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert sum("FROM webhooks" in s for s in statements) == 2
    assert len(session.scalars(select(WebhookDelivery)).all()) == 4


def test_lost_messages_are_sent_again_by_the_sweeper(session, queue, receiver):
    hook(session, receiver.url)
    delivery_id = pending(session)
    queue.deliveries.clear()
    assert webhooks.resend_pending(session, queue, timedelta(minutes=10)) == []
    make_due(session, delivery_id)
    assert webhooks.resend_pending(session, queue, timedelta(seconds=0)) == [delivery_id]
    webhooks.deliver(session, queue, delivery_id, POLICY)
    assert log_of(session, delivery_id).status == "delivered"


def test_a_ping_reaches_even_a_disabled_webhook_and_changes_no_count(session, queue, receiver):
    webhook = hook(session, receiver.url)
    webhooks.update_webhook(session, LOCAL, webhook.id, {"active": False}, "ada")
    delivery = webhooks.ping(session, webhook.id, "ada")
    webhooks.deliver(session, queue, delivery.id, POLICY)
    assert receiver.received[0].headers["X-Claimdesk-Event"] == "ping"
    assert log_of(session, delivery.id).status == "delivered"


# --- Where events come from.

def editor(session) -> Principal:
    user = session.scalar(select(User).where(User.username == "eddie"))
    if user is None:
        user = accounts.create_user(session, "eddie", "correct horse battery staple", Role.EDITOR)
    return accounts.principal_for(user)


def _article(session) -> Article:
    article, _ = add_article(session, Submission(body="Officials said 300 homes were flooded. It rained."),
                             10_000)
    session.commit()
    return article


def _events(session) -> list[tuple[str, str | None, dict]]:
    rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
    return [(d.event, d.event_key, d.payload) for d in rows]


def test_annotation_changes_emit_created_updated_and_deleted(session, queue, receiver):
    hook(session, receiver.url)
    article = _article(session)
    claim = session.scalars(select(Claim).where(Claim.article_id == article.id)).first()
    eddie = editor(session)
    annotation = annotations.create_annotation(session, eddie, claim.id,
                                               annotations.AnnotationInput(verdict="accurate", note="n"))
    etag = annotations.annotation_etag(annotation)
    annotations.update_annotation(session, eddie, annotation.id, {"note": "changed"}, etag, lambda a: {})
    annotations.delete_annotation(session, eddie, annotation.id, "*", lambda a: {})
    annotations.restore_annotation(session, eddie, annotation.id)
    events = _events(session)
    assert [(e, k) for e, k, _ in events] == [("annotation.created", f"article:{article.id}"),
                                             ("annotation.updated", f"article:{article.id}"),
                                             ("annotation.deleted", f"article:{article.id}"),
                                             ("annotation.updated", f"article:{article.id}")]
    created, updated, deleted, restored = (p for _, _, p in events)
    assert created["annotation"] == {
        "id": annotation.id, "claim_id": claim.id, "article_id": article.id, "verdict": "accurate",
        "note": "n", "evidence": [], "selector": None, "reviewer": "eddie", "deleted": False}
    assert created["actor"] == "eddie" and updated["annotation"]["note"] == "changed"
    assert deleted["annotation"]["deleted"] is True and restored["action"] == "restore"


def test_a_refused_edit_emits_nothing(session, queue, receiver):
    hook(session, receiver.url)
    article = _article(session)
    claim = session.scalars(select(Claim).where(Claim.article_id == article.id)).first()
    annotation = annotations.create_annotation(session, editor(session), claim.id,
                                               annotations.AnnotationInput(note="n"))
    session.commit()  # the request that made it ends
    with pytest.raises(Exception, match="changed this"):
        annotations.update_annotation(session, editor(session), annotation.id, {"note": "x"}, '"stale"',
                                      lambda a: {})
    assert [e for e, _, _ in _events(session)] == ["annotation.created"]


def test_flagging_an_article_emits_article_flagged_with_its_counts(session, queue, receiver):
    hook(session, receiver.url)
    article = _article(session)
    flag_article(session, article.id, KeywordDetector({"Officials": ("sourcing", "vague"),
                                                       "homes": ("number", "count")}), "test-1")
    [(event, key, payload)] = _events(session)
    assert (event, key) == ("article.flagged", f"article:{article.id}")
    assert payload["article"]["id"] == article.id and payload["article"]["status"] == "flagged"
    assert payload["article"]["detector_version"] == "test-1"
    assert payload["flag_counts"] == {"sourcing": 1, "number": 1}


def test_a_finished_batch_is_reported_once(session, queue, receiver):
    hook(session, receiver.url)
    limits = batches.ImportLimits(max_lines=10, max_bytes=100_000, max_line_bytes=10_000,
                                  max_article_chars=10_000)
    batch = batches.start_import(session)
    stream = io.BytesIO(json.dumps({"body": "Officials said 3 homes flooded."}).encode() + b"\n")
    batches.import_articles(session, queue, batch, stream, limits)
    assert batches.finish_settled(session) == []  # its article is still queued
    for article_id in list(queue.article_ids):
        flag_article(session, article_id, KeywordDetector({}), "test-1")
    assert batches.finish_settled(session) == [batch.id]
    batches.get_batch(session, batch.id)
    assert batches.finish_settled(session) == []
    finished = [(k, p) for e, k, p in _events(session) if e == "batch.finished"]
    assert len(finished) == 1
    key, payload = finished[0]
    assert key == f"batch:{batch.id}"
    assert payload["batch"]["status"] == "finished" and payload["articles"] == {"flagged": 1}
