"""Hardening: stored XSS stays inert, injections stay harmless, limits hold, secrets stay secret,
and the browser's session is protected (HttpOnly, SameSite, Secure, CSRF)."""
from __future__ import annotations

import json
import logging
import re

import pytest

from service.extensions import limiter
from tests.api.conftest import BODY, PASSWORD, assert_problem, post_article

API = "/api/v1"
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(document.cookie)",
       "</script><svg/onload=alert(1)>", "{{7*7}}<iframe src=javascript:alert(1)>"]


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    """Every test starts with clean rate-limit counters (the limiter is process-wide)."""
    limiter.reset()
    yield
    limiter.reset()


def _claim(client) -> int:
    return post_article(client)["claims"][0]["id"]


def _annotate(client, claim_id: int, **fields):
    return client.post(f"{API}/claims/{claim_id}/annotations", json=fields)


def _as_json_string(response, payload: str) -> None:
    """The payload comes back only inside a JSON string, in a JSON document the browser will not sniff."""
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert payload in json.dumps(response.get_json())  # round-trips exactly: stored as text, not as markup
    raw = response.get_data(as_text=True)
    # Outside JSON strings there is nothing but JSON: strip the strings and no markup is left.
    assert "<" not in re.sub(r'"(?:[^"\\]|\\.)*"', '""', raw)


# Stored XSS ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", XSS)
def test_xss_in_an_article_title_comes_back_as_an_inert_string(client, payload):
    article = post_article(client, title=payload, outlet=payload, author=payload)
    for path in (f"/articles/{article['id']}", "/articles"):
        response = client.get(API + path)
        assert response.status_code == 200
        _as_json_string(response, payload)
    assert client.get(f"{API}/articles/{article['id']}").get_json()["title"] == payload


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_notes_and_evidence_titles_comes_back_as_an_inert_string(client, payload):
    claim_id = _claim(client)
    created = _annotate(client, claim_id, note=payload,
                        evidence=[{"url": "https://example.org/report", "title": payload}])
    assert created.status_code == 201, created.get_data(as_text=True)
    annotation = created.get_json()
    assert annotation["note"] == payload and annotation["evidence"][0]["title"] == payload
    for path in (f"/annotations/{annotation['id']}", f"/claims/{claim_id}", f"/claims/{claim_id}/annotations",
                 f"/annotations/{annotation['id']}/history"):
        response = client.get(API + path)
        assert response.status_code == 200
        _as_json_string(response, payload)


def test_scripts_in_submitted_html_are_not_stored(client):
    html = ("<html><head><script>alert('head')</script></head><body><article><h1>Losses</h1>"
            "<p onclick=\"alert('p')\">Peskov said the army had suffered losses. About 60 servicemen died "
            "last week, officials said on Monday in a statement.</p><script>alert('body')</script>"
            "<p>Officials said 12 percent of the budget went on defence this year, up from 9 percent.</p>"
            "<img src=x onerror=alert(1)></article></body></html>")
    response = client.post(f"{API}/articles", json={"html": html})
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()["body"]
    assert "60 servicemen" in body
    assert "alert" not in body and "<script" not in body and "onerror" not in body


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
                                 "file:///etc/passwd", "//evil.example/x"])
def test_evidence_and_article_urls_must_be_http(client, url):
    claim_id = _claim(client)
    problem = assert_problem(_annotate(client, claim_id, note="n", evidence=[{"url": url}]), 422)
    assert "evidence" in json.dumps(problem["errors"])
    assert_problem(client.post(f"{API}/articles", json={"body": BODY, "url": url}), 422)
    assert client.get(f"{API}/claims/{claim_id}/annotations").get_json() == []


# Security headers on the web page -------------------------------------------------------------------

def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}


