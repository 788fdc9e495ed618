"""POST/GET/DELETE /articles through the HTTP interface: storage, dedup, validation, paging and filters."""
from __future__ import annotations

import sqlite3

import pytest

from service.services.flagging import flag_article
from tests.api.conftest import BODY, assert_problem, post_article, signed_in
from tests.fakes import KeywordDetector, RecordingQueue

DETECTOR = KeywordDetector({"Peskov": ("sourcing", "named"), "60": ("number", "count"),
                            "percent": ("number", "percent")})


def rows(app, sql: str) -> list[tuple]:
    with sqlite3.connect(app.extensions["claimdesk"].settings.database_url.removeprefix("sqlite:///")) as db:
        return db.execute(sql).fetchall()


def assert_claims_index_body(article: dict) -> None:
    assert article["claims"], "an article with text has at least one claim"
    for position, claim in enumerate(article["claims"]):
        assert claim["position"] == position
        assert article["body"][claim["start"]:claim["end"]] == claim["text"]
        assert claim["article_id"] == article["id"]


def test_post_stores_queues_and_points_to_the_article(client, queue):
    response = client.post("/api/v1/articles", json={"body": BODY, "title": "Losses mount",
                                                     "outlet": "Sky News", "url": "https://news.example/a"})
    assert response.status_code == 202
    article = response.get_json()
    assert response.headers["Location"] == f"/api/v1/articles/{article['id']}"
    assert article["status"] == "queued"
    assert article["title"] == "Losses mount"
    assert article["outlet"] == "Sky News"
    assert article["url"] == "https://news.example/a"
    assert article["source_format"] == "text"
    assert article["flag_counts"] == {} and article["annotation_count"] == 0
    assert "60 servicemen" in article["body"]
    assert_claims_index_body(article)
    assert queue.article_ids == [article["id"]]
    assert client.get(response.headers["Location"]).get_json() == article


def test_the_queue_is_asked_only_once_the_article_is_committed(make_app, tmp_path):
    seen: list[tuple] = []

    def look_from_another_connection(article_id: int) -> None:
        with sqlite3.connect(tmp_path / "instance" / "claimdesk.db") as db:
            seen.extend(db.execute("SELECT id, status FROM articles WHERE id = ?", (article_id,)).fetchall())

    app = make_app(queue=RecordingQueue(on_enqueue=look_from_another_connection))
    article = post_article(signed_in(app))
    assert seen == [(article["id"], "queued")]


def test_same_external_id_or_same_body_returns_the_stored_article(client, app, queue):
    first = post_article(client, external_id="cms-1")
    again = client.post("/api/v1/articles", json={"body": "Another text entirely. It differs.",
                                                  "external_id": "cms-1"})
    same_body = client.post("/api/v1/articles", json={"body": BODY})
    for response in (again, same_body):
        assert response.status_code == 200
        assert response.get_json()["id"] == first["id"]
        assert response.headers["Location"] == f"/api/v1/articles/{first['id']}"
    assert rows(app, "SELECT count(*) FROM articles") == [(1,)]
    assert queue.article_ids == [first["id"]]


def test_html_is_cleaned_to_article_text(client):
    html = ("<html><head><title>Troops lost</title></head><body><nav><a href='/'>Home</a></nav>"
            "<article><h1>Troops lost</h1><p>The minister said 40 people attended the meeting on Tuesday."
            "</p><p>Critics say it was fewer than that, according to local reports.</p></article>"
            "</body></html>")
    response = client.post("/api/v1/articles", json={"html": html})
    assert response.status_code == 202
    article = response.get_json()
    assert article["source_format"] == "html"
    assert "40 people attended" in article["body"]
    assert "<p>" not in article["body"]
    assert_claims_index_body(article)


@pytest.mark.parametrize("payload", [{}, {"title": "Only a title"}, {"body": BODY, "html": "<p>x</p>"}])
def test_exactly_one_of_body_and_html(client, payload):
    problem = assert_problem(client.post("/api/v1/articles", json=payload), 422)
    assert problem["errors"] == {"json": {"body": ["Send exactly one of `body` (text) and `html`."]}}


def test_unknown_field_is_named(client):
    problem = assert_problem(client.post("/api/v1/articles", json={"body": BODY, "headline": "x"}), 422)
    assert problem["errors"] == {"json": {"headline": ["Unknown field."]}}
    assert "headline" in problem["detail"]


@pytest.mark.parametrize("url", ["ftp://news.example/a", "javascript:alert(1)", "not a url"])
def test_bad_url(client, url):
    problem = assert_problem(client.post("/api/v1/articles", json={"body": BODY, "url": url}), 422)
    assert problem["errors"] == {"json": {"url": ["Not a valid URL."]}}


