"""/batches and /reflag over HTTP: uploads of both content types, limits, progress, cancel, re-flag."""
from __future__ import annotations

import io
import json

import pytest
from marshmallow import fields

from service.schemas.common import AwareDateTime
from service.services.flagging import flag_article
from tests.api.conftest import assert_problem, signed_in
from tests.fakes import KeywordDetector

NDJSON = "application/x-ndjson"
DETECTOR = KeywordDetector({"Officials": ("sourcing", "vague"), "homes": ("number", "count")})


def story(i: int, outlet: str = "Westbridge Gazette") -> dict:
    return {"title": f"Flooding, day {i}", "outlet": outlet, "external_id": f"wg-{i}",
            "body": f"Officials said {i * 7 + 3} homes were flooded on day {i}. Residents were not warned."}


def jsonl(*rows: dict | str) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode()


def upload(client, body: bytes, content_type: str = NDJSON):
    return client.post("/api/v1/batches", data=body, content_type=content_type)


def test_an_ndjson_upload_is_stored_queued_and_reported(client, queue):
    response = upload(client, jsonl(story(1), "", "not json", story(2), story(1)))
    assert response.status_code == 202, response.get_data(as_text=True)
    batch = response.get_json()
    assert response.headers["Location"] == f"/api/v1/batches/{batch['id']}"
    assert {k: batch[k] for k in ("kind", "status", "total", "articles", "queued", "flagged", "failed",
                                  "duplicates", "error_count", "finished_at", "articles_per_second")} == {
        "kind": "import", "status": "running", "total": 4, "articles": 2, "queued": 2, "flagged": 0,
        "failed": 0, "duplicates": 1, "error_count": 1, "finished_at": None, "articles_per_second": None}
    assert batch["errors"] == [
        {"line": 3, "problem": "not valid JSON: Expecting value: line 1 column 1 (char 0)"}]
    assert batch["started_at"] and batch["filter"] is None
    assert len(queue.article_ids) == 2
    assert client.get(response.headers["Location"]).get_json() == batch
    articles = client.get("/api/v1/articles", query_string={"outlet": "Westbridge Gazette"}).json["items"]
    assert sorted(a["external_id"] for a in articles) == ["wg-1", "wg-2"]


def test_a_multipart_upload_is_read_from_its_file_part(client, queue):
    response = client.post("/api/v1/batches", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(jsonl(story(1), story(2))), "nightly.jsonl")})
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["articles"] == 2 and len(queue.article_ids) == 2


def test_a_multipart_upload_without_a_file_part_is_a_problem(client):
    response = client.post("/api/v1/batches", content_type="multipart/form-data", data={"other": "x"})
    problem = assert_problem(response, 422)
    assert problem["errors"] == {"file": ["Missing data for required field."]}


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
def test_other_content_types_are_unsupported(client, content_type):
    problem = assert_problem(upload(client, jsonl(story(1)), content_type), 415)
    assert "application/x-ndjson" in problem["detail"]
    assert client.get("/api/v1/batches").get_json()["items"] == []


def test_batches_have_their_own_size_limit_above_the_request_limit(make_app):
    app = make_app(env={"CLAIMDESK_MAX_REQUEST_BYTES": "2000", "CLAIMDESK_MAX_BATCH_BYTES": "4000"})
    client = signed_in(app)
    small, body = jsonl(*[story(i) for i in range(15)]), jsonl(*[story(i) for i in range(15, 40)])
    assert 2000 < len(small) < 4000 < len(body)
    fits = upload(client, small)
    assert fits.status_code == 202, fits.get_data(as_text=True)
    problem = assert_problem(upload(client, body), 413)
    assert problem["title"] == "Request Entity Too Large"
    too_big = client.post("/api/v1/batches", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(body), "nightly.jsonl")})
    assert_problem(too_big, 413)
    assert [b["id"] for b in client.get("/api/v1/batches").get_json()["items"]] == [fits.get_json()["id"]]
    # Single articles keep the request limit.
    assert_problem(client.post("/api/v1/articles", json={"body": "x" * 3000}), 413)