def test_the_api_docs_page_has_a_strict_csp_and_no_inline_script(anonymous):
    response = anonymous.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = _directives(response.headers["Content-Security-Policy"])
    script_src = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "*" not in script_src and "data:" not in script_src
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    # The CSP would block an inline script anyway; the page must not need one to work.
    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts and all('src="/' in attrs and not inline.strip() for attrs, inline in scripts)
    assert not re.search(r"\son[a-z]+\s*=", page)  # no inline event handlers either
    for src in re.findall(r'src="([^"]+)"', page):
        assert anonymous.get(src).status_code == 200, src


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/openapi.json", "/api/v1/articles"])
def test_every_answer_carries_the_security_headers(anonymous, path):
    response = anonymous.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# Injection-shaped filters -----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    {"q": "' OR 1=1 --"}, {"q": "%_%"}, {"q": "%"}, {"q": "_"}, {"q": "\\"},
    {"q": "'; DROP TABLE articles; --"},
    {"outlet": "%' --"}, {"outlet": "' OR '1'='1"}, {"outlet": "%"}, {"q": '" OR ""="'},
    {"q": "Gazette') UNION SELECT id FROM users --"},
])
def test_injection_shaped_filters_are_harmless(client, args):
    for n, outlet in enumerate(("Gazette", "Herald")):
        post_article(client, body=f"{BODY} Paper {n} printed 5 pages.", outlet=outlet, title=f"Title {n}")
    response = client.get(f"{API}/articles", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["items"] == []  # taken literally: no article has those characters
    assert len(client.get(f"{API}/articles").get_json()["items"]) == 2  # and the table is still there
    assert client.get(f"{API}/flags", query_string={"kind": "quote", "article": 1}).status_code == 200


def test_like_wildcards_match_only_themselves(client):
    post_article(client, body=f"{BODY} Turnout was 100% in 5 towns.", title="100% turnout")
    post_article(client, body=f"{BODY} Turnout was high in 7 towns.", title="High turnout")
    found = client.get(f"{API}/articles", query_string={"q": "100%"}).get_json()["items"]
    assert [a["title"] for a in found] == ["100% turnout"]
    assert client.get(f"{API}/articles", query_string={"q": "1_0"}).get_json()["items"] == []


# Control characters, invalid UTF-8 and sizes --------------------------------------------------------

@pytest.mark.parametrize("text", ["nul\x00byte", "bell\x07", "escape\x1b[31m", "del\x7f",
                                  "lone \ud800 surrogate"])
def test_control_characters_and_lone_surrogates_are_rejected(client, text):
    assert_problem(client.post(f"{API}/articles", json={"body": BODY, "title": text}), 422)
    claim_id = _claim(client)
    assert_problem(_annotate(client, claim_id, note=text), 422)
    assert_problem(_annotate(client, claim_id, note="n", evidence=[{"url": "https://e.org", "title": text}]),
                   422)


@pytest.mark.parametrize("raw", [b'{"body": "caf\xe9 served 3 people"}', b'{"body": "\xff\xfe"}',
                                 b'{"body": "\xed\xa0\x80 surrogate"}', b'\xc3({"body": "x"}'])
def test_invalid_utf8_is_rejected_with_a_problem(client, raw):
    problem = assert_problem(client.post(f"{API}/articles", data=raw, content_type="application/json"), 400)
    assert problem["detail"] == "Invalid JSON body."
    assert client.get(f"{API}/articles").get_json()["items"] == []


def test_invalid_utf8_in_a_query_is_harmless(client):
    """Werkzeug decodes query strings with replacement characters: the filter matches nothing, no 500."""
    post_article(client)
    response = client.get(f"{API}/articles?q=%ff%fe&outlet=%c3%28")
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_invalid_utf8_in_a_batch_line_is_a_line_error(client):
    data = b'{"body": "caf\xe9 had 3 tables."}\n' + json.dumps({"body": BODY}).encode() + b"\n"
    response = client.post(f"{API}/batches", data=data, content_type="application/x-ndjson")
    assert response.status_code == 202, response.get_data(as_text=True)
    batch = response.get_json()
    assert batch["error_count"] == 1 and batch["errors"][0]["line"] == 1 and batch["articles"] == 1


def test_a_note_over_10000_characters_is_422(client):
    claim_id = _claim(client)
    problem = assert_problem(_annotate(client, claim_id, note="n" * 10_001), 422)
    assert "note" in json.dumps(problem["errors"])
    assert _annotate(client, claim_id, note="n" * 10_000).status_code == 201


def test_more_than_50_evidence_links_is_422(client):
    claim_id = _claim(client)
    links = [{"url": f"https://example.org/{n}"} for n in range(51)]
    problem = assert_problem(_annotate(client, claim_id, evidence=links), 422)
    assert "evidence" in json.dumps(problem["errors"])
    assert _annotate(client, claim_id, evidence=links[:50]).status_code == 201


def test_a_request_over_the_size_limit_is_413(make_app, tokens):
    # The same instance folder as `app`, so the same database and the same tokens.
    small = make_app({"CLAIMDESK_MAX_REQUEST_BYTES": "2048"})
    client = small.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['eddie']}"
    problem = assert_problem(client.post(f"{API}/articles", json={"body": BODY + " x" * 2000}), 413)
    assert problem["title"] == "Request Entity Too Large"
    assert client.post(f"{API}/articles", json={"body": BODY}).status_code == 202