@pytest.mark.parametrize("sent, stored", [
    ("2024-01-02T03:04:05", "2024-01-02T03:04:05+00:00"),
    ("2024-01-02T03:04:05+02:00", "2024-01-02T01:04:05+00:00"),
    ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05+00:00"),
])
def test_published_at_without_a_zone_is_utc(client, sent, stored):
    article = post_article(client, published_at=sent)
    assert client.get(f"/api/v1/articles/{article['id']}").get_json()["published_at"] == stored


def test_published_at_must_be_a_datetime(client):
    response = client.post("/api/v1/articles", json={"body": BODY, "published_at": "yesterday"})
    problem = assert_problem(response, 422)
    assert problem["errors"] == {"json": {"published_at": ["Not a valid datetime."]}}


@pytest.mark.parametrize("payload, field", [({"body": "  \n\t "}, "body"),
                                            ({"html": "<html><body><nav></nav></body></html>"}, "html")])
def test_nothing_left_after_cleaning(client, app, queue, payload, field):
    problem = assert_problem(client.post("/api/v1/articles", json=payload), 422)
    assert list(problem["errors"]) == [field]
    assert rows(app, "SELECT count(*) FROM articles") == [(0,)] and queue.article_ids == []


def test_article_longer_than_the_configured_limit(make_app):
    client = signed_in(make_app({"CLAIMDESK_MAX_ARTICLE_CHARS": "100"}))
    problem = assert_problem(client.post("/api/v1/articles", json={"body": "A sentence here. " * 10}), 422)
    assert problem["errors"] == {"body": ["Longer than 100 characters."]}
    assert client.post("/api/v1/articles", json={"body": "A short one."}).status_code == 202


def test_request_larger_than_the_configured_limit(make_app):
    client = signed_in(make_app({"CLAIMDESK_MAX_REQUEST_BYTES": "1000"}))
    assert_problem(client.post("/api/v1/articles", json={"body": "A sentence here. " * 100}), 413)


@pytest.mark.parametrize("raw", ['{"body": "unterminated', "[" * 100_000, b'{"body": "\xff\xfe"}'])
def test_invalid_json_is_a_400(client, raw):
    problem = assert_problem(client.post("/api/v1/articles", data=raw, content_type="application/json"), 400)
    assert problem["errors"] == {"json": ["Invalid JSON body."]}


@pytest.mark.parametrize("raw, field", [
    ('{"body": "The cat\\u0000 sat."}', "body"),
    ('{"body": "The cat\\u0007 sat."}', "body"),
    ('{"body": "The cat \\ud800 sat."}', "body"),
    ('{"body": "The cat sat.", "title": "Cat\\udfff"}', "title"),
    ('{"body": "The cat sat.", "outlet": "\\u001b[31m"}', "outlet"),
])
def test_control_characters_and_lone_surrogates_are_422(client, app, raw, field):
    problem = assert_problem(client.post("/api/v1/articles", data=raw, content_type="application/json"), 422)
    assert list(problem["errors"]["json"]) == [field]
    assert rows(app, "SELECT count(*) FROM articles") == [(0,)]


def test_broker_down_still_accepts_the_article(make_app):
    queue = RecordingQueue(accept=False)
    client = signed_in(make_app(queue=queue))
    response = client.post("/api/v1/articles", json={"body": BODY})
    assert response.status_code == 202
    article_id = response.get_json()["id"]
    assert queue.refused == [article_id]
    assert client.get(f"/api/v1/articles/{article_id}").get_json()["status"] == "queued"


