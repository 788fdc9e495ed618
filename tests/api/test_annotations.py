"""Annotations on claims through the HTTP interface: verdicts, notes, evidence, selectors, edits, deletes."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, post_article

CLAIM_TEXT = "About 60 servicemen died in the attack on the base."


@pytest.fixture
def claim(client) -> dict:
    return post_article(client, CLAIM_TEXT)["claims"][0]


def annotate(client, claim: dict, **fields):
    return client.post(f"/api/v1/claims/{claim['id']}/annotations", json={"reviewer": "ana", **fields})


def test_create_returns_201_with_location_and_reads_back(client, claim):
    evidence = [{"url": "https://gov.example/report", "title": "The report"},
                {"url": "http://archive.example/x"}]
    response = annotate(client, claim, verdict="misleading", note="The count was 40.", evidence=evidence)
    assert response.status_code == 201
    annotation = response.get_json()
    assert response.headers["Location"] == f"/api/v1/annotations/{annotation['id']}"
    assert annotation["claim_id"] == claim["id"]
    assert annotation["reviewer"] == "ana"
    assert annotation["verdict"] == "misleading"
    assert annotation["note"] == "The count was 40."
    assert annotation["evidence"] == [evidence[0], {"url": "http://archive.example/x", "title": None}]
    assert annotation["selector"] is None
    assert client.get(response.headers["Location"]).get_json() == annotation
    assert client.get(f"/api/v1/claims/{claim['id']}/annotations").get_json() == [annotation]


def test_verdict_must_come_from_the_scale(client, claim):
    scale = client.get("/api/v1/verdicts").get_json()["verdicts"]
    assert "accurate" in scale
    assert annotate(client, claim, verdict=scale[-1]).status_code == 201
    problem = assert_problem(annotate(client, claim, verdict="pants-on-fire"), 422)
    assert list(problem["errors"]["json"]) == ["verdict"]


def test_a_custom_verdict_scale(make_app):
    client = make_app({"CLAIMDESK_VERDICTS": "true, false ,half-true"}).test_client()
    assert client.get("/api/v1/verdicts").get_json() == {"verdicts": ["true", "false", "half-true"]}
    claim = post_article(client, CLAIM_TEXT)["claims"][0]
    assert annotate(client, claim, verdict="half-true").status_code == 201
    assert_problem(annotate(client, claim, verdict="accurate"), 422)


def test_an_annotation_needs_some_content(client, claim):
    for fields in ({}, {"note": ""}, {"evidence": []}, {"verdict": None, "note": None}):
        problem = assert_problem(annotate(client, claim, **fields), 422)
        assert list(problem["errors"]) == ["verdict"]
    assert client.get(f"/api/v1/claims/{claim['id']}/annotations").get_json() == []


def test_note_length_limit(client, claim):
    assert annotate(client, claim, note="n" * 10_000).status_code == 201
    problem = assert_problem(annotate(client, claim, note="n" * 10_001), 422)
    assert list(problem["errors"]["json"]) == ["note"]


@pytest.mark.parametrize("url", ["ftp://files.example/a", "javascript:alert(1)", "file:///etc/passwd", "x"])
def test_evidence_must_be_http_links(client, claim, url):
    problem = assert_problem(annotate(client, claim, evidence=[{"url": url}]), 422)
    assert problem["errors"] == {"json": {"evidence": {"0": {"url": ["Not a valid URL."]}}}}


def test_at_most_fifty_evidence_links(client, claim):
    links = [{"url": f"https://source.example/{n}"} for n in range(51)]
    assert annotate(client, claim, evidence=links[:50]).status_code == 201
    problem = assert_problem(annotate(client, claim, evidence=links), 422)
    assert list(problem["errors"]["json"]) == ["evidence"]


def test_selector_inside_the_claim_gets_its_quote_context(client, claim):
    start, end = CLAIM_TEXT.index("60"), CLAIM_TEXT.index("60") + len("60 servicemen")
    response = annotate(client, claim, verdict="inaccurate", selector={"start": start, "end": end,
                                                                        "exact": "60 servicemen"})
    assert response.status_code == 201
    assert response.get_json()["selector"] == {
        "start": start, "end": end, "exact": "60 servicemen",
        "prefix": CLAIM_TEXT[:start][-32:], "suffix": CLAIM_TEXT[end:][:32],
    }
    without_exact = annotate(client, claim, verdict="inaccurate", selector={"start": 0, "end": 5})
    assert without_exact.get_json()["selector"]["exact"] == CLAIM_TEXT[:5]


@pytest.mark.parametrize("selector", [
    {"start": 0, "end": len(CLAIM_TEXT) + 1},
    {"start": len(CLAIM_TEXT), "end": len(CLAIM_TEXT) + 3},
    {"start": -1, "end": 3},
    {"start": 5, "end": 5},
    {"start": 5},
])
def test_selector_outside_the_claim_is_422(client, claim, selector):
    problem = assert_problem(annotate(client, claim, verdict="accurate", selector=selector), 422)
    assert "selector" in (problem["errors"].get("json") or problem["errors"])


def test_selector_whose_exact_text_differs_is_422(client, claim):
    problem = assert_problem(annotate(client, claim, verdict="accurate",
                                      selector={"start": 0, "end": 5, "exact": "Hello"}), 422)
    assert problem["errors"] == {"selector": {"exact": [f"The claim reads {CLAIM_TEXT[:5]!r} there."]}}


def test_patch_changes_only_what_it_sends(client, claim):
    created = annotate(client, claim, verdict="accurate", note="first look",
                       evidence=[{"url": "https://a.example/"}]).get_json()
    response = client.patch(f"/api/v1/annotations/{created['id']}", json={"note": "second look"})
    assert response.status_code == 200
    patched = response.get_json()
    assert patched["note"] == "second look"
    assert {k: patched[k] for k in ("verdict", "evidence", "reviewer", "selector")} == \
        {k: created[k] for k in ("verdict", "evidence", "reviewer", "selector")}
    moved = client.patch(f"/api/v1/annotations/{created['id']}", json={"selector": {"start": 0, "end": 5}})
    assert moved.get_json()["selector"]["exact"] == CLAIM_TEXT[:5]
    assert client.get(f"/api/v1/annotations/{created['id']}").get_json() == moved.get_json()


def test_patch_that_leaves_nothing_is_422_and_changes_nothing(client, claim):
    created = annotate(client, claim, verdict="accurate", note="first look").get_json()
    url = f"/api/v1/annotations/{created['id']}"
    assert_problem(client.patch(url, json={"verdict": None, "note": None}), 422)
    assert_problem(client.patch(url, json={"verdict": None, "note": "", "evidence": []}), 422)
    assert client.get(url).get_json() == created


@pytest.mark.parametrize("changes, field", [({"reviewer": "bob"}, "reviewer"),
                                            ({"verdict": "nope"}, "verdict"), ({"note": "a\x00b"}, "note")])
def test_patch_validates_like_create(client, claim, changes, field):
    created = annotate(client, claim, verdict="accurate").get_json()
    problem = assert_problem(client.patch(f"/api/v1/annotations/{created['id']}", json=changes), 422)
    assert list(problem["errors"]["json"]) == [field]


def test_patch_selector_is_checked_against_the_claim(client, claim):
    created = annotate(client, claim, verdict="accurate").get_json()
    url = f"/api/v1/annotations/{created['id']}"
    assert_problem(client.patch(url, json={"selector": {"start": 0, "end": 5, "exact": "wrong"}}), 422)
    assert client.get(url).get_json()["selector"] is None


def test_delete_then_404(client, claim):
    created = annotate(client, claim, verdict="accurate")
    location = created.headers["Location"]
    response = client.delete(location)
    assert response.status_code == 204 and response.get_data() == b""
    assert_problem(client.get(location), 404)
    assert_problem(client.delete(location), 404)
    assert_problem(client.patch(location, json={"note": "x"}), 404)
    assert client.get(f"/api/v1/claims/{claim['id']}/annotations").get_json() == []


def test_annotating_a_missing_claim_is_404(client):
    problem = assert_problem(client.post("/api/v1/claims/424242/annotations",
                                         json={"reviewer": "ana", "verdict": "accurate"}), 404)
    assert problem["detail"] == "There is no claim 424242."
