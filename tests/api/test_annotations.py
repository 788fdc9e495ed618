"""Annotations on claims through the HTTP interface: verdicts, notes, evidence, selectors, edits, deletes."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from service.services import annotations as annotations_service
from service.storage.models import Annotation
from tests.api.conftest import assert_problem, post_article, signed_in

CLAIM_TEXT = "About 60 servicemen died in the attack on the base."


@pytest.fixture
def claim(client) -> dict:
    return post_article(client, CLAIM_TEXT)["claims"][0]


def annotate(client, claim: dict, **fields):
    return client.post(f"/api/v1/claims/{claim['id']}/annotations", json=fields)


def patch(client, url: str, changes: dict, etag: str | None = None):
    """PATCH with If-Match: the ETag given, or the one a fresh GET returns."""
    return client.patch(url, json=changes, headers={"If-Match": etag or client.get(url).headers["ETag"]})


def test_create_returns_201_with_location_and_reads_back(client_as, claim):
    rita = client_as("rita")
    evidence = [{"url": "https://gov.example/report", "title": "The report"},
                {"url": "http://archive.example/x"}]
    response = annotate(rita, claim, verdict="misleading", note="The count was 40.", evidence=evidence)
    assert response.status_code == 201
    annotation = response.get_json()
    assert response.headers["Location"] == f"/api/v1/annotations/{annotation['id']}"
    assert response.headers["ETag"] == f'"a{annotation["id"]}.1"'
    assert annotation["claim_id"] == claim["id"]
    # The reviewer is whoever is calling.
    assert annotation["reviewer"] == "rita"
    assert annotation["version"] == 1 and annotation["deleted_at"] is None
    assert annotation["verdict"] == "misleading"
    assert annotation["note"] == "The count was 40."
    assert annotation["evidence"] == [evidence[0], {"url": "http://archive.example/x", "title": None}]
    assert annotation["selector"] is None
    read = rita.get(response.headers["Location"])
    assert read.get_json() == annotation and read.headers["ETag"] == response.headers["ETag"]
    assert rita.get(f"/api/v1/claims/{claim['id']}/annotations").get_json() == [annotation]


def test_the_reviewer_cannot_be_named_in_the_payload(client_as, claim):
    rob = client_as("rob")
    problem = assert_problem(annotate(rob, claim, reviewer="rita", verdict="accurate"), 422)
    assert problem["errors"] == {"json": {"reviewer": ["Unknown field."]}}
    assert rob.get(f"/api/v1/claims/{claim['id']}/annotations").get_json() == []
    assert annotate(rob, claim, verdict="accurate").get_json()["reviewer"] == "rob"


def test_verdict_must_come_from_the_scale(client, claim):
    scale = client.get("/api/v1/verdicts").get_json()["verdicts"]
    assert "accurate" in scale
    assert annotate(client, claim, verdict=scale[-1]).status_code == 201
    problem = assert_problem(annotate(client, claim, verdict="pants-on-fire"), 422)
    assert list(problem["errors"]["json"]) == ["verdict"]


def test_a_custom_verdict_scale(make_app):
    client = signed_in(make_app({"CLAIMDESK_VERDICTS": "true, false ,half-true"}))
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
    response = annotate(client, claim, verdict="accurate", note="first look",
                        evidence=[{"url": "https://a.example/"}])
    created, url = response.get_json(), response.headers["Location"]
    response = patch(client, url, {"note": "second look"}, response.headers["ETag"])
    assert response.status_code == 200
    patched = response.get_json()
    assert patched["note"] == "second look"
    assert {k: patched[k] for k in ("verdict", "evidence", "reviewer", "selector")} == \
        {k: created[k] for k in ("verdict", "evidence", "reviewer", "selector")}
    assert patched["version"] == 2 and response.headers["ETag"] == f'"a{created["id"]}.2"'
    moved = patch(client, url, {"selector": {"start": 0, "end": 5}}, response.headers["ETag"])
    assert moved.status_code == 200
    assert moved.get_json()["selector"]["exact"] == CLAIM_TEXT[:5]
    assert client.get(url).get_json() == moved.get_json()


def test_patch_that_leaves_nothing_is_422_and_changes_nothing(client, claim):
    created = annotate(client, claim, verdict="accurate", note="first look").get_json()
    url = f"/api/v1/annotations/{created['id']}"
    assert_problem(patch(client, url, {"verdict": None, "note": None}), 422)
    assert_problem(patch(client, url, {"verdict": None, "note": "", "evidence": []}), 422)
    assert client.get(url).get_json() == created


@pytest.mark.parametrize("changes, field", [({"reviewer": "bob"}, "reviewer"),
                                            ({"verdict": "nope"}, "verdict"), ({"note": "a\x00b"}, "note")])
def test_patch_validates_like_create(client, claim, changes, field):
    created = annotate(client, claim, verdict="accurate").get_json()
    url = f"/api/v1/annotations/{created['id']}"
    problem = assert_problem(patch(client, url, changes), 422)
    assert list(problem["errors"]["json"]) == [field]
    assert client.get(url).get_json() == created


def test_patch_selector_is_checked_against_the_claim(client, claim):
    created = annotate(client, claim, verdict="accurate").get_json()
    url = f"/api/v1/annotations/{created['id']}"
    assert_problem(patch(client, url, {"selector": {"start": 0, "end": 5, "exact": "wrong"}}), 422)
    assert client.get(url).get_json() == created


def test_delete_then_404_for_reviewers(client_as, claim):
    rita = client_as("rita")
    created = annotate(rita, claim, verdict="accurate")
    location, etag = created.headers["Location"], created.headers["ETag"]
    response = rita.delete(location, headers={"If-Match": etag})
    assert response.status_code == 204 and response.get_data() == b""
    for reviewer in (rita, client_as("rob")):
        assert_problem(reviewer.get(location), 404)
        assert_problem(reviewer.get(f"{location}/history"), 404)
        assert_problem(reviewer.delete(location, headers={"If-Match": etag}), 404)
        assert_problem(reviewer.patch(location, json={"note": "x"}, headers={"If-Match": etag}), 404)
        assert reviewer.get(f"/api/v1/claims/{claim['id']}/annotations").get_json() == []
        assert reviewer.get(f"/api/v1/claims/{claim['id']}").get_json()["annotations"] == []


def test_a_delete_is_soft_editors_see_it_and_can_restore_it(client, client_as, claim):
    rita = client_as("rita")
    created = annotate(rita, claim, verdict="accurate", note="mine")
    location = created.headers["Location"]
    assert rita.delete(location, headers={"If-Match": created.headers["ETag"]}).status_code == 204

    deleted = client.get(location)
    assert deleted.status_code == 200
    assert deleted.get_json()["deleted_at"] is not None
    assert [a["id"] for a in client.get(f"/api/v1/claims/{claim['id']}/annotations").get_json()] == \
        [created.get_json()["id"]]
    problem = assert_problem(patch(client, location, {"note": "edited"}, deleted.headers["ETag"]), 422)
    assert "restore" in problem["detail"]
    assert_problem(rita.post(f"{location}/restore"), 404)

    restored = client.post(f"{location}/restore")
    assert restored.status_code == 200
    assert restored.get_json()["deleted_at"] is None
    assert {k: restored.get_json()[k] for k in ("verdict", "note", "reviewer")} == \
        {"verdict": "accurate", "note": "mine", "reviewer": "rita"}
    assert rita.get(location).get_json() == restored.get_json()
    assert_problem(client.post(f"{location}/restore"), 422)


def test_edits_need_the_current_etag_in_if_match(client, claim):
    created = annotate(client, claim, verdict="accurate", note="first look")
    location, first_etag = created.headers["Location"], created.headers["ETag"]

    missing = assert_problem(client.patch(location, json={"note": "x"}), 428)
    assert "If-Match" in missing["detail"]
    assert_problem(client.delete(location), 428)
    assert client.get(location).get_json() == created.get_json()

    assert patch(client, location, {"note": "second look"}, first_etag).status_code == 200
    current = client.get(location)
    stale = assert_problem(patch(client, location, {"note": "overwrite"}, first_etag), 412)
    assert stale["current"] == current.get_json()
    assert stale["current"]["note"] == "second look"
    assert_problem(client.delete(location, headers={"If-Match": first_etag}), 412)
    assert client.get(location).get_json() == current.get_json()
    assert patch(client, location, {"note": "third look"}, current.headers["ETag"]).status_code == 200


def test_history_records_who_changed_what(client, client_as, claim):
    rita = client_as("rita")
    created = annotate(rita, claim, verdict="accurate", note="first")
    location = created.headers["Location"]
    edited = patch(client, location, {"note": "second"}, created.headers["ETag"])
    assert client.delete(location, headers={"If-Match": edited.headers["ETag"]}).status_code == 204
    assert client.post(f"{location}/restore").status_code == 200

    entries = client.get(f"{location}/history").get_json()
    assert [(e["action"], e["username"]) for e in entries] == \
        [("create", "rita"), ("update", "eddie"), ("delete", "eddie"), ("restore", "eddie")]
    assert entries[0]["before"] is None and entries[0]["after"]["note"] == "first"
    assert (entries[1]["before"]["note"], entries[1]["after"]["note"]) == ("first", "second")
    assert (entries[2]["before"]["deleted"], entries[2]["after"]["deleted"]) == (False, True)
    assert client.get(f"/api/v1/claims/{claim['id']}/history").get_json() == entries


def test_annotating_a_missing_claim_is_404(client):
    problem = assert_problem(client.post("/api/v1/claims/424242/annotations",
                                         json={"verdict": "accurate"}), 404)
    assert problem["detail"] == "There is no claim 424242."


def test_a_patch_that_changes_nothing_writes_nothing_but_still_checks_the_version(client, claim):
    same = {"verdict": "accurate", "note": "first look", "selector": {"start": 0, "end": 5},
            "evidence": [{"url": "https://a.example/", "title": "A"}]}
    created = annotate(client, claim, **same)
    location, etag = created.headers["Location"], created.headers["ETag"]
    for changes in (same, {"note": "first look"}, {}):
        unchanged = patch(client, location, changes, etag)
        assert unchanged.status_code == 200, unchanged.get_data(as_text=True)
        assert unchanged.headers["ETag"] == etag and unchanged.get_json() == created.get_json()
    assert [e["action"] for e in client.get(f"{location}/history").get_json()] == ["create"]

    edited = patch(client, location, {"note": "second look"}, etag)
    assert edited.status_code == 200
    for changes in (same | {"note": "second look"}, {"note": "second look"}, {}):
        stale = assert_problem(patch(client, location, changes, etag), 412)
        assert stale["current"] == edited.get_json()
    assert [e["action"] for e in client.get(f"{location}/history").get_json()] == ["create", "update"]
    assert client.get(location).get_json() == edited.get_json()


@pytest.fixture
def edit_lands_meanwhile(app, monkeypatch):
    """Another request's edit, committed after this request has read the annotation and before it writes."""
    database = app.extensions["claimdesk"].database
    read = annotations_service.snapshot

    def read_then_edited(annotation):
        state = read(annotation)
        monkeypatch.setattr(annotations_service, "snapshot", read)  # once
        with database.engine.begin() as connection:
            connection.execute(update(Annotation).where(Annotation.id == annotation.id).values(
                note="theirs", deleted_at=None, version=Annotation.version + 1))
        return state

    monkeypatch.setattr(annotations_service, "snapshot", read_then_edited)


@pytest.mark.parametrize("change", ["patch", "no-op patch", "delete", "restore"])
def test_an_edit_that_lands_meanwhile_makes_this_one_412(client, claim, change, request):
    created = annotate(client, claim, verdict="accurate", note="mine")
    location, etag = created.headers["Location"], created.headers["ETag"]
    if change == "restore":
        assert client.delete(location, headers={"If-Match": etag}).status_code == 204
    request.getfixturevalue("edit_lands_meanwhile")
    if_match = {"If-Match": etag}
    response = {"patch": lambda: client.patch(location, json={"note": "ours"}, headers=if_match),
                "no-op patch": lambda: client.patch(location, json={"note": "mine"}, headers=if_match),
                "delete": lambda: client.delete(location, headers=if_match),
                "restore": lambda: client.post(f"{location}/restore")}[change]()
    problem = assert_problem(response, 412)
    current = client.get(location)
    assert problem["current"] == current.get_json() and problem["current"]["note"] == "theirs"
    assert response.headers["ETag"] == current.headers["ETag"]
    actions = [e["action"] for e in client.get(f"{location}/history").get_json()]
    assert actions == (["create", "delete"] if change == "restore" else ["create"])
