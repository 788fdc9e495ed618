"""The desk's pages through the Flask test client: logging in, the queue, the article with its flags."""
from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from service.web import views
from service.web.highlight import render_body
from service.web.views import safe_next
from tests.web.conftest import PASSWORD, csrf_of, log_in

BODY = 'Peskov said "we have lost 12 percent", according to officials. Prices rose.'
WORDS = {
    "Peskov said": ("quote", "direct", {"speaker": "Peskov", "cue": "said"}),
    "12 percent": ("number", "percent", {"value": 12, "unit": "percent"}),
    "according to officials": ("sourcing", "vague", {"source": "officials", "cue": "according to"}),
}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class _Tags(HTMLParser):
    """Collects start tags and checks every <mark>/<span> closes in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("mark", "span"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("mark", "span"):
            assert self.stack and self.stack.pop() == tag, f"</{tag}> closes the wrong element"

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


# ---------- logging in and out ----------

@pytest.mark.parametrize("path", ["/", "/articles/1", "/?status=flagged"])
def test_pages_send_strangers_to_the_login_form(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert log_in(app.test_client(), next=path).location == path


def test_the_login_page_and_static_files_need_no_login(app):
    client = app.test_client()
    assert client.get("/login").status_code == 200
    css = client.get("/desk/static/desk.css")
    assert css.status_code == 200 and css.mimetype == "text/css"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "/ok\r\nLocation: x"])
def test_next_must_be_a_local_path(app, target):
    assert safe_next(target) is None
    assert log_in(app.test_client(), next=target).location == "/"


def test_a_wrong_password_shows_the_error_next_to_the_field(app):
    response = log_in(app.test_client(), password="not the password")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert 'aria-describedby="password-error"' in html and 'aria-invalid="true"' in html
    assert re.search(r'<p class="field-error" id="password-error">Wrong username or password\.</p>', html)
    assert 'value="rita"' in html and "not the password" not in html


def test_a_missing_username_is_named_next_to_its_field(app):
    response = log_in(app.test_client(), username="  ")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="username-error">Enter your username.' in html


def test_logging_in_without_the_csrf_field_is_refused(app):
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "rita", "password": PASSWORD})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert client.get("/").status_code == 302


def test_logging_out_needs_the_csrf_field_and_ends_the_session(browser):
    assert browser.post("/logout").status_code == 400
    assert browser.get("/").status_code == 200
    assert browser.post("/logout", data={"csrf_token": csrf_of(browser)}).location == "/login"
    assert browser.get("/").status_code == 302


def test_a_copy_of_the_cookie_taken_before_logging_out_on_the_desk_is_logged_out_too(app, browser):
    copy = app.test_client()
    copy.set_cookie("claimdesk_session", browser.get_cookie("claimdesk_session").value)
    assert copy.get("/").status_code == 200, "the copy works while logged in"
    csrf = csrf_of(browser)
    assert browser.post("/logout", data={"csrf_token": csrf}).location == "/login"
    assert copy.get("/").status_code == 302 and "/login" in copy.get("/").headers["Location"]
    refused = copy.put("/api/v1/auth/password", headers={"X-CSRF-Token": csrf},
                       json={"current_password": PASSWORD, "new_password": "a thief's own passphrase"})
    assert refused.status_code == 401, "the API refuses it as well"


def test_login_is_rate_limited(app):
    client = app.test_client()
    statuses = [log_in(client, password="wrong password").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert "text/html" in log_in(client).content_type


def test_the_desk_and_the_api_share_one_login_limit_per_address(app):
    desk, api = app.test_client(), app.test_client()
    for _ in range(5):
        assert log_in(desk, username="eddie", password="wrong password").status_code == 401
    for _ in range(5):
        failed = api.post("/api/v1/auth/login", json={"username": "rita", "password": "wrong password"})
        assert failed.status_code == 401
    refused = api.post("/api/v1/auth/login", json={"username": "rita", "password": PASSWORD})
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert log_in(desk).status_code == 429


def test_too_many_failed_logins_for_an_account_are_named_next_to_the_password(app):
    for n in range(20):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"
        assert log_in(client, password="wrong password").status_code == 401
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    response = log_in(client)
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 3600
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="password-error">([^<]*)</p>', page)
    assert error and re.fullmatch(r"Too many login attempts\. Try again in \d+ minutes?\.", error.group(1))
    username = next(attrs for _, attrs in _parse(page).tags if attrs.get("name") == "username")
    assert username["value"] == "rita", "the form keeps the username"
    assert client.get("/").status_code == 302, "not logged in"


def test_the_csrf_token_a_page_carries_lets_its_script_write_to_the_api(browser, add_article):
    article_id = add_article(BODY, words=WORDS)
    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    claim_id = re.search(r'data-claim="(\d+)"', html).group(1)
    url = f"/api/v1/claims/{claim_id}/annotations"
    assert browser.post(url, json={"verdict": "accurate"}).status_code == 403
    assert browser.post(url, json={"verdict": "accurate"}, headers={"X-CSRF-Token": token}).status_code == 201


# ---------- the queue ----------

def test_the_queue_lists_articles_with_counts(browser, add_article, session):
    article_id = add_article(BODY, title="Defence losses", outlet="Gazette", words=WORDS)
    html = browser.get("/").get_data(as_text=True)
    row = html[html.index(f'href="/articles/{article_id}"'):]
    row = row[:row.index("</tr>")]
    assert "Defence losses" in row and "Gazette" in row and "flagged" in row
    cells = re.findall(r'class="num">([^<]+)</td>', row)
    assert cells == ["1", "1", "1", "0 / 3"]


def test_the_queue_filters_by_status_kind_outlet_and_words(browser, add_article):
    quotes = add_article("Peskov said it was over.", title="Quotes", outlet="Gazette",
                         words={"Peskov said": ("quote", "direct", {})})
    numbers = add_article("About 12 percent rose.", title="Numbers", outlet="Courier",
                          words={"12 percent": ("number", "percent", {})})

    def listed(query: str) -> set[int]:
        html = browser.get("/" + query).get_data(as_text=True)
        return {int(i) for i in re.findall(r'<a href="/articles/(\d+)">', html)}

    assert listed("") == {quotes, numbers}
    assert listed("?kind=quote") == {quotes}
    assert listed("?outlet=Courier") == {numbers}
    assert listed("?q=percent") == {numbers}
    assert listed("?status=flagged&kind=number&outlet=&q=") == {numbers}
    assert listed("?status=queued") == set()
    html = browser.get("/?outlet=Courier").get_data(as_text=True)
    assert '<option value="Courier" selected>' in html


def test_a_bad_filter_is_named_next_to_its_field(browser, add_article):
    add_article(BODY)
    response = browser.get("/?status=bogus&kind=quote")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="status-filter-error"' in html and "Must be one of" in html
    assert '<option value="quote" selected>' in html


def test_the_queue_pages_with_a_cursor(browser, add_article):
    ids = [add_article(f"Story number {i} is here.", title=f"Story {i}") for i in range(3)]
    first = browser.get("/?limit=2").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<a href="/articles/(\d+)">', first)] == [ids[2], ids[1]]
    next_url = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    second = browser.get(next_url).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<a href="/articles/(\d+)">', second)] == [ids[0]]
    assert 'rel="next"' not in second and "First page" in second
    broken = browser.get("/?cursor=nonsense").get_data(as_text=True)
    assert "no longer valid" in broken and len(re.findall(r'<a href="/articles/(\d+)">', broken)) == 3


@pytest.mark.both_backends
def test_filters_and_links_out_of_range_show_the_queue_with_a_message(browser, add_article):
    article_id = add_article("Story number 1 is here.", title="Story 1")
    too_far = base64.urlsafe_b64encode(f"id:{2**40}".encode()).decode().rstrip("=")
    for query, message in [
        (f"cursor={too_far}", "That page link is no longer valid; showing the first page."),
        ("published_from=0001-01-01T00:30:00%2B01:00", "Published from: Out of range: in UTC it falls "
                                                      "before 0001-01-01 or after 9999-12-31."),
        ("published_to=9999-12-31T23:00:00-05:00", "Published to: Out of range"),
        ("published_from=soon", "Published from: Not a valid datetime."),
    ]:
        response = browser.get(f"/?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, query
        assert message in html, query
        assert f'<a href="/articles/{article_id}">' in html, query
    assert browser.get(f"/articles/{2**31}").status_code == 404


# ---------- the article ----------

def test_the_article_highlights_every_flag_with_its_kind(browser, add_article):
    article_id = add_article(BODY, words=WORDS)
    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    body = html[html.index('<div id="article-body"'):html.index('<div id="flag-notes"')]
    marks = [attrs for tag, attrs in _parse(body).tags if tag == "mark"]
    assert {(m["class"], m["data-subtype"]) for m in marks} == {
        ("flag f-quote", "direct"), ("flag f-number", "percent"), ("flag f-sourcing", "vague")}
    assert all(m["tabindex"] == "0" and m["aria-describedby"] == f"fd-{m['data-flag']}" for m in marks)
    notes = dict(re.findall(r'<span id="(fd-\d+)">([^<]*)</span>', html))
    assert "quote (direct): speaker: Peskov; cue: said" in notes.values()
    assert "sourcing (vague): source: officials; cue: according to" in notes.values()
    assert 'class="legend-item"' in html and html.count('class="kind-toggle"') == 3


def test_overlapping_flags_nest_and_keep_the_text():
    body = "The minister said 40 per cent of councils cut services."
    claims = [SimpleNamespace(id=1, start=0, end=len(body))]
    flag = SimpleNamespace
    flags = {1: [
        flag(id=1, kind="sourcing", subtype="named", start=0, end=17, attrs={}),   # The minister said
        flag(id=2, kind="quote", subtype="partial", start=13, end=40, attrs={}),   # crosses the first
        flag(id=3, kind="number", subtype="percent", start=18, end=29, attrs={}),  # inside the second
    ]}
    parsed = _parse(str(render_body(body, claims, flags)))
    assert "".join(parsed.text) == body
    marks = [a for t, a in parsed.tags if t == "mark"]
    # Each flag is one tab stop; the piece re-opened after the crossing is not.
    assert sorted(m["data-flag"] for m in marks if "tabindex" in m) == ["1", "2", "3"]
    assert [m["data-flag"] for m in marks if "flag-cont" in m["class"]] == ["2"]


def test_user_text_stays_inert(browser, add_article, session):
    article_id = add_article(f"He wrote {XSS} in the comments. Peskov said so.", title=f"Title {XSS}",
                             outlet=XSS, words={"Peskov said": ("quote", "direct", {"speaker": XSS})})
    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    claim_id = re.search(r'data-claim="(\d+)"', html).group(1)
    token = csrf_of(browser)
    created = browser.post(f"/api/v1/claims/{claim_id}/annotations", headers={"X-CSRF-Token": token},
                           json={"note": f"note {XSS} </script><script>alert(2)</script>"})
    assert created.status_code == 201
    for page in (f"/articles/{article_id}", "/", f"/?outlet={XSS}"):
        html = browser.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "onerror=alert(1)>" not in html
        scripts = re.findall(r"<script([^>]*)>", html)
        assert all('src="/desk/static/' in s or 'type="application/json"' in s for s in scripts)
    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    assert "Title &lt;script&gt;" in html
    data = re.search(r'<script type="application/json" id="desk-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in data  # tojson escapes it, so the note cannot close the data block
    assert json.loads(data)["annotations"][claim_id][0]["note"].startswith("note <script>")


def test_desk_pages_are_not_stored_by_the_browser_or_a_proxy(browser, add_article):
    article_id = add_article(BODY, words=WORDS)
    for path in ("/", f"/articles/{article_id}", "/account", "/articles/999999"):
        assert browser.get(path).headers.get("Cache-Control") == "no-store", path


# Every bidirectional control: embeddings and overrides, isolates, marks.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_in_user_text_are_shown_as_marks_and_do_not_reorder_the_page(browser, add_article):
    # "\u202e" would show "txt.exe" as "exe.txt"; a title could drag the page's own text into its order.
    body = "Officials said the file invoice\u202etxt.exe was safe. Peskov\u2067 said\u2069 so."
    article_id = add_article(body, title="Invoice \u202egnp.exe", outlet=f"Outlet {BIDI}",
                             words={"Peskov": ("sourcing", "named", {"source": "Peskov\u202e reversed"})})
    for page in (f"/articles/{article_id}", "/"):
        shown = "".join(_parse(browser.get(page).get_data(as_text=True)).text)
        assert not any(char in shown for char in BIDI), page  # (a filter's value keeps the outlet's own)
    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    rlo = '<span class="bidi-control" title="U+202E RIGHT-TO-LEFT OVERRIDE">RLO</span>'
    assert f'<h1 id="article-title"><bdi>Invoice {rlo}gnp.exe</bdi></h1>' in html
    assert "<title>Invoice RLOgnp.exe · Claimdesk</title>" in html
    assert f"invoice{rlo}txt.exe" in html
    outlet = re.search(r"<span><bdi>Outlet (.*?)</bdi></span>", html).group(1)
    assert re.findall(r'title="U\+([0-9A-F]{4}) [A-Z -]+">([A-Z]{3})</span>', outlet) == [
        ("202A", "LRE"), ("202B", "RLE"), ("202C", "PDF"), ("202D", "LRO"), ("202E", "RLO"), ("2066", "LRI"),
        ("2067", "RLI"), ("2068", "FSI"), ("2069", "PDI"), ("200E", "LRM"), ("200F", "RLM"), ("061C", "ALM")]
    assert re.search(r'<span class="claim-text"><bdi>Officials said the file invoice<span class="bidi-control"', html)
    assert f"source: Peskov{rlo} reversed" in html  # the flag's note, shown in its tooltip
    assert '<div id="article-body" class="article-body" dir="auto">' in html
    queue = browser.get("/").get_data(as_text=True)
    assert f'<bdi>Invoice {rlo}gnp.exe</bdi></a>' in queue
    assert ">Outlet LRERLEPDFLRORLOLRIRLIFSIPDILRMRLMALM</option>" in queue  # an option holds text only


def test_the_article_page_carries_the_claims_and_their_verdicts(browser, add_article, app):
    article_id = add_article(BODY, words=WORDS)
    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    claim_id = re.search(r'data-claim="(\d+)"', html).group(1)
    browser.post(f"/api/v1/claims/{claim_id}/annotations", headers={"X-CSRF-Token": csrf_of(browser)},
                 json={"verdict": "needs-context", "note": "Grant cuts were 38%."})
    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    assert '<span class="badge verdict verdict-needs-context">needs-context</span>' in html
    assert html.count('class="claim-pick" aria-expanded="false"') == 2
    assert '<dialog id="conflict-dialog"' in html and '<dialog id="shortcuts-dialog"' in html
    assert 'role="status" aria-live="polite"' in html
    verdicts = re.findall(r'<input type="radio" name="verdict" value="([^"]*)">', html)
    assert verdicts[:-1] == list(app.extensions["claimdesk"].settings.verdicts) and verdicts[-1] == ""


def test_editors_get_the_review_status_control_and_reviewers_only_see_the_status(browser, app, add_article):
    article_id = add_article(BODY, title="Defence losses", words=WORDS)
    html = browser.get(f"/articles/{article_id}").get_data(as_text=True)
    assert 'id="review-form"' not in html
    assert '<span class="review review-unreviewed" id="review-status">unreviewed</span>' in html

    editor = app.test_client()
    assert log_in(editor, "eddie").status_code == 302
    html = editor.get(f"/articles/{article_id}").get_data(as_text=True)
    assert '<form id="review-form"' in html
    options = re.findall(r'<option value="([^"]+)"', html)
    assert options == ["unreviewed", "in-review", "approved", "published"]
    assert '<option value="unreviewed" selected>' in html
    data = json.loads(re.search(r'<script type="application/json" id="desk-data">(.*?)</script>', html,
                                re.S).group(1))
    etag = editor.get(f"/api/v1/articles/{article_id}").headers["ETag"]
    assert data["review"] == {"status": "unreviewed", "etag": etag}
    # What the page's script sends when the editor presses Set.
    response = editor.put(f"/api/v1/articles/{article_id}/review-status", json={"status": "approved"},
                          headers={"If-Match": data["review"]["etag"], "X-CSRF-Token": csrf_of(editor)})
    assert response.status_code == 200 and response.get_json()["review_status"] == "approved"
    html = editor.get(f"/articles/{article_id}").get_data(as_text=True)
    assert '<option value="approved" selected>' in html
    queue = browser.get("/").get_data(as_text=True)
    assert '<span class="review review-approved">approved</span>' in queue


def test_an_unknown_article_is_an_html_404(browser):
    response = browser.get("/articles/999")
    assert response.status_code == 404
    assert response.mimetype == "text/html" and "There is no article 999." in response.get_data(as_text=True)


def test_an_unexpected_failure_on_a_page_is_an_html_500_and_logged(browser, add_article, monkeypatch, caplog):
    article_id = add_article(BODY, words=WORDS)

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug in the desk")

    monkeypatch.setattr(views.desk, "desk_article", broken)
    response = browser.get(f"/articles/{article_id}")
    assert response.status_code == 500 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side; it has been logged." in page and "Back to the queue" in page
    assert "a bug in the desk" not in page
    assert any(r.exc_info and "a bug in the desk" in str(r.exc_info[1]) for r in caplog.records)


def test_a_database_outage_on_a_page_is_an_html_503_with_retry_after(browser, monkeypatch):
    def down(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(views.desk, "outlets", down)
    response = browser.get("/")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "The database is unavailable; try again in a few seconds." in response.get_data(as_text=True)


def test_a_page_that_cannot_even_render_its_error_still_answers_html(app):
    # Without a session key no page can carry its CSRF token, the error page included.
    app.config["SECRET_KEY"] = None
    response = app.test_client().get("/login")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_pages_carry_the_security_headers_and_no_inline_code(browser, add_article):
    article_id = add_article(BODY, words=WORDS)
    for path in ("/", f"/articles/{article_id}", "/login"):
        response = browser.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        html = response.get_data(as_text=True)
        assert " style=" not in html and "<style" not in html
        assert not re.search(r"<[^>]+\son[a-z]+=", html)


# ---------- the account page ----------

NEW_PASSWORD = "a much longer and brand-new passphrase"


def _change(client, current=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post("/account", data={"current_password": current, "new_password": new,
                                         "new_password_again": new if again is None else again,
                                         "csrf_token": csrf_of(client)})


@pytest.mark.parametrize("current, new, again, field, message", [
    ("", NEW_PASSWORD, None, "current_password", "Enter your current password."),
    ("wrong password", NEW_PASSWORD, None, "current_password", "Wrong password."),
    (PASSWORD, "short", None, "new_password", "Use at least 12 characters."),
    (PASSWORD, NEW_PASSWORD, "something else entirely", "new_password_again", "This does not match"),
])
def test_a_bad_password_change_is_named_next_to_its_field(app, browser, current, new, again, field, message):
    response = _change(browser, current, new, again)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="field-error" id="{field}-error">{message}' in html
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"', html)
    assert NEW_PASSWORD not in html and "wrong password" not in html, "passwords are never echoed"
    assert log_in(app.test_client()).status_code == 302, "the old password still works"


def test_changing_the_password_on_the_desk_logs_out_the_other_sessions(app, browser):
    other = app.test_client()
    assert log_in(other).status_code == 302
    assert 'href="/account"' in browser.get("/").get_data(as_text=True)
    response = _change(browser)
    assert response.status_code == 200
    assert "Password changed" in response.get_data(as_text=True)
    assert browser.get("/").status_code == 200, "this session stays"
    assert other.get("/").status_code == 302 and "/login" in other.get("/").headers["Location"]
    assert log_in(app.test_client()).status_code == 401
    assert log_in(app.test_client(), password=NEW_PASSWORD).status_code == 302


def test_the_password_form_needs_its_csrf_field(browser):
    response = browser.post("/account", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                              "new_password_again": NEW_PASSWORD})
    assert response.status_code == 400


def test_the_login_form_refuses_past_the_services_limits(app):
    """The desk reads the same constants as the API's schemas and the services."""
    from service.services import accounts

    client = app.test_client()
    too_long = log_in(client, "r" * (accounts.MAX_USERNAME + 1), "p" * (accounts.MAX_PASSWORD + 1))
    page = too_long.get_data(as_text=True)
    assert too_long.status_code == 422
    assert f"Usernames have at most {accounts.MAX_USERNAME} characters." in page
    assert f"Passwords have at most {accounts.MAX_PASSWORD} characters." in page
