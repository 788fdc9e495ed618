"""The whole path over real HTTP and a real worker: submit, get flagged, annotate, edit, delete.

Plus what accounts add to it: anonymous callers are turned away, reviewers edit only their own
annotations, and an edit based on an old version is refused with the current one.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from service.domain.access import Role

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = "seed/000_f7a6ae565c320a86.txt"


PROBLEM_JSON = "application/problem+json"


def post_article(live, payload: dict) -> requests.Response:
    return live.http.post(live.api("/articles"), json=payload, timeout=30)


def annotated_claim(live, text: str) -> dict:
    """A claim of a freshly submitted article (no need to wait for flags to annotate it)."""
    response = post_article(live, {"body": text})
    assert response.status_code in (200, 202), response.text
    return response.json()["claims"][0]


def test_article_is_flagged_then_annotated_edited_and_deleted(live):
    body = (EXAMPLES / "council-budget.txt").read_text(encoding="utf-8")
    response = post_article(live, {"body": body, "outlet": "Westbridge Gazette",
                                   "external_id": f"council-{live.env['CLAIMDESK_INSTANCE_PATH']}"})
    assert response.status_code == 202, response.text
    article = response.json()
    assert article["status"] == "queued"
    assert response.headers["Location"].endswith(f"/api/v1/articles/{article['id']}")

    flagged = live.wait_for_status(article["id"])
    assert flagged["status"] == "flagged", flagged["status_reason"]
    assert flagged["detector_version"]
    kinds = {f["kind"] for claim in flagged["claims"] for f in claim["flags"]}
    assert kinds == {"quote", "number", "sourcing"}
    for claim in flagged["claims"]:
        assert flagged["body"][claim["start"]:claim["end"]] == claim["text"]
        for flag in claim["flags"]:
            assert flagged["body"][flag["start"]:flag["end"]] == flag["text"]

    flags = live.http.get(live.api("/flags"), params={"article": article["id"], "kind": "number"}, timeout=10)
    assert flags.status_code == 200
    assert flags.json()["items"] and all(f["kind"] == "number" for f in flags.json()["items"])

    amira = live.caller(Role.REVIEWER, "amira")
    claim = next(c for c in flagged["claims"] if c["flags"])
    created = amira.post(live.api(f"/claims/{claim['id']}/annotations"), timeout=10, json={
        "verdict": "needs-context", "note": "Grant figures differ by source.",
        "evidence": [{"url": "https://example.org/budget-papers", "title": "Budget papers"}],
        "selector": {"start": 0, "end": 10}})
    assert created.status_code == 201, created.text
    annotation = created.json()
    assert annotation["reviewer"] == amira.username
    assert annotation["selector"]["exact"] == claim["text"][:10]
    location = created.headers["Location"]

    edited = amira.patch(live.url + location, json={"verdict": "accurate"}, timeout=10,
                         headers={"If-Match": created.headers["ETag"]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["verdict"] == "accurate"
    assert edited.json()["note"] == "Grant figures differ by source."

    detail = live.http.get(live.api(f"/claims/{claim['id']}"), timeout=10).json()
    assert [a["verdict"] for a in detail["annotations"]] == ["accurate"]
    assert live.http.get(live.api(f"/articles/{article['id']}"), timeout=10).json()["annotation_count"] == 1

    deleted = amira.delete(live.url + location, timeout=10, headers={"If-Match": edited.headers["ETag"]})
    assert deleted.status_code == 204, deleted.text
    gone = amira.get(live.url + location, timeout=10)
    assert gone.status_code == 404
    assert gone.headers["Content-Type"] == PROBLEM_JSON
    assert live.http.get(live.api(f"/articles/{article['id']}"), timeout=10).json()["annotation_count"] == 0

    # A soft delete: the editor still sees it and can undo it, and the history says who did what.
    assert live.http.get(live.url + location, timeout=10).json()["deleted_at"] is not None
    restored = live.http.post(live.url + location + "/restore", timeout=10)
    assert restored.status_code == 200, restored.text
    assert amira.get(live.url + location, timeout=10).json()["verdict"] == "accurate"
    history = amira.get(live.url + location + "/history", timeout=10).json()
    assert [(e["action"], e["username"]) for e in history] == [
        ("create", amira.username), ("update", amira.username), ("delete", amira.username),
        ("restore", live.http.username)]


def test_anonymous_callers_get_401_except_for_health(live):
    articles = requests.get(live.api("/articles"), timeout=10)
    assert articles.status_code == 401
    assert articles.headers["Content-Type"] == PROBLEM_JSON
    assert articles.json()["status"] == 401 and articles.json()["detail"]
    assert articles.headers["WWW-Authenticate"].startswith("Bearer")
    assert requests.post(live.api("/articles"), json={"body": "Nobody may store this."},
                         timeout=10).status_code == 401
    wrong = requests.get(live.api("/articles"), headers={"Authorization": "Bearer cd_not-a-real-token"},
                         timeout=10)
    assert wrong.status_code == 401 and wrong.headers["Content-Type"] == PROBLEM_JSON
    assert requests.get(live.api("/health"), timeout=10).status_code == 200
    assert live.http.get(live.api("/articles"), timeout=10).status_code == 200


def test_a_reviewer_cannot_edit_another_reviewers_annotation(live):
    first, second = live.caller(Role.REVIEWER, "first"), live.caller(Role.REVIEWER, "second")
    claim = annotated_claim(live, "The mayor said 14 libraries would close. Staff were told on Monday.")
    created = first.post(live.api(f"/claims/{claim['id']}/annotations"), json={"note": "Check the list."},
                         timeout=10)
    assert created.status_code == 201, created.text
    location, etag = live.url + created.headers["Location"], created.headers["ETag"]

    refused = second.patch(location, json={"note": "Overwritten."}, headers={"If-Match": etag}, timeout=10)
    assert refused.status_code == 403, refused.text
    assert refused.headers["Content-Type"] == PROBLEM_JSON
    assert second.delete(location, headers={"If-Match": etag}, timeout=10).status_code == 403
    assert second.get(location, timeout=10).json()["note"] == "Check the list."
    # The owner still can.
    mine = first.patch(location, json={"note": "Mine."}, headers={"If-Match": etag}, timeout=10)
    assert mine.status_code == 200, mine.text


def test_a_stale_if_match_is_412_with_the_current_version(live):
    reviewer = live.caller(Role.REVIEWER)
    claim = annotated_claim(live, "The port handled 2 million containers last year. Unions disputed it.")
    created = reviewer.post(live.api(f"/claims/{claim['id']}/annotations"), timeout=10,
                            json={"verdict": "accurate", "note": "First look."})
    assert created.status_code == 201, created.text
    location, first_etag = live.url + created.headers["Location"], created.headers["ETag"]

    missing = reviewer.patch(location, json={"note": "No If-Match."}, timeout=10)
    assert missing.status_code == 428 and missing.headers["Content-Type"] == PROBLEM_JSON

    # The editor changes it first; the reviewer's edit, based on what they read before, is refused.
    editor = live.http.patch(location, json={"verdict": "misleading"}, headers={"If-Match": first_etag},
                             timeout=10)
    assert editor.status_code == 200, editor.text
    stale = reviewer.patch(location, json={"note": "Second look."}, headers={"If-Match": first_etag},
                           timeout=10)
    assert stale.status_code == 412, stale.text
    assert stale.headers["Content-Type"] == PROBLEM_JSON
    assert stale.json()["current"] == editor.json()
    assert stale.headers["ETag"] == editor.headers["ETag"]
    assert reviewer.delete(location, headers={"If-Match": first_etag}, timeout=10).status_code == 412
    current = reviewer.get(location, timeout=10)
    assert (current.json()["verdict"], current.json()["note"]) == ("misleading", "First look.")
    retried = reviewer.patch(location, json={"note": "Second look."}, timeout=10,
                             headers={"If-Match": current.headers["ETag"]})
    assert retried.status_code == 200 and retried.json()["verdict"] == "misleading"


def test_html_article_is_extracted_and_flagged(live):
    html = (EXAMPLES / "transit-ridership.html").read_text(encoding="utf-8")
    response = post_article(live, {"html": html, "url": "https://ledger.example/transit"})
    assert response.status_code in (200, 202), response.text
    article = live.wait_for_status(response.json()["id"])
    assert article["status"] == "flagged"
    assert article["title"].startswith("Transit ridership climbs back")
    assert "Most read" not in article["body"] and "All rights reserved" not in article["body"]
    assert "410,000 passengers" in article["body"]


def test_posting_the_same_article_twice_returns_the_stored_one(live):
    payload = {"title": "Harbour dredging", "body": "The port said dredging would cost $4 million. "
               "Work starts in spring.", "external_id": None}
    first = post_article(live, payload)
    second = post_article(live, payload)
    assert first.status_code in (200, 202) and second.status_code == 200
    assert second.json()["id"] == first.json()["id"]


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def test_seed_article_pasted_as_text(live, shared_dir):
    raw = (shared_dir / SEED).read_text(encoding="utf-8")
    gold = json.loads((shared_dir / "eval" / "seed.gold.json").read_text(encoding="utf-8"))
    response = post_article(live, {"body": raw, "outlet": "seed"})
    assert response.status_code in (200, 202), response.text
    article = live.wait_for_status(response.json()["id"])
    assert article["status"] == "flagged", article["status_reason"]
    claims = [c["text"] for c in article["claims"]]

    junk = re.compile(r"^\s*(•|Advert$|Home>|Published |Topics:|Featured Image Credit|Facebook$|Sky News$)")
    for text in claims:
        assert not junk.search(text), f"page furniture became a claim: {text!r}"
        assert "Dominic Smithers is" not in text, "the author bio became a claim"
        assert "Medvedchuk Captured" not in text, "a related story became a claim"
        assert "click here" not in text, "the donation line became a claim"
    # Every body paragraph survives, sentence by sentence, in order.
    joined = " ".join(claims)
    for paragraph in _paragraphs(gold["text"]):
        assert " ".join(paragraph.split()) in joined, f"paragraph lost: {paragraph[:60]!r}"
    assert article["claims"][0]["role"] == "headline"

    kinds = {f["kind"] for c in article["claims"] for f in c["flags"]}
    assert kinds == {"quote", "number", "sourcing"}