def test_over_the_line_limit_is_a_problem_naming_the_batch_that_kept_the_first_lines(make_app):
    client = signed_in(make_app(env={"CLAIMDESK_MAX_BATCH_LINES": "2"}))
    problem = assert_problem(upload(client, jsonl(story(1), story(2), story(3))), 413)
    assert "the lines before line 3 were imported as batch 1" in problem["detail"]
    batch = client.get("/api/v1/batches/1").get_json()
    assert (batch["articles"], batch["status"], batch["error_count"]) == (2, "running", 1)


@pytest.mark.parametrize("body", [
    b"\xff\xfe\x00garbage\n", b"\x00\x00\x00\n", b'{"body": "\\ud800 lone"}\n', b'{"body": "a\x00b"}\n',
    b"[" * 100_000 + b"\n", b'{"body": ' + b"1" * 10_000 + b"}\n", b'"just a string"\n', b"null\n",
    b'{"body": "x", "published_at": "yesterday"}\n', b'{"html": "<html></html>"}\n',
])
def test_no_line_makes_a_500(client, body):
    response = upload(client, body)
    assert response.status_code == 202, response.get_data(as_text=True)
    batch = response.get_json()
    assert batch["error_count"] == 1 and batch["articles"] == 0 and batch["errors"][0]["line"] == 1


def test_progress_counts_follow_the_workers_and_the_batch_finishes(client, session):
    batch = upload(client, jsonl(story(1), story(2), story(3))).get_json()
    ids = [a["id"] for a in client.get("/api/v1/articles").get_json()["items"]]
    flag_article(session, ids[0], detector=DETECTOR, version="t1")
    partial = client.get(f"/api/v1/batches/{batch['id']}").get_json()
    assert (partial["queued"], partial["flagged"], partial["status"]) == (2, 1, "running")
    for article_id in ids[1:]:
        flag_article(session, article_id, detector=DETECTOR, version="t1")
    done = client.get(f"/api/v1/batches/{batch['id']}").get_json()
    assert (done["queued"], done["flagged"], done["status"]) == (0, 3, "finished")
    assert done["finished_at"] and done["articles_per_second"] > 0


