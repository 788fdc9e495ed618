"""The export endpoints over HTTP: streamed downloads, re-anchoring W3C selectors, errors and settings."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest
from werkzeug.test import EnvironBuilder

from service.domain.access import Role
from service.services import exports as exports_service
from service.services.flagging import flag_article
from tests.api.conftest import add_account, assert_problem, post_article, signed_in
from tests.fakes import KeywordDetector
from tests.jsonld import assert_every_term_defined

# "60" and "Peskov" each appear twice, so only the prefix and suffix tell the occurrences apart.
BODY = ("Peskov said 60 servicemen died at the base. Officials said 60 more were hurt. "
        "Peskov later denied both figures.")
DETECTOR = KeywordDetector({"Peskov": ("sourcing", "named"), "60": ("number", "count")})


@pytest.fixture
def article(client, client_as, session) -> dict:
    article = post_article(client, BODY, url="https://news.example/base")
    flag_article(session, article["id"], detector=DETECTOR, version="t1")
    for claim in article["claims"]:
        at = claim["text"].find("60")
        span = {"selector": {"start": at, "end": at + 2}} if at >= 0 else {}
        annotate(client_as("rita"), claim, verdict="misleading", **span)
    # One annotation on the whole claim, with no selector, by another reviewer.
    annotate(client_as("rob"), article["claims"][0], note="n")
    return client.get(f"/api/v1/articles/{article['id']}").get_json()


def annotate(client, claim: dict, **fields) -> dict:
    response = client.post(f"/api/v1/claims/{claim['id']}/annotations", json=fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def reanchor(body: str, selector: dict) -> tuple[int, int]:
    """Find a TextQuoteSelector the way an annotation client does: the one place with that context."""
    exact, prefix, suffix = selector["exact"], selector["prefix"], selector["suffix"]
    places = [i for i in range(len(body)) if body.startswith(exact, i)
              and body[:i].endswith(prefix) and body[i + len(exact):].startswith(suffix)]
    assert len(places) == 1, (selector, places)
    return places[0], places[0] + len(exact)


@pytest.mark.parametrize(("format_name", "media_type", "extension"), [
    ("claimreview", "application/x-ndjson", "ndjson"), ("w3c", "application/x-ndjson", "ndjson"),
    ("csv", "text/csv", "csv")])
def test_exports_are_streamed_downloads(client, article, format_name, media_type, extension):
    response = client.get(f"/api/v1/articles/{article['id']}/export?format={format_name}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == media_type
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="claimdesk-{format_name}-article-{article["id"]}.{extension}"')
    assert response.get_data(as_text=True)


def test_w3c_export_re_anchors_every_annotation_in_the_body_from_the_api(client, article):
    response = client.get(f"/api/v1/articles/{article['id']}/export?format=w3c")
    documents = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    flags = sum(len(c["flags"]) for c in article["claims"])
    assert len(documents) == flags + article["annotation_count"] == 8
    for document in documents:
        assert_every_term_defined(document)
        target = document["target"]
        assert target["source"] == "https://news.example/base"
        # The stored copy whose body the offsets count into, looked up through the API.
        body = client.get(urlsplit(target["state"]["cached"]).path).get_json()["body"]
        text_quote, position = target["selector"]
        assert reanchor(body, text_quote) == (position["start"], position["end"])
        assert body[position["start"]:position["end"]] == text_quote["exact"]
    whole_claim = next(d for d in documents if d["creator"].get("nickname") == "rob")
    assert whole_claim["target"]["selector"][0]["exact"] == article["claims"][0]["text"]


def test_an_article_without_a_url_is_its_own_source(client, session):
    article = post_article(client, "Officials said 60 servicemen died.")
    annotate(client, article["claims"][0], note="n")
    [document] = [json.loads(line) for line in client.get(
        f"/api/v1/articles/{article['id']}/export?format=w3c").get_data(as_text=True).splitlines()]
    assert document["target"]["source"] == f"http://localhost/api/v1/articles/{article['id']}"
    assert "state" not in document["target"]
    assert document["motivation"] == "commenting"


def test_csv_export_parses_with_the_quoted_text(client, article):
    text = client.get(f"/api/v1/articles/{article['id']}/export?format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 8 and {r["row_type"] for r in rows} == {"flag", "annotation"}
    for row in rows:
        assert BODY[int(row["start"]):int(row["end"])] == row["exact"]
        assert row["article_url"] == "https://news.example/base"


def test_claim_review_uses_the_configured_organisation_and_public_address(make_app):
    client = signed_in(make_app({"CLAIMDESK_ORG_NAME": "Westbridge Checks",
                                 "CLAIMDESK_ORG_URL": "https://checks.example",
                                 "CLAIMDESK_PUBLIC_URL": "https://desk.example/"}))
    article = post_article(client, "Officials said 60 servicemen died.")
    claim = article["claims"][0]
    annotate(client, claim, verdict="accurate")
    review = json.loads(client.get(f"/api/v1/articles/{article['id']}/export?format=claimreview").get_data())
    assert review["author"] == {"@type": "Organization", "name": "Westbridge Checks",
                                "url": "https://checks.example"}
    assert review["url"] == f"https://desk.example/api/v1/claims/{claim['id']}"
    assert review["reviewRating"]["ratingValue"] == review["reviewRating"]["bestRating"] == 7
    assert_every_term_defined(review)


def test_exports_of_many_articles_by_creation_time(client, article):
    other = post_article(client, "A second article said 12 things.")
    annotate(client, other["claims"][0], verdict="opinion")

    def reviewed(**args) -> list[int]:
        query = "&".join(f"{k}={quote(v)}" for k, v in {"format": "claimreview", **args}.items())
        response = client.get(f"/api/v1/exports?{query}")
        assert response.status_code == 200 and response.is_streamed
        return [int(urlsplit(json.loads(line)["url"]).path.rsplit("/", 1)[1])
                for line in response.get_data(as_text=True).splitlines()]

    claims = [c["id"] for c in article["claims"]] + [other["claims"][0]["id"]]
    assert reviewed() == claims
    hour = timedelta(hours=1)
    now = datetime.now(UTC)
    assert reviewed(since=(now - hour).isoformat(), until=(now + hour).isoformat()) == claims
    assert reviewed(since=(now + hour).isoformat()) == []
    assert reviewed(status="queued") == [other["claims"][0]["id"]]
    response = client.get("/api/v1/exports?format=csv&status=failed")
    assert response.get_data(as_text=True).splitlines() == [",".join(
        ["article_id", "article_title", "article_url", "claim_id", "claim_position", "row_type", "kind",
         "subtype", "verdict", "note", "evidence", "reviewer", "start", "end", "exact", "attrs",
         "detector_version", "created_at"])]
    assert response.headers["Content-Disposition"] == 'attachment; filename="claimdesk-csv-failed.csv"'


@pytest.mark.parametrize("query", ["format=xml", "", "format=csv&color=red", "format=w3c&status=lost",
                                   "format=csv&since=2024-05-02T00:00:00Z&until=2024-05-01T00:00:00Z",
                                   "format=csv&since=yesterday", "format=csv&batch=0"])
def test_bad_export_arguments_are_problems(client, query):
    assert_problem(client.get(f"/api/v1/exports?{query}"), 422)


def test_an_unknown_format_names_the_formats(client, article):
    problem = assert_problem(client.get(f"/api/v1/articles/{article['id']}/export?format=json"), 422)
    assert problem["errors"] == {"query": {"format": ["Must be one of: claimreview, w3c, csv."]}}


def test_a_missing_article_or_batch_is_a_404_before_anything_streams(client):
    assert_problem(client.get("/api/v1/articles/4242/export?format=w3c"), 404)
    assert_problem(client.get("/api/v1/exports?format=csv&batch=4242"), 404)


def test_the_openapi_document_describes_both_download_types(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/exports", "/api/v1/articles/{article_id}/export"):
        ok = spec["paths"][path]["get"]["responses"]["200"]
        assert set(ok["content"]) == {"application/x-ndjson", "text/csv"}
        assert "Content-Disposition" in ok["headers"]


# --- A streamed body and the database connection it reads from ------------------------------------------

def _checked_out(app) -> int:
    """Pooled connections in use, of both engines (reads stream from the autocommit one)."""
    database = app.extensions["claimdesk"].database
    return database.engine.pool.checkedout() + database.read_engine.pool.checkedout()


@pytest.mark.parametrize("format_name", ["claimreview", "w3c", "csv"])
def test_every_export_gives_its_database_connection_back(app, client, article, format_name):
    baseline = _checked_out(app)
    for path in (f"/api/v1/articles/{article['id']}/export", "/api/v1/exports"):
        for _ in range(6):
            response = client.get(f"{path}?format={format_name}")
            assert response.status_code == 200 and response.get_data(as_text=True)
    # No gc.collect(): the stream closes its session itself, not the garbage collector.
    assert _checked_out(app) == baseline


def test_an_export_abandoned_halfway_gives_its_connection_back(app, client, article, monkeypatch):
    monkeypatch.setattr(exports_service, "CLAIM_CHUNK", 1)  # a chunk per claim: several to stop between
    baseline = _checked_out(app)
    for _ in range(6):
        response = client.get("/api/v1/exports?format=csv", buffered=False)
        chunks = iter(response.response)
        assert next(chunks) and next(chunks)  # the client reads a little, then hangs up
        response.close()
    assert _checked_out(app) == baseline


def test_an_export_abandoned_before_its_first_chunk_gives_its_connection_back(app, tokens, article):
    # Straight through WSGI: the test client always reads the first chunk; a server whose client has
    # gone may only close the body.
    environ = EnvironBuilder(f"/api/v1/articles/{article['id']}/export", query_string={"format": "w3c"},
                             headers={"Authorization": f"Bearer {tokens['rita']}"}).get_environ()
    baseline, statuses = _checked_out(app), []
    for _ in range(6):
        body = app(environ, lambda status, _headers, *_: statuses.append(status))
        body.close()
    assert statuses == ["200 OK"] * 6
    assert _checked_out(app) == baseline


def test_an_export_that_fails_midway_gives_its_connection_back(app, client, article, monkeypatch):
    def broken(*_args):
        raise RuntimeError("the disk is full")
        yield  # a generator, as the real one

    monkeypatch.setattr(exports_service, "_csv_rows", broken)
    baseline = _checked_out(app)
    for _ in range(3):
        with pytest.raises(RuntimeError):  # the test client reads the body as it asks
            client.get(f"/api/v1/articles/{article['id']}/export?format=csv")
    assert _checked_out(app) == baseline


def test_csv_cells_hiding_a_formula_are_made_inert(client):
    title = "\u200b\u00a0=HYPERLINK(\"https://evil.example\")"
    article = post_article(client, "Officials said 60 servicemen died.", title=title)
    for note in ("\ufeff=1+1", "\uff1dcmd|' /C calc'!A0", "|calc"):
        annotate(client, article["claims"][0], note=note)
    text = client.get(f"/api/v1/articles/{article['id']}/export?format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["note"] for row in rows] == ["'\ufeff=1+1", "'\uff1dcmd|' /C calc'!A0", "'|calc"]
    assert {row["article_title"] for row in rows} == {"'" + title}


# --- Where exported links point: never at a host the caller chose ------------------------------------------

def _annotated(client) -> int:
    article = post_article(client, "Officials said 60 servicemen died.")
    annotate(client, article["claims"][0], note="n")
    return article["id"]


def _w3c_sources(client, article_id: int, **headers) -> list[str]:
    response = client.get(f"/api/v1/articles/{article_id}/export?format=w3c", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [json.loads(line)["target"]["source"] for line in response.get_data(as_text=True).splitlines()]


@pytest.mark.parametrize("forged", [{"Host": "evil.example"}, {"Host": "evil.example:8000"},
                                    {"X-Forwarded-Host": "evil.example"}])
def test_a_forged_host_is_refused_when_no_public_address_is_configured(make_app, forged):
    client = signed_in(make_app({"CLAIMDESK_BEHIND_PROXY": "true"}))
    article_id = _annotated(client)
    for path in (f"/api/v1/articles/{article_id}/export", "/api/v1/exports"):
        for format_name in ("claimreview", "w3c", "csv"):
            problem = assert_problem(client.get(f"{path}?format={format_name}", headers=forged), 400)
            assert "CLAIMDESK_PUBLIC_URL" in problem["detail"] and "evil" not in json.dumps(problem)
    assert _w3c_sources(client, article_id) == [f"http://localhost/api/v1/articles/{article_id}"]


def test_hosts_that_only_look_local_are_refused(make_app):
    app = make_app()
    article_id = _annotated(signed_in(app))
    token = add_account(app, "rita", Role.REVIEWER)
    for host in ("evil.localhost", "localhost.evil.example", "127.0.0.1.evil.example", "[::ffff:127.0.0.1]",
                 "[a:b]", "[::1"):  # the last two are no addresses at all
        # Straight through WSGI: the test client cannot build a URL on "[a:b]" to keep its cookies by.
        environ = EnvironBuilder(f"/api/v1/articles/{article_id}/export", query_string={"format": "w3c"},
                                 headers={"Authorization": f"Bearer {token}"}).get_environ()
        environ["HTTP_HOST"], answers = host, []
        body = b"".join(app(environ, lambda status, headers, *_: answers.append((status, dict(headers)))))
        [(status, headers)] = answers
        assert status == "400 BAD REQUEST" and headers["Content-Type"] == "application/problem+json", (host, body)
        assert "CLAIMDESK_PUBLIC_URL" in json.loads(body)["detail"]


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:8211", "[::1]:8000", "[0:0::1]"])
def test_the_zero_configuration_desk_links_to_the_loopback_address_it_is_used_at(make_app, host):
    client = signed_in(make_app())
    article_id = _annotated(client)
    assert _w3c_sources(client, article_id, Host=host) == [f"http://{host}/api/v1/articles/{article_id}"]


def test_the_configured_public_address_is_used_whatever_the_host(make_app):
    client = signed_in(make_app({"CLAIMDESK_PUBLIC_URL": "https://desk.example"}))
    article_id = _annotated(client)
    assert _w3c_sources(client, article_id, Host="evil.example") == [
        f"https://desk.example/api/v1/articles/{article_id}"]


def test_hosts_on_the_allowed_list_are_linked_to(make_app):
    client = signed_in(make_app({"CLAIMDESK_ALLOWED_HOSTS": "Desk.example, .newsroom.example,[2001:db8::1]"}))
    article_id = _annotated(client)
    url = "{}/api/v1/articles/" + str(article_id)
    for host in ("desk.example:8000", "newsroom.example", "checks.newsroom.example", "[2001:db8:0::1]:8000"):
        assert _w3c_sources(client, article_id, Host=host) == [url.format(f"http://{host}")]
    for host in ("localhost", "evil.desk.example", "badnewsroom.example"):  # the list replaces the default
        assert_problem(client.get(f"/api/v1/articles/{article_id}/export?format=w3c", headers={"Host": host}),
                       400)
