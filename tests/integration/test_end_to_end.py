"""The whole path over real HTTP and a real worker: submit, get flagged, annotate, edit, delete."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = "seed/000_f7a6ae565c320a86.txt"


def post_article(live, payload: dict) -> requests.Response:
    return requests.post(live.api("/articles"), json=payload, timeout=30)


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

    flags = requests.get(live.api("/flags"), params={"article": article["id"], "kind": "number"}, timeout=10)
    assert flags.status_code == 200
    assert flags.json()["items"] and all(f["kind"] == "number" for f in flags.json()["items"])

    claim = next(c for c in flagged["claims"] if c["flags"])
    created = requests.post(live.api(f"/claims/{claim['id']}/annotations"), timeout=10, json={
        "reviewer": "amira", "verdict": "needs-context", "note": "Grant figures differ by source.",
        "evidence": [{"url": "https://example.org/budget-papers", "title": "Budget papers"}],
        "selector": {"start": 0, "end": 10}})
    assert created.status_code == 201, created.text
    annotation = created.json()
    assert annotation["selector"]["exact"] == claim["text"][:10]
    location = created.headers["Location"]

    edited = requests.patch(live.url + location, json={"verdict": "accurate"}, timeout=10)
    assert edited.status_code == 200, edited.text
    assert edited.json()["verdict"] == "accurate"
    assert edited.json()["note"] == "Grant figures differ by source."

    detail = requests.get(live.api(f"/claims/{claim['id']}"), timeout=10).json()
    assert [a["verdict"] for a in detail["annotations"]] == ["accurate"]
    assert requests.get(live.api(f"/articles/{article['id']}"), timeout=10).json()["annotation_count"] == 1

    assert requests.delete(live.url + location, timeout=10).status_code == 204
    gone = requests.get(live.url + location, timeout=10)
    assert gone.status_code == 404
    assert gone.headers["Content-Type"] == "application/problem+json"


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
