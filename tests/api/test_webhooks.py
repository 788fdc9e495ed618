"""/webhooks over the API: registering, the address guard, changing, the delivery log, ping."""
from __future__ import annotations

import pytest

from service.domain.access import Role
from service.services import webhooks
from service.storage.webhooks import Webhook
from tests.api.conftest import add_account, assert_problem, bearer_client, post_article
from tests.receiver import Receiver

API = "/api/v1"
SECRET = "a-long-enough-test-secret"


@pytest.fixture
def app(make_app, queue):
    """The conftest app, allowed to deliver to this machine's local receivers."""
    return make_app({"CLAIMDESK_WEBHOOK_ALLOW": "127.0.0.1/32"}, queue=queue)


@pytest.fixture
def admin(client_as):
    return client_as("ada")


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def register(admin, url: str, **fields) -> dict:
    response = admin.post(f"{API}/webhooks", json={"url": url, "events": ["annotation.created"], **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/api/v1/webhooks/{response.get_json()['id']}")
    return response.get_json()


def test_an_admin_registers_a_webhook_and_sees_a_generated_secret_once(admin, receiver):
    created = register(admin, receiver.url, events=["batch.finished", "annotation.created"])
    assert len(created["secret"]) >= 32
    assert created["events"] == ["annotation.created", "batch.finished"]  # in the documented order
    assert (created["active"], created["consecutive_failures"], created["disabled_at"]) == (True, 0, None)
    assert created["created_by"] == admin.get(f"{API}/auth/me").get_json()["id"]

    shown = admin.get(f"{API}/webhooks/{created['id']}").get_json()
    assert "secret" not in shown
    listed = admin.get(f"{API}/webhooks").get_json()
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]


def test_a_secret_of_your_own_is_not_echoed(admin, receiver):
    assert register(admin, receiver.url, secret=SECRET)["secret"] is None


@pytest.mark.parametrize(("fields", "field"), [
    ({"secret": "too short"}, "secret"),
    ({"events": ["article.deleted"]}, "events"),
    ({"events": []}, "events"),
    ({"url": "ftp://93.184.215.14/hook"}, "url"),
    ({"url": "not a url"}, "url"),
])
def test_bad_registrations_are_422_naming_the_field(admin, receiver, fields, field):
    body = {"url": receiver.url, "events": ["annotation.created"], **fields}
    problem = assert_problem(admin.post(f"{API}/webhooks", json=body), 422)
    assert field in problem["errors"]["json"]


@pytest.mark.parametrize("url", ["http://10.0.0.1/hook", "http://192.168.1.1/hook",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook",
                                 "http://localhost:8000/hook", "http://[64:ff9b::7f00:1]/hook",
                                 "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "http://[2002:7f00:1::]/hook",
                                 "http://[::ffff:0:7f00:1]/hook", "http://[::ffff:7f00:1]/hook",
                                 "http://[::7f00:1]/hook", "http://[2001::7f00:1]/hook",
                                 "http://[64:ff9b:1::a9fe:a9fe]/hook"])
def test_private_and_loopback_addresses_are_refused_without_an_allow_list(make_app, url):
    strict = make_app(queue=None)
    admin = bearer_client(strict, _admin_token(strict))
    problem = assert_problem(admin.post(f"{API}/webhooks", json={"url": url, "events": ["article.flagged"]}),
                             422)
    assert "public addresses only" in problem["detail"]
    assert problem["errors"]["url"]


def _admin_token(app) -> str:
    return add_account(app, "ada", Role.ADMIN)


def test_patch_changes_disables_and_re_enables(admin, receiver, app):
    created = register(admin, receiver.url)
    hook = f"{API}/webhooks/{created['id']}"
    off = admin.patch(hook, json={"active": False, "events": ["article.flagged", "annotation.deleted"]})
    assert off.status_code == 200, off.get_data(as_text=True)
    assert off.get_json()["active"] is False and off.get_json()["disabled_reason"] == "disabled by ada"
    assert off.get_json()["events"] == ["article.flagged", "annotation.deleted"]

    with app.extensions["claimdesk"].database.sessionmaker() as session:
        session.get(Webhook, created["id"]).consecutive_failures = 10
        session.commit()
    on = admin.patch(hook, json={"active": True, "secret": SECRET + "-rotated"}).get_json()
    assert (on["active"], on["consecutive_failures"], on["disabled_at"], on["disabled_reason"]) == (
        True, 0, None, None)
    problem = assert_problem(admin.patch(hook, json={"url": "http://10.1.1.1/"}), 422)
    assert problem["errors"]["url"]
    assert admin.get(hook).get_json()["url"] == receiver.url


def test_delete_removes_the_webhook_and_its_log(admin, receiver):
    created = register(admin, receiver.url)
    admin.post(f"{API}/webhooks/{created['id']}/ping")
    assert admin.delete(f"{API}/webhooks/{created['id']}").status_code == 204
    assert_problem(admin.get(f"{API}/webhooks/{created['id']}"), 404)
    assert_problem(admin.get(f"{API}/webhooks/{created['id']}/deliveries"), 404)
    assert_problem(admin.delete(f"{API}/webhooks/{created['id']}"), 404)


def test_annotating_records_a_delivery_whose_attempts_the_log_shows(admin, client, receiver, app, queue):
    created = register(admin, receiver.url, secret=SECRET)
    claim = post_article(client)["claims"][0]["id"]
    assert client.post(f"{API}/claims/{claim}/annotations", json={"verdict": "accurate"}).status_code == 201
    [(delivery_id, countdown)] = queue.deliveries  # sent to the workers once the annotation was committed
    assert countdown is None

    log = admin.get(f"{API}/webhooks/{created['id']}/deliveries").get_json()
    [entry] = log["items"]
    assert (entry["id"], entry["event"], entry["status"], entry["attempts"]) == (
        delivery_id, "annotation.created", "pending", 0)
    assert entry["event_key"] == f"article:{entry['payload']['annotation']['article_id']}"

    # What the worker's task does.
    with app.extensions["claimdesk"].database.sessionmaker() as session:
        policy = webhooks.DeliveryPolicy.from_settings(app.extensions["claimdesk"].settings)
        webhooks.deliver(session, queue, delivery_id, policy)
    [request] = receiver.received
    assert request.signed_with(SECRET) and request.json["data"]["annotation"]["verdict"] == "accurate"
    [entry] = admin.get(f"{API}/webhooks/{created['id']}/deliveries").get_json()["items"]
    assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("delivered", 1, 200)
    assert entry["last_latency_ms"] >= 0 and entry["last_error"] is None and entry["delivered_at"]


def test_ping_queues_a_ping_and_the_log_pages_with_a_cursor(admin, receiver, queue):
    created = register(admin, receiver.url)
    pings = []
    for _ in range(3):
        response = admin.post(f"{API}/webhooks/{created['id']}/ping")
        assert response.status_code == 202, response.get_data(as_text=True)
        assert response.get_json()["event"] == "ping" and response.get_json()["status"] == "pending"
        pings.append(response.get_json()["id"])
    assert [d for d, _ in queue.deliveries] == pings

    log = f"{API}/webhooks/{created['id']}/deliveries"
    first = admin.get(log, query_string={"limit": 2}).get_json()
    assert [d["id"] for d in first["items"]] == pings[:0:-1]  # newest first
    second = admin.get(log, query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert [d["id"] for d in second["items"]] == [pings[0]] and second["next_cursor"] is None
    assert_problem(admin.get(log, query_string={"cursor": "nonsense"}), 422)


def test_editors_may_not_manage_webhooks(client, anonymous, admin, receiver):
    created = register(admin, receiver.url)
    assert_problem(client.get(f"{API}/webhooks"), 403)
    assert_problem(client.post(f"{API}/webhooks/{created['id']}/ping"), 403)
    assert_problem(anonymous.get(f"{API}/webhooks/{created['id']}"), 401)


def test_the_document_describes_the_webhook_operations(anonymous):
    spec = anonymous.get("/api/openapi.json").get_json()
    paths = {path: set(ops) for path, ops in spec["paths"].items() if path.startswith(f"{API}/webhooks")}
    assert paths == {f"{API}/webhooks": {"get", "post"},
                     f"{API}/webhooks/{{webhook_id}}": {"get", "patch", "delete", "parameters"},
                     f"{API}/webhooks/{{webhook_id}}/deliveries": {"get", "parameters"},
                     f"{API}/webhooks/{{webhook_id}}/ping": {"post", "parameters"}}
    assert "X-Claimdesk-Signature" in spec["paths"][f"{API}/webhooks"]["post"]["description"]
