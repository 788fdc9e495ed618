"""Webhooks end to end: an annotation made over HTTP reaches a local receiver, signed, via a real worker."""
from __future__ import annotations

import time

import pytest

from service.domain.access import Role
from tests.receiver import Receiver

pytestmark = pytest.mark.integration


def test_annotating_a_claim_sends_a_signed_annotation_created(live):
    admin = live.caller(Role.ADMIN)
    with Receiver() as receiver:
        registered = admin.post(live.api("/webhooks"), json={"url": receiver.url,
                                                             "events": ["annotation.created"]}, timeout=10)
        assert registered.status_code == 201, registered.text
        webhook, secret = registered.json()["id"], registered.json()["secret"]
        try:
            body = f"Officials said {time.time_ns()} homes were flooded. Nobody was warned."
            article = live.http.post(live.api("/articles"), json={"body": body}, timeout=30)
            assert article.status_code == 202, article.text
            claim = article.json()["claims"][0]["id"]
            created = live.http.post(live.api(f"/claims/{claim}/annotations"),
                                     json={"verdict": "inaccurate", "note": "Far fewer."}, timeout=10)
            assert created.status_code == 201, created.text
            annotation = created.json()["id"]

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                mine = [r for r in receiver.received if r.json["data"]["annotation"]["id"] == annotation]
                if mine:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"no delivery within 60 s; log:\n{live.log.read_text()[-3000:]}")
            [request] = mine
            assert request.headers["X-Claimdesk-Event"] == "annotation.created"
            assert request.signed_with(secret)
            data = request.json["data"]
            assert data["annotation"]["claim_id"] == claim and data["annotation"]["verdict"] == "inaccurate"
            assert data["actor"] == live.http.username

            log = admin.get(live.api(f"/webhooks/{webhook}/deliveries"), timeout=10).json()["items"]
            entry = next(d for d in log if d["payload"]["annotation"]["id"] == annotation)
            deadline = time.monotonic() + 10
            while entry["status"] == "pending" and time.monotonic() < deadline:
                time.sleep(0.1)  # the worker records the answer just after the receiver has it
                log = admin.get(live.api(f"/webhooks/{webhook}/deliveries"), timeout=10).json()["items"]
                entry = next(d for d in log if d["payload"]["annotation"]["id"] == annotation)
            assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("delivered", 1, 200)
        finally:
            # The service outlives this test and its receiver: nothing more may go to a closed port.
            assert admin.delete(live.api(f"/webhooks/{webhook}"), timeout=10).status_code == 204
