"""/auth, /users and /tokens: logging in and out, managing users, and API tokens from birth to revocation."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.extensions import limiter
from service.storage.accounts import ApiToken
from tests.api.conftest import PASSWORD, assert_problem, post_article

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()


def _login(client, username: str, password: str = PASSWORD):
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


def _bearer(app, secret: str):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _user_id(admin, username: str) -> int:
    return next(u["id"] for u in admin.get(f"{API}/users").get_json() if u["username"] == username)


# Logging in and out -----------------------------------------------------------------------------------

def test_login_sets_a_session_that_reads_and_with_the_csrf_token_writes(anonymous, client, tokens):
    claim_id = post_article(client)["claims"][0]["id"]
    response = _login(anonymous, "rita")
    assert response.status_code == 200
    me = response.get_json()
    assert (me["username"], me["role"], me["scopes"], me["disabled"]) == ("rita", "reviewer",
                                                                          ["read", "write"], False)
    assert me["csrf_token"] and me["last_login_at"]
    assert "password" not in me and "password_hash" not in me
    # Reads with the cookie alone.
    assert anonymous.get(f"{API}/auth/me").get_json()["csrf_token"] == me["csrf_token"]
    assert anonymous.get(f"{API}/claims/{claim_id}").status_code == 200
    # Writes with the cookie and the CSRF token; without it, 403.
    assert_problem(anonymous.post(f"{API}/claims/{claim_id}/annotations", json={"note": "n"}), 403)
    created = anonymous.post(f"{API}/claims/{claim_id}/annotations", json={"note": "n"},
                             headers={"X-CSRF-Token": me["csrf_token"]})
    assert created.status_code == 201 and created.get_json()["reviewer"] == "rita"


def test_logout_ends_the_session(anonymous, tokens):
    csrf = _login(anonymous, "rita").get_json()["csrf_token"]
    assert anonymous.post(f"{API}/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert_problem(anonymous.get(f"{API}/auth/me"), 401)
    assert_problem(anonymous.get(f"{API}/articles"), 401)


def _copy_of_the_cookie(app, client):
    """Another client holding exactly the cookie `client` holds now, as a thief with a copy would."""
    copy = app.test_client()
    copy.set_cookie("claimdesk_session", client.get_cookie("claimdesk_session").value)
    return copy


def test_a_copy_of_the_cookie_taken_before_logout_is_refused_after_it(app, client, tokens):
    claim_id = post_article(client)["claims"][0]["id"]
    browser = app.test_client()
    csrf = _login(browser, "rita").get_json()["csrf_token"]
    copy = _copy_of_the_cookie(app, browser)
    assert copy.get(f"{API}/auth/me").get_json()["username"] == "rita", "the copy works while logged in"
    assert browser.post(f"{API}/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert_problem(copy.post(f"{API}/claims/{claim_id}/annotations", json={"note": "after logout"},
                             headers={"X-CSRF-Token": csrf}), 401)
    assert_problem(copy.get(f"{API}/auth/me"), 401)


def test_logging_out_ends_only_that_session(app, tokens):
    phone, laptop = app.test_client(), app.test_client()
    csrf = _login(phone, "rita").get_json()["csrf_token"]
    assert _login(laptop, "rita").status_code == 200
    assert phone.post(f"{API}/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert laptop.get(f"{API}/auth/me").status_code == 200


def test_usernames_are_case_insensitive_at_login(anonymous, tokens):
    assert _login(anonymous, "RITA").get_json()["username"] == "rita"


@pytest.mark.parametrize(("username", "password"), [("rita", "not her password"), ("nobody", PASSWORD),
                                                    ("rita", PASSWORD.upper())])
def test_a_wrong_username_or_password_is_401_and_sets_no_session(anonymous, tokens, username, password):
    response = _login(anonymous, username, password)
    problem = assert_problem(response, 401)
    # One answer for both, so a caller cannot tell which usernames exist.
    assert problem["detail"] == "Wrong username or password."
    with anonymous.session_transaction() as session:
        assert "sid" not in session
    assert_problem(anonymous.get(f"{API}/auth/me"), 401)


@pytest.mark.parametrize("body", [{}, {"username": "rita"}, {"password": PASSWORD},
                                  {"username": "", "password": PASSWORD},
                                  {"username": "rita", "password": ""},
                                  {"username": "rita", "password": PASSWORD, "role": "admin"}])
def test_a_malformed_login_is_422(anonymous, tokens, body):
    assert_problem(anonymous.post(f"{API}/auth/login", json=body), 422)


def test_a_token_caller_sees_its_scopes_and_no_csrf_token(client_as):
    me = client_as("ada").get(f"{API}/auth/me").get_json()
    assert me["username"] == "ada" and me["scopes"] == ["admin", "read", "write"] and me["csrf_token"] is None


# Disabling -----------------------------------------------------------------------------------------

def test_a_disabled_user_cannot_log_in_and_their_session_and_tokens_stop_working(app, client_as, tokens):
    browser = app.test_client()
    assert _login(browser, "rob").status_code == 200
    copy = _copy_of_the_cookie(app, browser)
    rob_by_token = client_as("rob")
    assert rob_by_token.get(f"{API}/articles").status_code == 200
    admin = client_as("ada")
    disabled = admin.patch(f"{API}/users/{_user_id(admin, 'rob')}", json={"disabled": True})
    assert disabled.status_code == 200 and disabled.get_json()["disabled"] is True
    assert_problem(browser.get(f"{API}/articles"), 401)
    assert_problem(rob_by_token.get(f"{API}/articles"), 401)
    assert_problem(_login(app.test_client(), "rob"), 401)
    # Enabled again, he is back (the session was ended, so he logs in anew).
    admin.patch(f"{API}/users/{_user_id(admin, 'rob')}", json={"disabled": False})
    assert rob_by_token.get(f"{API}/articles").status_code == 200
    assert_problem(browser.get(f"{API}/articles"), 401)
    assert_problem(copy.get(f"{API}/articles"), 401)
    assert _login(app.test_client(), "rob").status_code == 200


# Changing one's own password ---------------------------------------------------------------------------

NEW_PASSWORD = "a much longer and brand-new passphrase"


def test_changing_your_password_ends_your_other_sessions_but_not_this_one(app, tokens):
    here, elsewhere = app.test_client(), app.test_client()
    csrf = _login(here, "rita").get_json()["csrf_token"]
    elsewhere_csrf = _login(elsewhere, "rita").get_json()["csrf_token"]
    copy_of_elsewhere = _copy_of_the_cookie(app, elsewhere)
    changed = here.put(f"{API}/auth/password", headers={"X-CSRF-Token": csrf},
                       json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 204 and changed.get_data() == b""
    me = here.get(f"{API}/auth/me")
    assert me.status_code == 200 and me.get_json()["csrf_token"] == csrf, "same session, same CSRF token"
    assert_problem(elsewhere.get(f"{API}/auth/me"), 401)
    assert_problem(copy_of_elsewhere.put(f"{API}/auth/password", headers={"X-CSRF-Token": elsewhere_csrf},
                                         json={"current_password": NEW_PASSWORD, "new_password": PASSWORD}),
                   401)
    assert _bearer(app, tokens["rita"]).get(f"{API}/auth/me").status_code == 200, "tokens keep working"
    assert_problem(_login(app.test_client(), "rita"), 401)
    assert _login(app.test_client(), "rita", NEW_PASSWORD).status_code == 200


def test_a_password_change_needs_the_current_password_and_a_long_enough_new_one(app, client_as):
    rita = client_as("rita")
    wrong = assert_problem(rita.put(f"{API}/auth/password", json={
        "current_password": "not it", "new_password": NEW_PASSWORD}), 422)
    assert wrong["errors"] == {"current_password": ["Wrong password."]}
    short = assert_problem(rita.put(f"{API}/auth/password", json={
        "current_password": PASSWORD, "new_password": "short"}), 422)
    assert "new_password" in str(short["errors"])
    assert_problem(rita.put(f"{API}/auth/password", json={"new_password": NEW_PASSWORD}), 422)
    assert _login(app.test_client(), "rita").status_code == 200, "nothing changed"


def test_a_password_set_from_the_command_line_ends_browser_sessions(app, tokens):
    from service.services import accounts
    from service.storage.accounts import User

    browser = app.test_client()
    assert _login(browser, "rob").status_code == 200
    with app.extensions["claimdesk"].database.sessionmaker() as session:
        user = session.query(User).filter_by(username="rob").one()
        accounts.set_password(session, user, NEW_PASSWORD)  # what `claimdesk users set-password` runs
    assert_problem(browser.get(f"{API}/articles"), 401)


@pytest.mark.parametrize("change", [{"disabled": True}, {"role": "editor"}, {"role": "reviewer"}])
def test_an_admin_cannot_disable_or_demote_themself(client_as, change):
    admin = client_as("ada")
    problem = assert_problem(admin.patch(f"{API}/users/{_user_id(admin, 'ada')}", json=change), 409)
    assert "themselves" in problem["detail"]
    me = admin.get(f"{API}/auth/me").get_json()
    assert me["role"] == "admin" and me["disabled"] is False
    # Saying what is already true is no demotion.
    unchanged = admin.patch(f"{API}/users/{me['id']}", json={"role": "admin", "disabled": False})
    assert unchanged.status_code == 200


# Users ---------------------------------------------------------------------------------------------

def test_an_admin_creates_a_user_who_can_log_in(app, client_as, tokens):
    admin = client_as("ada")
    response = admin.post(f"{API}/users", json={"username": "nina", "password": "a long enough one",
                                                "role": "editor"})
    assert response.status_code == 201
    user = response.get_json()
    assert response.headers["Location"].endswith(f"/users/{user['id']}")
    assert (user["username"], user["role"], user["disabled"], user["last_login_at"]) == ("nina", "editor",
                                                                                         False, None)
    assert admin.get(response.headers["Location"]).get_json() == user
    assert _login(app.test_client(), "nina", "a long enough one").get_json()["role"] == "editor"


@pytest.mark.parametrize(("body", "field"), [
    ({"username": "nina", "password": "short", "role": "reviewer"}, "password"),
    ({"username": "nina", "password": "x" * 11, "role": "reviewer"}, "password"),
    ({"username": "nina", "password": "x" * 1001, "role": "reviewer"}, "password"),
    ({"username": "rita", "password": "a long enough one", "role": "reviewer"}, "username"),
    ({"username": "RITA", "password": "a long enough one", "role": "reviewer"}, "username"),
    ({"username": "bad name", "password": "a long enough one", "role": "reviewer"}, "username"),
    ({"username": "-dash", "password": "a long enough one", "role": "reviewer"}, "username"),
    ({"username": "nina", "password": "a long enough one", "role": "owner"}, "role"),
    ({"username": "nina", "password": "a long enough one"}, "role"),
])
def test_invalid_or_duplicate_users_are_422(client_as, body, field):
    admin = client_as("ada")
    before = admin.get(f"{API}/users").get_json()
    problem = assert_problem(admin.post(f"{API}/users", json=body), 422)
    assert field in str(problem["errors"])
    assert admin.get(f"{API}/users").get_json() == before


def test_an_admin_changes_roles_and_the_change_applies_at_once(client_as):
    admin, rita = client_as("ada"), client_as("rita")
    claim_id = post_article(rita)["claims"][0]["id"]
    etag = rita.get(f"{API}/claims/{claim_id}").headers["ETag"]
    status = {"status": "approved"}
    path = f"{API}/claims/{claim_id}/review-status"
    assert_problem(rita.put(path, json=status, headers={"If-Match": etag}), 403)
    promoted = admin.patch(f"{API}/users/{_user_id(admin, 'rita')}", json={"role": "editor"})
    assert promoted.get_json()["role"] == "editor"
    assert rita.put(path, json=status, headers={"If-Match": etag}).status_code == 200
    assert_problem(admin.patch(f"{API}/users/{_user_id(admin, 'rita')}", json={"role": "king"}), 422)


def test_users_are_admins_business(client_as):
    for name in ("rita", "eddie"):
        caller = client_as(name)
        assert_problem(caller.get(f"{API}/users"), 403)
        assert_problem(caller.post(f"{API}/users", json={"username": "x1", "password": PASSWORD,
                                                         "role": "admin"}), 403)
        assert_problem(caller.patch(f"{API}/users/1", json={"role": "admin"}), 403)
        own = caller.get(f"{API}/auth/me").get_json()["id"]
        assert caller.get(f"{API}/users/{own}").get_json()["username"] == name
        assert_problem(caller.patch(f"{API}/users/{own}", json={"role": "admin"}), 403)  # no self-promotion


def test_an_unknown_user_is_404(client_as):
    assert_problem(client_as("ada").get(f"{API}/users/999999"), 404)
    assert_problem(client_as("ada").patch(f"{API}/users/999999", json={"role": "editor"}), 404)


# Tokens --------------------------------------------------------------------------------------------

def _create_token(admin, **body):
    return admin.post(f"{API}/tokens", json={"name": "integration", "scopes": ["read"], **body})


def test_a_new_tokens_secret_is_shown_once_and_stored_hashed(app, client_as, session):
    admin = client_as("ada")
    response = _create_token(admin, scopes=["read", "write"])
    assert response.status_code == 201
    token = response.get_json()
    secret = token["secret"]
    assert secret.startswith("cd_") and len(secret) > 40
    assert token["scopes"] == ["read", "write"] and token["revoked_at"] is None
    assert token["user_id"] == _user_id(admin, "ada")
    assert secret.removeprefix("cd_").startswith(token["prefix"])
    for path in (response.headers["Location"], f"{API}/tokens"):
        text = admin.get(path).get_data(as_text=True)
        assert secret not in text and '"secret"' not in text
    stored = session.scalar(select(ApiToken).where(ApiToken.id == token["id"]))
    assert secret not in (stored.secret_hash, stored.prefix)
    # And it works, with exactly its scopes.
    integration = _bearer(app, secret)
    assert integration.get(f"{API}/auth/me").get_json()["scopes"] == ["read", "write"]
    assert_problem(integration.get(f"{API}/users"), 403)  # an admin's token, but without the admin scope


def test_an_admin_makes_a_token_for_another_user_within_their_roles_scopes(app, client_as):
    admin = client_as("ada")
    rita = _user_id(admin, "rita")
    made = _create_token(admin, user_id=rita, scopes=["read", "write"])
    assert made.status_code == 201 and made.get_json()["user_id"] == rita
    assert _bearer(app, made.get_json()["secret"]).get(f"{API}/auth/me").get_json()["username"] == "rita"
    problem = assert_problem(_create_token(admin, user_id=rita, scopes=["read", "admin"]), 422)
    assert "scopes" in problem["errors"]
    assert_problem(_create_token(admin, user_id=999999), 404)


@pytest.mark.parametrize(("body", "field"), [
    ({"expires_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}, "expires_at"),
    ({"expires_at": "2001-01-01T00:00:00"}, "expires_at"),
    ({"expires_at": "tomorrow"}, "expires_at"),
    ({"scopes": []}, "scopes"),
    ({"scopes": ["root"]}, "scopes"),
    ({"scopes": ["read", "read", "read", "read"]}, "scopes"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
])
def test_invalid_tokens_are_422(client_as, body, field):
    admin = client_as("ada")
    before = admin.get(f"{API}/tokens").get_json()
    problem = assert_problem(_create_token(admin, **body), 422)
    assert field in str(problem["errors"])
    assert admin.get(f"{API}/tokens").get_json() == before


def test_a_token_with_an_expiry_works_until_then(app, client_as, session):
    admin = client_as("ada")
    expires = datetime.now(UTC) + timedelta(hours=1)
    token = _create_token(admin, expires_at=expires.isoformat()).get_json()
    assert datetime.fromisoformat(token["expires_at"]) == expires
    integration = _bearer(app, token["secret"])
    assert integration.get(f"{API}/articles").status_code == 200
    stored = session.get(ApiToken, token["id"])
    stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    problem = assert_problem(integration.get(f"{API}/articles"), 401)
    assert "expired" in problem["detail"]


def test_only_admins_make_or_revoke_tokens(client_as):
    rita = client_as("rita")
    assert_problem(_create_token(rita), 403)
    own = rita.get(f"{API}/tokens").get_json()[0]["id"]
    assert_problem(rita.delete(f"{API}/tokens/{own}"), 403)
    assert rita.get(f"{API}/tokens/{own}").get_json()["revoked_at"] is None


def test_non_admins_list_and_read_only_their_own_tokens(client_as):
    admin = client_as("ada")
    everyone = admin.get(f"{API}/tokens").get_json()
    assert {t["user_id"] for t in everyone} == {_user_id(admin, n) for n in ("rita", "rob", "eddie", "ada")}
    rita_id = _user_id(admin, "rita")
    assert [t["user_id"] for t in admin.get(f"{API}/tokens", query_string={"user_id": rita_id}).get_json()] \
        == [rita_id]
    rob = client_as("rob")
    robs = rob.get(f"{API}/tokens").get_json()
    assert {t["user_id"] for t in robs} == {_user_id(admin, "rob")}
    # Asking for someone else's changes nothing: a non-admin's list is their own, whatever they ask.
    assert rob.get(f"{API}/tokens", query_string={"user_id": rita_id}).get_json() == robs
    ritas = [t["id"] for t in everyone if t["user_id"] == rita_id]
    assert_problem(rob.get(f"{API}/tokens/{ritas[0]}"), 404)  # as if it did not exist
    assert_problem(rob.delete(f"{API}/tokens/{ritas[0]}"), 404)
    assert admin.get(f"{API}/tokens/{ritas[0]}").get_json()["user_id"] == rita_id
    assert_problem(rob.get(f"{API}/tokens", query_string={"user_id": "x"}), 422)
    assert_problem(rob.get(f"{API}/tokens", query_string={"owner": "1"}), 422)


def test_a_revoked_token_stops_working_at_once_and_stays_listed(app, client_as):
    admin = client_as("ada")
    token = _create_token(admin, scopes=["read", "write"]).get_json()
    integration = _bearer(app, token["secret"])
    assert integration.get(f"{API}/articles").status_code == 200
    revoked = admin.delete(f"{API}/tokens/{token['id']}")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    problem = assert_problem(integration.get(f"{API}/articles"), 401)
    assert problem["detail"] == "The token is unknown, revoked or expired."
    assert integration.get(f"{API}/articles").headers["WWW-Authenticate"].startswith("Bearer")
    listed = admin.get(f"{API}/tokens/{token['id']}").get_json()
    assert listed["revoked_at"] == revoked.get_json()["revoked_at"]
    # Revoking again changes nothing.
    assert admin.delete(f"{API}/tokens/{token['id']}").get_json() == revoked.get_json()
    assert_problem(admin.delete(f"{API}/tokens/999999"), 404)


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic cml0YTpwdw==", "Bearer cd_short",
                                    "Bearer cd_" + "A" * 43, "Token cd_whatever", "bearer"])
def test_malformed_or_unknown_credentials_are_401(app, header):
    client = app.test_client()
    response = client.get(f"{API}/articles", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="claimdesk"'


def test_the_schemas_document_the_account_limits_the_services_enforce(client):
    """One constant per limit: what the OpenAPI document states is what services.accounts checks."""
    from service.services import accounts

    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Login"]["properties"]["username"]["maxLength"] == accounts.MAX_USERNAME
    for schema, field, least in (("Login", "password", 1), ("PasswordChange", "current_password", 1),
                                 ("PasswordChange", "new_password", accounts.MIN_PASSWORD),
                                 ("UserCreate", "password", accounts.MIN_PASSWORD)):
        limits = schemas[schema]["properties"][field]
        assert (limits["minLength"], limits["maxLength"]) == (least, accounts.MAX_PASSWORD), (schema, field)
    assert schemas["UserCreate"]["properties"]["username"]["pattern"] == f"^{accounts.USERNAME_PATTERN}$"
    assert schemas["TokenCreate"]["properties"]["name"]["maxLength"] == accounts.MAX_TOKEN_NAME
