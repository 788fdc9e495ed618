"""The desk and the API refuse the same things: a browser logged in on the desk and an API token of the
same user get the same answers, since both ask service.domain.access through the same services."""
from __future__ import annotations

import re

import pytest

from service.domain.access import ROLE_SCOPES, Role
from service.services import accounts
from service.storage.accounts import User
from tests.web.conftest import PASSWORD_HASH, csrf_of, log_in
from tests.web.test_views import BODY, WORDS

API = "/api/v1"


@pytest.fixture
def as_desk_and_token(app, session):
    """For a username: (a desk-logged-in browser's request, an API token's request), each taking
    (method, path, json) and returning the response."""

    def pair(username: str):
        user = session.query(User).filter_by(username=username).one()
        _, secret = accounts.create_token(session, user, "desk-vs-api", sorted(ROLE_SCOPES[user.role]), None)
        browser = app.test_client()
        assert log_in(browser, username).status_code == 302

        def desk(method, path, json=None, headers=None):
            return browser.open(path, method=method, json=json,
                                headers={"X-CSRF-Token": csrf_of(browser), **(headers or {})})

        def token(method, path, json=None, headers=None):
            return app.test_client().open(path, method=method, json=json,
                                          headers={"Authorization": f"Bearer {secret}", **(headers or {})})

        return desk, token

    return pair


def _claim(browser_get, article_id: int) -> int:
    html = browser_get(f"/articles/{article_id}").get_data(as_text=True)
    return int(re.search(r'data-claim="(\d+)"', html).group(1))


@pytest.mark.parametrize("change", [{"disabled": True}, {"role": "reviewer"}])
def test_an_admin_cannot_demote_themself_from_the_desk_or_the_api(app, session, as_desk_and_token, change):
    session.add(User(username="ada", password_hash=PASSWORD_HASH, role=Role.ADMIN))
    session.commit()
    ada = session.query(User).filter_by(username="ada").one().id
    for call in as_desk_and_token("ada"):
        response = call("PATCH", f"{API}/users/{ada}", change)
        assert response.status_code == 409, response.get_json()
        assert response.content_type == "application/problem+json"
        assert "themselves" in response.get_json()["detail"]
        assert call("GET", f"{API}/auth/me").get_json()["role"] == "admin"


def test_a_deleted_annotation_leaves_no_history_for_a_reviewer_on_the_desk_or_the_api(
        app, browser, add_article, as_desk_and_token):
    claim = _claim(browser.get, add_article(BODY, words=WORDS))
    desk, token = as_desk_and_token("rita")
    kept = desk("POST", f"{API}/claims/{claim}/annotations", {"verdict": "accurate"}).get_json()["id"]
    gone = desk("POST", f"{API}/claims/{claim}/annotations", {"note": "oops"})
    assert desk("DELETE", f"{API}/annotations/{gone.get_json()['id']}",
                headers={"If-Match": gone.headers["ETag"]}).status_code == 204
    gone = gone.get_json()["id"]

    def seen(call) -> set[int]:
        history = call("GET", f"{API}/claims/{claim}/history").get_json()
        return {e["entity_id"] for e in history if e["entity"] == "annotation"}

    assert seen(desk) == seen(token) == {kept}
    for call in (desk, token):
        assert call("GET", f"{API}/annotations/{gone}/history").status_code == 404
    editor_desk, editor_token = as_desk_and_token("eddie")
    assert seen(editor_desk) == seen(editor_token) == {kept, gone}


def test_a_reviewer_cannot_set_a_review_status_from_the_desk_or_the_api(browser, add_article,
                                                                        as_desk_and_token):
    article_id = add_article(BODY, words=WORDS)
    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    assert '<form id="review-form"' not in html  # the desk offers no form to a reviewer
    for call in as_desk_and_token("rita"):
        etag = call("GET", f"{API}/articles/{article_id}").headers["ETag"]
        response = call("PUT", f"{API}/articles/{article_id}/review-status", {"status": "approved"},
                        headers={"If-Match": etag})
        assert response.status_code == 403