def test_batches_are_paged_newest_first(client):
    made = [upload(client, jsonl(story(i))).get_json()["id"] for i in range(3)]
    first = client.get("/api/v1/batches", query_string={"limit": 2}).get_json()
    assert [b["id"] for b in first["items"]] == made[::-1][:2]
    assert "errors" not in first["items"][0] and "error_count" in first["items"][0]
    rest = client.get("/api/v1/batches", query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert [b["id"] for b in rest["items"]] == [made[0]] and rest["next_cursor"] is None
    assert_problem(client.get("/api/v1/batches", query_string={"cursor": "forged"}), 422)
    assert_problem(client.get("/api/v1/batches", query_string={"status": "running"}), 422)


def test_unknown_batches_are_404_problems(client):
    assert_problem(client.get("/api/v1/batches/42"), 404)
    assert_problem(client.post("/api/v1/batches/42/cancel"), 404)
    assert_problem(client.get("/api/v1/batches/99999999999"), 404)


def test_cancel_fails_the_articles_no_worker_started(client, session):
    batch = upload(client, jsonl(story(1), story(2))).get_json()
    first = client.get("/api/v1/articles").get_json()["items"][-1]
    flag_article(session, first["id"], detector=DETECTOR, version="t1")
    response = client.post(f"/api/v1/batches/{batch['id']}/cancel")
    assert response.status_code == 200
    cancelled = response.get_json()
    assert (cancelled["status"], cancelled["flagged"], cancelled["failed"], cancelled["queued"]) == (
        "cancelled", 1, 1, 0)
    failed = client.get("/api/v1/articles", query_string={"status": "failed"}).get_json()["items"]
    assert [a["status_reason"] for a in failed] == ["batch cancelled"]
    assert client.post(f"/api/v1/batches/{batch['id']}/cancel").get_json() == cancelled


def test_reflag_queues_the_matching_articles_as_a_batch(client, session, queue):
    upload(client, jsonl(story(1), story(2), story(3, outlet="Ledger")))
    for article in client.get("/api/v1/articles").get_json()["items"]:
        flag_article(session, article["id"], detector=DETECTOR, version="t1")
    queue.article_ids.clear()
    response = client.post("/api/v1/reflag", json={"outlet": "Westbridge Gazette", "kind": "number"})
    assert response.status_code == 202, response.get_data(as_text=True)
    batch = response.get_json()
    assert response.headers["Location"] == f"/api/v1/batches/{batch['id']}"
    assert (batch["kind"], batch["status"], batch["total"], batch["queued"]) == ("reflag", "running", 2, 2)
    assert batch["filter"] == {"outlet": "Westbridge Gazette", "kind": "number"}
    gazette = client.get("/api/v1/articles", query_string={"outlet": "Westbridge Gazette"}).json["items"]
    assert sorted(queue.article_ids) == sorted(a["id"] for a in gazette)
    assert {a["status"] for a in gazette} == {"queued"}


@pytest.mark.parametrize("payload", [{"status": "lost"}, {"colour": "red"}, {"published_from": "soon"}, [1]])
def test_a_bad_reflag_filter_is_a_problem(client, payload):
    assert_problem(client.post("/api/v1/reflag", json=payload), 422)


def test_the_openapi_document_describes_batches(client):
    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"]["/api/v1/batches"]["post"]
    assert set(post["requestBody"]["content"]) == {NDJSON, "multipart/form-data"}
    assert {"202", "413", "415"} <= set(post["responses"])
    assert set(spec["paths"]) >= {"/api/v1/batches/{batch_id}", "/api/v1/batches/{batch_id}/cancel",
                                  "/api/v1/reflag"}
    assert "articles_per_second" in spec["components"]["schemas"]["Batch"]["properties"]


def _writes(app) -> list[str]:
    """Record the statements either engine of the app runs that change data (and those that lock)."""
    from sqlalchemy import event

    seen: list[str] = []
    database = app.extensions["claimdesk"].database

    def record(_conn, _cursor, statement, *_args) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") or "FOR UPDATE" in statement.upper():
            seen.append(statement)

    for engine in (database.engine, database.read_engine):
        event.listen(engine, "before_cursor_execute", record)
    return seen


def test_reading_a_settled_batch_writes_nothing_and_the_worker_reports_it_finished(app, client, session,
                                                                                   queue, monkeypatch):
    from service.storage.webhooks import Webhook, WebhookDelivery
    from workers import tasks

    session.add(Webhook(url="http://receiver.example/hook", secret="s" * 32, events=["batch.finished"]))
    session.commit()
    batch = upload(client, jsonl(story(1), story(2))).get_json()
    ids = [a["id"] for a in client.get("/api/v1/articles").get_json()["items"]]
    # The first article is flagged by hand: the batch is still running.
    flag_article(session, ids[0], detector=DETECTOR, version="t1")
    # The last one by a worker, flagging it as the task does.
    monkeypatch.setattr(tasks.app, "claimdesk", app.extensions["claimdesk"])
    assert tasks.app.tasks["claimdesk.flag_articles"].run([ids[1]]) == 1
    [delivery] = session.query(WebhookDelivery).filter_by(event="batch.finished").all()
    assert queue.deliveries == [(delivery.id, None)]  # sent at the worker's commit, not by the sweeper
    assert delivery.payload["batch"]["id"] == batch["id"]

    # A batch whose articles settled without a worker (here, flagged by hand) is reported finished by a
    # GET, which writes nothing: the sweeper records it.
    second = upload(client, jsonl(story(3))).get_json()
    [third] = [a["id"] for a in client.get("/api/v1/articles").get_json()["items"] if a["id"] not in ids]
    flag_article(session, third, detector=DETECTOR, version="t1")
    writes = _writes(app)
    shown = client.get(f"/api/v1/batches/{second['id']}").get_json()
    listed = client.get("/api/v1/batches").get_json()["items"]
    assert (shown["status"], listed[0]["status"]) == ("finished", "finished")
    assert shown["finished_at"] is not None
    assert writes == []
    session.expire_all()
    assert session.query(WebhookDelivery).filter_by(event="batch.finished").count() == 1


# Two lines that validate as they were but that the database could not store: a date-time in year 0 once
# in UTC, and a headline (25 long words, no full stop) over PostgreSQL's varchar(1000) for titles.
LONG_HEADLINE = " ".join(f"{'Supercalifragilistic' * 3}{i:02d}" for i in range(25))
BAD_LINES = {150: {**story(150), "published_at": "0001-01-01T00:30:00+01:00"},
             300: {"external_id": "wg-300", "body": f"{LONG_HEADLINE}\n\nOfficials said 3 homes flooded."}}


def import_with_bad_lines(client) -> tuple[bytes, dict]:
    """499 stories, BAD_LINES among them: three chunks of 200 lines, less one."""
    body = jsonl(*[BAD_LINES.get(number, story(number)) for number in range(1, 500)])
    response = upload(client, body)
    assert response.status_code == 202, response.get_data(as_text=True)
    return body, response.get_json()


def assert_no_internals(problem: str) -> None:
    for word in ("INSERT", "SELECT", "sqlalchemy", "psycopg", "sqlite", "Error", "[SQL", "parameters"):
        assert word not in problem, problem


@pytest.mark.both_backends
def test_lines_the_database_could_not_store_are_their_own_errors_and_a_resend_resumes(make_app):
    client = signed_in(make_app())
    body, batch = import_with_bad_lines(client)
    assert (batch["status"], batch["total"], batch["articles"]) == ("running", 499, 498)
    assert batch["errors"] == [{"line": 150, "problem": "published_at: Out of range: in UTC it falls before "
                                                        "0001-01-01 or after 9999-12-31."}]
    # The headline too long for its column is cut to fit, not refused.
    stored = client.get("/api/v1/articles", query_string={"q": "Supercalifragilistic"}).get_json()["items"]
    assert [a["external_id"] for a in stored] == ["wg-300"] and stored[0]["title"].endswith("…")

    again = upload(client, body).get_json()
    assert (again["articles"], again["duplicates"], again["error_count"]) == (0, 498, 1)
    assert again["errors"] == batch["errors"]


@pytest.mark.both_backends
def test_a_line_the_database_refuses_at_insert_fails_alone_not_its_chunk(make_app, backend, monkeypatch):
    # Validation as it was before it knew these limits: dates kept in their own offset, titles uncut. What
    # validation ever misses must still cost only its own line.
    monkeypatch.setattr(AwareDateTime, "_deserialize", fields.AwareDateTime._deserialize)
    monkeypatch.setattr("service.services.articles.fit_title", lambda title: title)
    client = signed_in(make_app())
    refused = [150, 300] if backend == "postgresql" else [150]  # SQLite stores a text of any length
    body, batch = import_with_bad_lines(client)
    assert (batch["status"], batch["total"], batch["articles"]) == ("running", 499, 499 - len(refused))
    assert [e["line"] for e in batch["errors"]] == refused and batch["error_count"] == len(refused)
    for error in batch["errors"]:
        assert error["problem"].startswith("could not be stored: the database refused one of its values")
        assert_no_internals(error["problem"])
    assert client.get(f"/api/v1/batches/{batch['id']}").get_json()["errors"] == batch["errors"]

    again = upload(client, body).get_json()
    assert (again["articles"], again["duplicates"]) == (0, 499 - len(refused))
    assert [e["line"] for e in again["errors"]] == refused
