"""Every error the API gives is application/problem+json with type, title, status and detail."""
from __future__ import annotations

import base64
import json

import pytest

from service.domain.access import Role
from service.storage.webhooks import Webhook
from tests.api.conftest import BODY, PASSWORD, assert_problem, bearer_client, post_article, signed_in


@pytest.mark.parametrize("path", [
    "/api/v1/articles/99999999999", "/api/v1/articles/99999999999/claims", "/api/v1/claims/99999999999",
    "/api/v1/annotations/99999999999", "/api/v1/claims/99999999999/annotations", "/api/v1/articles/-1",
    "/api/v1/articles/abc", "/api/v1/no-such-thing", "/api/v2/articles",
])
def test_unknown_urls_are_404_problems(client, path):
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize("path", ["/api/v1/articles/1", "/api/v1/claims/1", "/api/v1/annotations/1"])
def test_missing_rows_are_404_problems_saying_which(client, path):
    problem = assert_problem(client.get(path), 404)
    assert problem["title"] == "Not found"
    assert problem["detail"].startswith("There is no ") and problem["detail"].endswith(" 1.")


@pytest.mark.parametrize("method, path", [("put", "/api/v1/articles"), ("delete", "/api/v1/flags"),
                                          ("post", "/api/v1/health"), ("patch", "/api/v1/claims/1")])
def test_wrong_method_is_405_problem(client, method, path):
    assert_problem(getattr(client, method)(path), 405)


@pytest.mark.parametrize("raw", ["[1, 2]", '"just a string"', "null", "42"])
def test_json_that_is_not_an_object_is_422(client, raw):
    problem = assert_problem(client.post("/api/v1/articles", data=raw, content_type="application/json"), 422)
    assert problem["detail"] == "Invalid input type."


@pytest.mark.parametrize("raw", [
    '{"verdict": "accurate", "selector": {"start": NaN, "end": 3}}',
    '{"verdict": "accurate", "selector": {"start": 0, "end": 1e400}}',
    '{"verdict": "accurate", "selector": {"start": Infinity, "end": 3}}',
    '{"note": "a\\ud83d", "verdict": "accurate"}',
    '{"\\ud800": 1, "verdict": "accurate"}',
])
def test_odd_json_values_are_422_not_500(client, raw):
    claim_id = post_article(client)["claims"][0]["id"]
    assert_problem(client.post(f"/api/v1/claims/{claim_id}/annotations", data=raw,
                               content_type="application/json"), 422)
    assert client.get(f"/api/v1/claims/{claim_id}/annotations").get_json() == []