def test_pages_cover_every_article_once_newest_first(client):
    ids = [post_article(client, f"Article number {n} reports on the vote.")["id"] for n in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/articles", query_string=query)
        assert response.status_code == 200
        page = response.get_json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    assert pages == 3


def test_a_page_that_exactly_fills_has_no_next_cursor(client):
    for n in range(2):
        post_article(client, f"Article number {n} reports on the vote.")
    page = client.get("/api/v1/articles?limit=2").get_json()
    assert len(page["items"]) == 2 and page["next_cursor"] is None


def test_filter_by_status_and_outlet(client, session):
    a = post_article(client, "First story. It is about 60 servicemen.", outlet="Sky News")
    b = post_article(client, "Second story. Peskov said so.", outlet="BBC")
    flag_article(session, b["id"], detector=DETECTOR, version="test-1")

    def ids(**query) -> list[int]:
        response = client.get("/api/v1/articles", query_string=query)
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    assert ids(status="queued") == [a["id"]]
    assert ids(status="flagged") == [b["id"]]
    assert ids(status="failed") == []
    assert ids(outlet="BBC") == [b["id"]]
    assert ids(outlet="Nobody") == []


def test_filter_by_flag_kind_and_subtype_uses_current_flags(client, session):
    numbers = post_article(client, "First story. It is about 60 servicemen.")
    sourcing = post_article(client, "Second story. Peskov said so.")
    unflagged = post_article(client, "Third story. Peskov and 60 others.")
    for article in (numbers, sourcing):
        flag_article(session, article["id"], detector=DETECTOR, version="test-1")

    def ids(**query) -> list[int]:
        return [item["id"] for item in client.get("/api/v1/articles", query_string=query).get_json()["items"]]

    assert ids(kind="number") == [numbers["id"]]
    assert ids(kind="sourcing") == [sourcing["id"]]
    assert ids(subtype="count") == [numbers["id"]]
    assert ids(kind="number", subtype="named") == []
    assert ids(kind="quote") == []
    assert unflagged["id"] not in ids(kind="number") + ids(kind="sourcing")
    # A newer detector version that finds nothing hides the older flags from the filter.
    flag_article(session, numbers["id"], detector=KeywordDetector({}), version="test-2")
    assert ids(kind="number") == []


def test_free_text_search_treats_percent_and_underscore_literally(client):
    literal = post_article(client, "Prices rose 100% in a year. The file was called tax_2024.", title="Tax")
    other = post_article(client, "Prices rose by 100 points. The file was called tax-2024 here.")

    def ids(q: str) -> list[int]:
        response = client.get("/api/v1/articles", query_string={"q": q})
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("100%") == [literal["id"]]
    assert ids("tax_2024") == [literal["id"]]
    assert ids("PRICES ROSE") == [other["id"], literal["id"]]
    assert ids("%") == [literal["id"]]
    assert ids("_") == [literal["id"]]


def test_filter_by_publication_range(client):
    old = post_article(client, "An old story. It ran long ago.", published_at="2020-05-01T12:00:00Z")
    new = post_article(client, "A new story. It ran this year.", published_at="2024-05-01T12:00:00+02:00")
    post_article(client, "An undated story. Nobody knows when.")

    def ids(**query) -> list[int]:
        response = client.get("/api/v1/articles", query_string=query)
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    assert ids(published_from="2021-01-01T00:00:00Z") == [new["id"]]
    assert ids(published_to="2021-01-01T00:00:00") == [old["id"]]
    both = ids(published_from="2020-05-01T12:00:00Z", published_to="2024-05-01T10:00:00Z")
    assert both == [new["id"], old["id"]]
    assert ids(published_from="2024-05-01T10:00:01Z") == []


@pytest.mark.parametrize("cursor", ["zzz", "aWQ6YWJj", "bm9wZTox", "aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk"])
def test_a_cursor_the_api_did_not_hand_out_is_422(client, cursor):
    problem = assert_problem(client.get("/api/v1/articles", query_string={"cursor": cursor}), 422)
    assert problem["errors"] == {"cursor": ["Invalid cursor."]}


@pytest.mark.parametrize("query, field", [
    ("bogus=1", "bogus"), ("status=done", "status"), ("kind=opinion", "kind"), ("limit=0", "limit"),
    ("limit=201", "limit"), ("q=%00", "q"), ("published_from=soon", "published_from"),
])
def test_bad_query_parameters_are_422_naming_them(client, query, field):
    problem = assert_problem(client.get(f"/api/v1/articles?{query}"), 422)
    assert list(problem["errors"]["query"]) == [field]
    assert field in problem["detail"]


def test_read_shows_claims_current_flags_and_annotation_counts(client, session):
    article = post_article(client)
    flag_article(session, article["id"], detector=KeywordDetector({"Peskov": ("sourcing", "named")}),
                 version="test-1")
    flag_article(session, article["id"], detector=DETECTOR, version="test-2")
    claim_id = article["claims"][0]["id"]
    for verdict in ("accurate", "misleading"):
        assert client.post(f"/api/v1/claims/{claim_id}/annotations",
                           json={"verdict": verdict}).status_code == 201

    shown = client.get(f"/api/v1/articles/{article['id']}").get_json()
    assert shown["status"] == "flagged" and shown["detector_version"] == "test-2"
    flags = [f for claim in shown["claims"] for f in claim["flags"]]
    assert {f["detector_version"] for f in flags} == {"test-2"}
    assert sorted(f["text"] for f in flags) == ["60", "Peskov", "percent"]
    assert all(shown["body"][f["start"]:f["end"]] == f["text"] for f in flags)
    assert shown["flag_counts"] == {"number": 2, "sourcing": 1}
    assert shown["claims"][0]["annotation_count"] == 2
    assert shown["annotation_count"] == 2 and shown["annotated_claims"] == 1
    assert client.get(f"/api/v1/articles/{article['id']}/claims").get_json() == shown["claims"]


def test_delete_removes_the_article_and_everything_on_it(client, app, session):
    article = post_article(client)
    kept = post_article(client, "Another story. It stays.")
    flag_article(session, article["id"], detector=DETECTOR, version="test-1")
    claim_id = article["claims"][0]["id"]
    annotation = client.post(f"/api/v1/claims/{claim_id}/annotations",
                             json={"note": "check"})
    assert annotation.status_code == 201

    response = client.delete(f"/api/v1/articles/{article['id']}")
    assert response.status_code == 204 and response.get_data() == b""
    assert_problem(client.get(f"/api/v1/articles/{article['id']}"), 404)
    assert_problem(client.delete(f"/api/v1/articles/{article['id']}"), 404)
    assert_problem(client.get(f"/api/v1/claims/{claim_id}"), 404)
    assert_problem(client.get(annotation.headers["Location"]), 404)
    for table in ("claims", "flags"):
        assert rows(app, f"SELECT count(*) FROM {table} WHERE article_id = {article['id']}") == [(0,)]
    assert rows(app, "SELECT count(*) FROM annotations") == [(0,)]
    assert rows(app, "SELECT id FROM articles") == [(kept["id"],)]


def test_a_deleted_articles_ids_are_never_reused_nor_its_history_shown_again(client, app):
    """SQLite used to hand out max(id) + 1: after deleting the newest article the next one got its ids,
    and its claims the old claims' history (a reviewer's note on a deleted article)."""
    post_article(client, "An older story. It stays.")
    doomed = post_article(client)
    claim_id = doomed["claims"][0]["id"]
    note = client.post(f"/api/v1/claims/{claim_id}/annotations", json={"note": "Not the minister."})
    assert note.status_code == 201
    article_url = f"/api/v1/articles/{doomed['id']}"
    etag = client.get(article_url).headers["ETag"]
    assert client.put(f"{article_url}/review-status", json={"status": "in-review"},
                      headers={"If-Match": etag}).status_code == 200
    assert client.get(f"/api/v1/claims/{claim_id}/history").get_json()
    assert client.delete(article_url).status_code == 204

    new = post_article(client, "A new story about something else. Nobody has read it yet.")
    assert new["id"] > doomed["id"]
    assert min(c["id"] for c in new["claims"]) > max(c["id"] for c in doomed["claims"])
    for claim in new["claims"]:
        assert client.get(f"/api/v1/claims/{claim['id']}/history").get_json() == []
    first = client.post(f"/api/v1/claims/{new['claims'][0]['id']}/annotations", json={"note": "fresh"})
    assert int(first.get_json()["id"]) > int(note.get_json()["id"])
    assert rows(app, "SELECT count(*) FROM history WHERE username != ''") == [(1,)], \
        "the deleted article's history went with it"


# 25 words of 60 letters: a headline by its shape (no full stop, under 30 words), 1,524 characters long.
LONG_HEADLINE = " ".join(f"{'Supercalifragilistic' * 3}{i:02d}" for i in range(25))


@pytest.mark.both_backends
def test_a_headline_too_long_for_its_column_is_cut_at_a_word_and_a_given_one_is_refused(make_app):
    client = signed_in(make_app())
    body = f"{LONG_HEADLINE}\n\nThe council said repairs would cost £2 million."
    article = post_article(client, body=body)
    assert len(article["title"]) <= 1000 and article["title"].endswith("…")
    kept = article["title"].removesuffix("…")
    assert LONG_HEADLINE.startswith(kept) and LONG_HEADLINE[len(kept)] == " "  # cut between two words
    assert article["claims"][0]["text"] == LONG_HEADLINE  # the claim keeps the whole headline
    assert client.get(f"/api/v1/articles/{article['id']}").get_json()["title"] == article["title"]

    for html in (False, True):
        text = f"<html><body><article><p>{body}</p></article></body></html>" if html else body
        problem = assert_problem(client.post("/api/v1/articles", json={
            "html" if html else "body": text, "title": "A" * 1001}), 422)
        assert problem["errors"] == {"json": {"title": ["Longer than maximum length 1000."]}}
