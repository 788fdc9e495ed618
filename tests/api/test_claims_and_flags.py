"""Claims and flags as the API serves them, and POST /flag that flags a text and stores nothing."""
from __future__ import annotations

import signal
import sqlite3
import time

import pytest

from service.config import Settings
from service.domain import flag_kinds
from service.services.flagging import flag_article
from tests.api.conftest import assert_problem, post_article, signed_in
from tests.fakes import KeywordDetector

DETECTOR = KeywordDetector({"Peskov": ("sourcing", "named"), "60": ("number", "count"),
                            "sources": ("sourcing", "anonymous")})


def test_claim_detail_has_current_flags_and_annotations(client, session):
    article = post_article(client, "Peskov said 60 servicemen died.")
    flag_article(session, article["id"], detector=KeywordDetector({"died": ("number", "vague")}),
                 version="old")
    flag_article(session, article["id"], detector=DETECTOR, version="new")
    claim = article["claims"][0]
    annotation = client.post(f"/api/v1/claims/{claim['id']}/annotations",
                             json={"verdict": "accurate"}).get_json()

    response = client.get(f"/api/v1/claims/{claim['id']}")
    assert response.status_code == 200
    detail = response.get_json()
    assert {k: detail[k] for k in ("id", "article_id", "position", "role", "start", "end", "text")} == \
        {k: claim[k] for k in ("id", "article_id", "position", "role", "start", "end", "text")}
    assert [(f["text"], f["kind"], f["subtype"], f["detector_version"]) for f in detail["flags"]] == \
        [("Peskov", "sourcing", "named", "new"), ("60", "number", "count", "new")]
    assert all(f["claim_id"] == claim["id"] and f["article_id"] == article["id"] for f in detail["flags"])
    assert detail["annotations"] == [annotation]


def test_article_claims_are_in_reading_order(client):
    article = post_article(client, "The first sentence is here. The second one follows it. A third ends it.")
    claims = client.get(f"/api/v1/articles/{article['id']}/claims").get_json()
    assert [c["position"] for c in claims] == list(range(len(claims)))
    assert [c["start"] for c in claims] == sorted(c["start"] for c in claims)
    assert all(article["body"][c["start"]:c["end"]] == c["text"] for c in claims)


@pytest.mark.parametrize("path", ["/api/v1/claims/424242", "/api/v1/articles/424242/claims"])
def test_missing_claims_are_404(client, path):
    assert_problem(client.get(path), 404)


@pytest.fixture
def flagged(client, session) -> list[dict]:
    """Three articles flagged by the fake detector; the last one re-flagged by a newer version."""
    articles = [post_article(client, text) for text in (
        "Peskov said 60 servicemen died.", "Our sources said Peskov lied.", "Nothing to flag in here.")]
    for article in articles:
        flag_article(session, article["id"], detector=DETECTOR, version="v1")
    flag_article(session, articles[0]["id"], detector=KeywordDetector({"60": ("number", "count")}),
                 version="v2")
    return articles