def test_an_unexpected_failure_is_a_500_problem_without_a_trace(app, client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("service.api.system.package_version", explode)
    problem = assert_problem(client.get("/api/v1/version"), 500)
    assert "secret internals" not in problem["detail"] and "Traceback" not in problem["detail"]


def test_database_that_went_away_is_a_503_problem(make_app, tmp_path):
    app = make_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing-dir/x.db"}, migrate=False)
    # Checking the token is the first thing that needs the database: that fails as a 503 too, not a 401.
    client = bearer_client(app, "cd_" + "x" * 43)
    response = client.get("/api/v1/articles")
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == "5"


# Valid ISO 8601, but outside the calendar once converted to UTC (year 10000, year 0).
OUT_OF_RANGE_IN_UTC = ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"]
OUT_OF_RANGE = "Out of range: in UTC it falls before 0001-01-01 or after 9999-12-31."


@pytest.mark.both_backends
def test_a_date_time_out_of_range_in_utc_is_a_problem_naming_the_field(make_app):
    app = make_app()
    editor, admin = signed_in(app), signed_in(app, "ada", Role.ADMIN)
    for moment in OUT_OF_RANGE_IN_UTC:
        for field, response in [
            ("published_at", editor.post("/api/v1/articles", json={"body": BODY, "published_at": moment})),
            ("published_from", editor.get("/api/v1/articles", query_string={"published_from": moment})),
            ("published_to", editor.get("/api/v1/articles", query_string={"published_to": moment})),
            ("published_from", editor.post("/api/v1/reflag", json={"published_from": moment})),
            ("published_to", editor.post("/api/v1/reflag", json={"published_to": moment})),
            ("since", editor.get("/api/v1/exports", query_string={"format": "csv", "since": moment})),
            ("until", editor.get("/api/v1/exports", query_string={"format": "csv", "until": moment})),
            ("expires_at", admin.post("/api/v1/tokens", json={"name": "cms", "scopes": ["read"],
                                                              "expires_at": moment})),
        ]:
            problem = assert_problem(response, 422)
            assert problem["detail"] == f"{field}: {OUT_OF_RANGE}", (field, moment)
    assert editor.get("/api/v1/articles").get_json()["items"] == []
    # The edges of the calendar themselves are fine.
    article = post_article(editor, published_at="9999-12-31T23:59:59Z")
    assert article["published_at"] == "9999-12-31T23:59:59+00:00"
    assert editor.get("/api/v1/articles", query_string={"published_from": "0001-01-01T00:00:00Z"}
                      ).get_json()["items"][0]["id"] == article["id"]


def cursor_at(article_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{article_id}".encode()).decode().rstrip("=")


@pytest.mark.both_backends
def test_ids_past_the_id_columns_are_not_found_and_such_cursors_are_invalid(make_app, session):
    app = make_app()
    editor, admin = signed_in(app), signed_in(app, "ada", Role.ADMIN)
    article = post_article(editor)
    webhook = Webhook(url="https://example.org/hook", secret="s" * 32, events=["article.flagged"])
    session.add(webhook)
    session.commit()
    too_big = [2**31, 99999999999, 2**63 - 1]
    for n in too_big:
        for path in [f"/articles/{n}", f"/articles/{n}/claims", f"/articles/{n}/export?format=csv",
                     f"/claims/{n}", f"/claims/{n}/annotations", f"/claims/{n}/history", f"/annotations/{n}",
                     f"/annotations/{n}/history", f"/batches/{n}", f"/webhooks/{n}", f"/users/{n}",
                     f"/tokens/{n}"]:
            assert_problem(admin.get("/api/v1" + path), 404)
        assert_problem(editor.delete(f"/api/v1/articles/{n}"), 404)
        assert_problem(editor.post(f"/api/v1/batches/{n}/cancel"), 404)
        for path in ["/articles", "/batches", "/flags", f"/webhooks/{webhook.id}/deliveries"]:
            problem = assert_problem(admin.get("/api/v1" + path, query_string={"cursor": cursor_at(n)}), 422)
            assert problem["errors"] == {"cursor": ["Invalid cursor."]}
        for path, args in [("/flags", {"article": n}), ("/exports", {"format": "csv", "batch": n}),
                           ("/tokens", {"user_id": n})]:
            problem = assert_problem(admin.get("/api/v1" + path, query_string=args), 422)
            assert set(problem["errors"]["query"]) == set(args) - {"format"}
    # The largest id a column holds is a cursor like any other.
    page = editor.get("/api/v1/articles", query_string={"cursor": cursor_at(2**31 - 1)}).get_json()
    assert [a["id"] for a in page["items"]] == [article["id"]]


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/v1/auth/login", {"username": "ada", "password": "\ud800"}),
    ("put", "/api/v1/auth/password", {"current_password": "\ud800", "new_password": "x" * 12}),
    ("put", "/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "\udfff" * 12}),
    ("post", "/api/v1/users", {"username": "zed", "password": "\ud800" * 12, "role": "reviewer"}),
])
def test_a_lone_surrogate_in_a_password_is_a_problem_naming_the_field(client_as, method, path, body):
    admin = client_as("ada")
    # json.dumps writes a lone surrogate as the escape "\ud800", exactly what a client can send.
    response = getattr(admin, method)(path, data=json.dumps(body), content_type="application/json")
    problem = assert_problem(response, 422)
    field = next(k for k, v in body.items() if "\ud800" in v or "\udfff" in v)
    assert problem["errors"]["json"] == {field: ["Not valid Unicode text (it contains a lone surrogate)."]}
    assert admin.get("/api/v1/auth/me").status_code == 200
