"""A claim's current verdict is the same on the desk, in the API, in the ClaimReview export and in webhooks."""
from __future__ import annotations

import json
import re

import pytest

from tests.api.conftest import PASSWORD, post_article

API = "/api/v1"


@pytest.fixture
def app(make_app, queue):
    return make_app({"CLAIMDESK_WEBHOOK_ALLOW": "127.0.0.1/32"}, queue=queue)


def _desk_badge(app, claim_id: int, article_id: int) -> str:
    desk = app.test_client()
    desk.get("/login")
    with desk.session_transaction() as s:
        csrf = s["csrf"]
    assert desk.post("/login", data={"username": "eddie", "password": PASSWORD,
                                     "csrf_token": csrf}).status_code == 302
    html = desk.get(f"/articles/{article_id}").get_data(as_text=True)
    item = re.search(rf'id="claim-{claim_id}".*?<span class="badge verdict [^"]*">([^<]*)</span>', html, re.S)
    return item.group(1)


def _everywhere(app, client, admin, hook_id: int, claim: dict) -> dict[str, str | None]:
    article_id = claim["article_id"]
    exported = client.get(f"{API}/articles/{article_id}/export?format=claimreview").get_data(as_text=True)
    [review] = [r for r in map(json.loads, exported.splitlines()) if r["url"].endswith(f"/claims/{claim['id']}")]
    newest = admin.get(f"{API}/webhooks/{hook_id}/deliveries").get_json()["items"][0]
    return {
        "desk": _desk_badge(app, claim["id"], article_id),
        "api": client.get(f"{API}/claims/{claim['id']}").get_json()["current_verdict"],
        "claimreview": review["reviewRating"]["alternateName"],
        "webhook": newest["payload"]["claim"]["current_verdict"],
    }


def test_after_an_editor_edits_an_older_annotation_all_four_show_the_same_verdict(client, client_as):
    admin = client_as("ada")
    hook = admin.post(f"{API}/webhooks", json={
        "url": "http://127.0.0.1:9/hook", "secret": "a-long-enough-test-secret",
        "events": ["annotation.created", "annotation.updated", "annotation.deleted"]}).get_json()
    claim = post_article(client)["claims"][0]
    older = client_as("rita").post(f"{API}/claims/{claim['id']}/annotations",
                                   json={"verdict": "inaccurate"}).get_json()
    client_as("rob").post(f"{API}/claims/{claim['id']}/annotations", json={"verdict": "misleading"})
    app = client.application
    assert set(_everywhere(app, client, admin, hook["id"], claim).values()) == {"misleading"}

    # The editor touches the older annotation last: its verdict is now the claim's.
    edited = client.patch(f"{API}/annotations/{older['id']}", json={"note": "Checked again."},
                          headers={"If-Match": f'"a{older["id"]}.{older["version"]}"'})
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert _everywhere(app, client, admin, hook["id"], claim) == dict.fromkeys(
        ("desk", "api", "claimreview", "webhook"), "inaccurate")

    # Deleted, it no longer counts: the other reviewer's verdict is current again.
    assert client.delete(f"{API}/annotations/{older['id']}", headers={"If-Match": "*"}).status_code == 204
    assert set(_everywhere(app, client, admin, hook["id"], claim).values()) == {"misleading"}
