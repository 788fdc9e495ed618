"""Request limits and response headers every answer must respect: 413 for bodies over the limit however
they are sent, Allow on every 405, problem+json for over-long request lines and headers, no-store."""
from __future__ import annotations

import io
import json
import time

import pytest
from werkzeug.test import EnvironBuilder

from tests.api.conftest import BODY, PASSWORD, assert_problem, bearer_client, post_article, signed_in

API = "/api/v1"


class _Chunked(io.RawIOBase):
    """A body the way gunicorn hands over a chunked upload: a stream without Content-Length."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.read_bytes = data, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        piece = self.data[self.pos:self.pos + len(b)]
        b[:len(piece)] = piece
        self.pos += len(piece)
        self.read_bytes += len(piece)
        return len(piece)


def _post_chunked(client, path: str, data: bytes, content_type: str):
    """POST `data` with no Content-Length, as gunicorn passes on Transfer-Encoding: chunked."""
    stream = _Chunked(data)
    builder = EnvironBuilder(path=path, method="POST", content_type=content_type,
                             headers=client.environ_base and {"Authorization": client.environ_base.get(
                                 "HTTP_AUTHORIZATION", "")})
    environ = builder.get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": stream, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    app = client.application
    return app.response_class.from_app(app, environ, buffered=True), stream


@pytest.fixture
def small(make_app):
    """An app with a 2 KiB request limit and a 64 KiB batch limit, and an editor's client of it."""
    app = make_app({"CLAIMDESK_MAX_REQUEST_BYTES": "2048", "CLAIMDESK_MAX_BATCH_BYTES": "65536"})
    return signed_in(app)


def test_a_chunked_json_body_over_the_limit_is_413_not_400(small):
    data = json.dumps({"body": BODY + " x" * 2000}).encode()
    response, stream = _post_chunked(small, f"{API}/articles", data, "application/json")
    problem = assert_problem(response, 413)
    assert problem["title"] == "Request Entity Too Large"
    assert stream.read_bytes <= 2048 + 1  # it stopped reading at the limit
    assert small.get(f"{API}/articles").get_json()["items"] == []


def test_a_chunked_body_of_exactly_the_limit_is_accepted(small):
    data = json.dumps({"body": BODY}).encode()
    data = data[:-1] + b" " * (2048 - len(data)) + b"}"
    assert len(data) == 2048
    response, _ = _post_chunked(small, f"{API}/articles", data, "application/json")
    assert response.status_code == 202, response.get_data(as_text=True)


def test_a_chunked_batch_over_the_batch_limit_is_413_and_stops_at_the_limit(small):
    line = json.dumps({"body": BODY}).encode() + b"\n"
    data = line + b"\n" * 200_000 + line
    response, stream = _post_chunked(small, f"{API}/batches", data, "application/x-ndjson")
    problem = assert_problem(response, 413)
    assert problem["title"] == "Request Entity Too Large"
    assert stream.read_bytes <= 65536 + 1
    batches = small.get(f"{API}/batches").get_json()["items"]
    assert [b["articles"] for b in batches] == [1]  # what came before the limit is kept


def test_a_batch_of_blank_lines_is_read_in_linear_time(make_app):
    """Runs of blank lines are skipped in bulk, not a Python call per line (210 MB took 123 s)."""
    client = signed_in(make_app({"CLAIMDESK_MAX_BATCH_BYTES": str(40 * 1024 * 1024)}))
    line = json.dumps({"body": BODY}).encode() + b"\n"
    data = b"\n" * (30 * 1024 * 1024) + line
    started = time.monotonic()
    response, _ = _post_chunked(client, f"{API}/batches", data, "application/x-ndjson")
    elapsed = time.monotonic() - started
    assert response.status_code == 202, response.get_data(as_text=True)
    batch = response.get_json()
    assert batch["articles"] == 1 and batch["error_count"] == 0
    # A bound generous for a loaded 2-core machine: per-line handling took over 20 s here.
    assert elapsed < 10, f"{elapsed:.1f} s for 30 MB of blank lines"


def test_a_content_length_over_the_limit_is_413_before_reading(small):
    response = small.post(f"{API}/articles", data=b"{" + b" " * 4000 + b"}", content_type="application/json")
    assert_problem(response, 413)


@pytest.mark.parametrize("method, path", [("trace", f"{API}/articles"), ("put", f"{API}/articles"),
                                          ("delete", f"{API}/flags"), ("post", f"{API}/health"),
                                          ("trace", "/"), ("delete", "/login")])
def test_every_405_says_which_methods_are_allowed(client, method, path):
    response = client.open(path, method=method.upper())
    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
    assert "GET" in allowed or "POST" in allowed, response.headers
    assert method.upper() not in allowed


def test_a_too_long_request_line_is_a_414_problem(client):
    response = client.get(f"{API}/articles", query_string={"q": "x" * 5000})
    problem = assert_problem(response, 414)
    assert problem["title"] == "URI Too Long"


def test_a_too_large_header_field_is_a_431_problem(client):
    response = client.get(f"{API}/articles", headers={"X-Padding": "x" * 9000})
    assert_problem(response, 431)


def test_answers_to_authenticated_requests_are_no_store(app, client, tokens):
    article = post_article(client)
    for path in (f"{API}/articles", f"{API}/articles/{article['id']}", f"{API}/auth/me", f"{API}/no-such"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    cookie = app.test_client()
    login = cookie.post(f"{API}/auth/login", json={"username": "rita", "password": PASSWORD})
    assert login.status_code == 200 and login.headers.get("Cache-Control") == "no-store"
    assert cookie.get(f"{API}/articles").headers.get("Cache-Control") == "no-store"
    assert bearer_client(app, "cd_" + "x" * 43).get(f"{API}/articles").headers["Cache-Control"] == "no-store"


def test_static_assets_keep_caching(anonymous):
    for path in ("/desk/static/desk.css", "/api/docs/assets/swagger-ui.css"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