# Logins: rate limit, logs and passwords -------------------------------------------------------------

def _login(client, username: str, password: str):
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


def test_logins_are_rate_limited_after_10_failures(anonymous):
    for _ in range(10):
        assert_problem(_login(anonymous, "ada", "wrong password 1"), 401)
    problem = assert_problem(_login(anonymous, "ada", "wrong password 1"), 429)
    response = _login(anonymous, "ada", PASSWORD)
    assert response.status_code == 429, "the right password does not get round the limit"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert problem["title"] == "Too Many Requests"


def _login_from(client, address: str, username: str, password: str):
    return client.post(f"{API}/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_failed_logins_for_one_account_are_limited_whatever_address_they_come_from(anonymous, tokens):
    for n in range(20):  # one guess from each of 20 addresses; the case of a username makes no difference
        username = "rita" if n % 2 else "RITA"
        assert_problem(_login_from(anonymous, f"203.0.113.{n}", username, f"guess {n}"), 401)
    refused = _login_from(anonymous, "198.51.100.7", "rita", PASSWORD)
    problem = assert_problem(refused, 429)
    assert problem["title"] == "Too Many Requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert _login_from(anonymous, "198.51.100.7", "rob", PASSWORD).status_code == 200, "other accounts log in"


def test_successful_logins_do_not_count_against_the_account(anonymous, tokens):
    for n in range(25):
        assert _login_from(anonymous, f"203.0.113.{n}", "rita", PASSWORD).status_code == 200


def test_failed_logins_are_logged_without_the_password(anonymous, tokens, caplog):
    caplog.set_level(logging.DEBUG)
    assert_problem(_login(anonymous, "ada", "hunter2-is-not-it"), 401)
    assert_problem(_login(anonymous, "nobody", "hunter3-is-not-it"), 401)
    failures = [r for r in caplog.records if "failed login" in r.getMessage()]
    assert [("'ada'" in r.getMessage(), "'nobody'" in r.getMessage()) for r in failures] \
        == [(True, False), (False, True)]
    assert all(r.levelno == logging.WARNING for r in failures)
    assert "hunter" not in caplog.text


def test_passwords_never_appear_in_answers_or_logs(app, anonymous, client_as, caplog):
    caplog.set_level(logging.DEBUG)
    admin = client_as("ada")
    secrets = ["Sesame-Open-1234", "short-pw", "Another-Secret-5678", PASSWORD, "wrong-Password-999"]
    answers = [
        admin.post(f"{API}/users", json={"username": "nina", "password": secrets[0], "role": "reviewer"}),
        admin.post(f"{API}/users", json={"username": "nora", "password": secrets[1], "role": "reviewer"}),
        admin.post(f"{API}/users", json={"username": "nina", "password": secrets[2], "role": "reviewer"}),
        admin.post(f"{API}/users", json={"username": "bad name!", "password": secrets[2],
                                         "role": "reviewer"}),
        admin.post(f"{API}/users", json={"username": "nell", "password": secrets[2], "role": "emperor"}),
        _login(anonymous, "nina", secrets[0]),
        _login(app.test_client(), "nina", secrets[4]),
        _login(app.test_client(), "rita", PASSWORD),
        _login(app.test_client(), "rita", {"not": "a string"}),  # type: ignore[arg-type]
        app.test_client().post(f"{API}/auth/login", data=f"password={PASSWORD}",
                               content_type="application/x-www-form-urlencoded"),
        anonymous.get(f"{API}/auth/me"),
        admin.get(f"{API}/users"),
    ]
    assert [a.status_code for a in answers] == [201, 422, 422, 422, 422, 200, 401, 200, 422, 422, 200, 200]
    for answer in answers:
        text = answer.get_data(as_text=True)
        assert "password_hash" not in text and "scrypt" not in text
        for secret in secrets:
            assert secret not in text
    for secret in secrets:
        assert secret not in caplog.text


# The browser's session ------------------------------------------------------------------------------

def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("claimdesk_session=")]
    assert len(cookies) == 1, response.headers
    return cookies[0]