def flag_list(client, **query) -> dict:
    response = client.get("/api/v1/flags", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_flags_are_the_current_version_newest_first(client, flagged):
    items = flag_list(client)["items"]
    assert [(f["article_id"], f["text"], f["detector_version"]) for f in items] == [
        (flagged[0]["id"], "60", "v2"),
        (flagged[1]["id"], "Peskov", "v1"),
        (flagged[1]["id"], "sources", "v1"),
    ]
    assert [f["id"] for f in items] == sorted((f["id"] for f in items), reverse=True)


def test_flag_filters(client, flagged):
    def texts(**query) -> list[tuple[int, str]]:
        return [(f["article_id"], f["text"]) for f in flag_list(client, **query)["items"]]

    assert texts(kind="number") == [(flagged[0]["id"], "60")]
    assert texts(kind="sourcing", subtype="anonymous") == [(flagged[1]["id"], "sources")]
    assert texts(subtype="named") == [(flagged[1]["id"], "Peskov")]
    assert texts(article=flagged[1]["id"]) == [(flagged[1]["id"], "Peskov"), (flagged[1]["id"], "sources")]
    assert texts(article=flagged[2]["id"]) == []
    assert texts(kind="quote") == []


def test_flag_pages_have_no_gaps_or_overlaps(client, flagged):
    everything = [f["id"] for f in flag_list(client, limit=200)["items"]]
    seen, cursor = [], None
    while True:
        page = flag_list(client, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        seen += [f["id"] for f in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything and len(everything) == 3


@pytest.mark.parametrize("query, field", [("kind=claim", "kind"), ("subtype=big", "subtype"),
                                          ("article=99999999999", "article"), ("article=x", "article"),
                                          ("limit=500", "limit"), ("page=2", "page")])
def test_bad_flag_queries_are_422(client, query, field):
    problem = assert_problem(client.get(f"/api/v1/flags?{query}"), 422)
    assert list(problem["errors"]["query"]) == [field]


def test_bad_flag_cursor_is_422(client):
    assert_problem(client.get("/api/v1/flags?cursor=bm9wZQ"), 422)


def test_flag_text_returns_flags_over_the_text_and_stores_nothing(client, app):
    text = 'Peskov said: "We have significant losses of troops." About 60 servicemen died, 12% of the unit.'
    response = client.post("/api/v1/flag", json={"text": text})
    assert response.status_code == 200
    result = response.get_json()
    assert result["detector_version"] == client.get("/api/v1/version").get_json()["detector_version"]
    for flag in result["flags"]:
        assert set(flag) == {"kind", "subtype", "start", "end", "text", "attrs"}
        assert text[flag["start"]:flag["end"]] == flag["text"]
    with sqlite3.connect(app.extensions["claimdesk"].settings.database_url.removeprefix("sqlite:///")) as db:
        stored = db.execute("SELECT (SELECT count(*) FROM articles) + (SELECT count(*) FROM flags)")
        assert stored.fetchone() == (0,)


@pytest.mark.parametrize("payload, field", [
    ({}, "text"), ({"text": ""}, "text"), ({"text": "a\x00b"}, "text"),
    ({"text": "ok", "lang": "en"}, "lang"),
])
def test_flag_text_validation(client, payload, field):
    problem = assert_problem(client.post("/api/v1/flag", json=payload), 422)
    assert list(problem["errors"]["json"]) == [field]


def test_flag_text_length_limit(make_app):
    client = signed_in(make_app({"CLAIMDESK_MAX_FLAG_CHARS": "50"}))
    assert client.post("/api/v1/flag", json={"text": "x" * 50}).status_code == 200
    problem = assert_problem(client.post("/api/v1/flag", json={"text": "x" * 51}), 413)
    assert problem["errors"] == {"text": ["Longer than 50 characters."]}
    assert problem["detail"].startswith("The text is 51 characters; the limit for flagging on demand is 50.")


def test_flag_text_length_limit_by_default_turns_away_what_froze_a_web_process(client):
    # 500,000 spaces and a little more: before the limit and the linear detector, a web process answered
    # nothing for minutes. Refused before detection, at once.
    limit = Settings.from_env({}).max_flag_chars
    problem = assert_problem(client.post("/api/v1/flag", json={"text": "a" + " " * limit}), 413)
    assert f"the limit for flagging on demand is {limit:,}" in problem["detail"]


def test_flag_text_of_500_000_spaces_is_answered_at_once(client):
    # What froze a web process for minutes, at the limit so that it is detected: the paragraph regex
    # rescanned the rest of a blank line from each of its characters. A regression fails at the cap.
    limit = Settings.from_env({}).max_flag_chars

    class StillRunning(BaseException):  # not an Exception: the app's error handler must not answer it
        pass

    def _expire(signum, frame):
        raise StillRunning("POST /flag of 500,000 spaces still running after 10 s of CPU")

    previous = signal.signal(signal.SIGPROF, _expire)
    signal.setitimer(signal.ITIMER_PROF, 10)
    try:
        started = time.thread_time()
        response = client.post("/api/v1/flag", json={"text": " " * limit})
        took = time.thread_time() - started
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    assert response.status_code == 200
    assert response.get_json()["flags"] == []
    assert took < 5, f"{took:.1f} s of CPU"


def test_flag_text_is_rate_limited_per_address(make_app):
    client = signed_in(make_app({"CLAIMDESK_FLAG_RATE_LIMIT": "3 per minute"}))
    for _ in range(3):
        assert client.post("/api/v1/flag", json={"text": "Officials said 12% were hurt."}).status_code == 200
    response = client.post("/api/v1/flag", json={"text": "Officials said 12% were hurt."})
    problem = assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert problem["status"] == 429
    # Reads of the same address are not counted against it.
    assert client.get("/api/v1/version").status_code == 200


def test_the_openapi_document_lists_flag_kinds_and_subtypes_as_enums(anonymous):
    spec = anonymous.get("/api/openapi.json").get_json()
    kinds, subtypes = list(flag_kinds.kind_names()), list(flag_kinds.all_subtypes())
    for name in ("Flag", "DetectedFlag"):
        properties = spec["components"]["schemas"][name]["properties"]
        assert properties["kind"]["enum"] == kinds
        assert [s for s in properties["subtype"]["enum"] if s is not None] == subtypes
    for path in ("/api/v1/articles", "/api/v1/flags"):
        parameters = {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"]}
        assert parameters["kind"]["enum"] == kinds and parameters["subtype"]["enum"] == subtypes