def test_the_session_cookie_is_httponly_and_samesite_lax(anonymous, tokens):
    cookie = _session_cookie(_login(anonymous, "rita", PASSWORD))
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert "secure" not in attributes  # plain HTTP on the embedded default: a Secure cookie would be lost


def test_the_session_cookie_is_secure_when_configured(make_app, tokens):
    secure = make_app({"CLAIMDESK_SECURE_COOKIES": "true"})  # the database `tokens` filled
    cookie = _session_cookie(_login(secure.test_client(), "rita", PASSWORD))
    attributes = [a.strip().lower() for a in cookie.split(";")[1:]]
    assert "secure" in attributes and "httponly" in attributes and "samesite=lax" in attributes


def test_cookie_authenticated_writes_need_the_csrf_token(anonymous, client, tokens):
    assert _login(anonymous, "rita", PASSWORD).status_code == 200
    claim_id = _claim(client)
    me = anonymous.get(f"{API}/auth/me")
    assert me.status_code == 200
    csrf = me.get_json()["csrf_token"]
    assert csrf
    note = {"note": "from the browser"}
    assert_problem(anonymous.post(f"{API}/claims/{claim_id}/annotations", json=note), 403)
    assert_problem(anonymous.post(f"{API}/claims/{claim_id}/annotations", json=note,
                                  headers={"X-CSRF-Token": csrf[:-1] + "x"}), 403)
    assert_problem(anonymous.post(f"{API}/auth/logout"), 403)  # logging someone out is a write too
    assert client.get(f"{API}/claims/{claim_id}/annotations").get_json() == []
    created = anonymous.post(f"{API}/claims/{claim_id}/annotations", json=note,
                             headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201 and created.get_json()["reviewer"] == "rita"
    # Reads need no token: they change nothing and a cross-site page cannot read the answer.
    assert anonymous.get(f"{API}/claims/{claim_id}").status_code == 200


def test_a_new_login_gets_a_new_session_and_csrf_token(anonymous, tokens):
    """No session fixation: whatever session a visitor had before logging in is not the one after."""
    _login(anonymous, "rita", PASSWORD)
    first = anonymous.get(f"{API}/auth/me").get_json()["csrf_token"]
    _login(anonymous, "rob", PASSWORD)
    me = anonymous.get(f"{API}/auth/me").get_json()
    assert me["username"] == "rob" and me["csrf_token"] != first


def test_a_token_caller_needs_no_csrf_token_and_gets_none(client):
    """CSRF rides on cookies; a bearer token is never sent by a browser on its own."""
    me = client.get(f"{API}/auth/me").get_json()
    assert me["csrf_token"] is None
    assert client.post(f"{API}/claims/{_claim(client)}/annotations", json={"note": "n"}).status_code == 201
