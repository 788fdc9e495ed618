"""Request limits on a live gunicorn: a chunked body over the limit is a 413 problem read no further than the
limit, and requests gunicorn would answer with its own HTML page get problem+json from the app."""
from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import base_env, start_service, stop_service

pytestmark = pytest.mark.integration
PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """`claimdesk serve` with a 2 KiB request limit and a 1 MiB batch limit."""
    workdir = tmp_path_factory.mktemp("limits")
    env = base_env(workdir / "instance") | {"CLAIMDESK_MAX_REQUEST_BYTES": "2048",
                                            "CLAIMDESK_MAX_BATCH_BYTES": str(1 << 20)}
    service = start_service(env, workdir)
    yield service
    assert stop_service(service) == 0, service.log.read_text()[-3000:]


def _chunked(service, path: str, pieces, content_type: str) -> tuple[int, str, dict, float]:
    """POST the pieces chunked (no Content-Length), stopping when the server hangs up."""
    address = urlsplit(service.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    connection.putrequest("POST", path)
    connection.putheader("Authorization", f"Bearer {service.token}")
    connection.putheader("Content-Type", content_type)
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    started = time.monotonic()
    try:
        for piece in pieces:
            connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        connection.send(b"0\r\n\r\n")
    except OSError:  # the server answered and closed while we were still sending: what we want
        pass
    response = connection.getresponse()
    body = response.read().decode()
    elapsed = time.monotonic() - started
    connection.close()
    return response.status, response.getheader("Content-Type", ""), json.loads(body), elapsed


def test_a_chunked_json_body_over_the_limit_is_a_413_problem(small):
    data = json.dumps({"body": "Officials said 12 percent. " * 200}).encode()
    status, content_type, problem, _ = _chunked(small, "/api/v1/articles",
                                                (data[i:i + 512] for i in range(0, len(data), 512)),
                                                "application/json")
    assert (status, content_type, problem["status"]) == (413, PROBLEM_JSON, 413), problem


def test_a_chunked_batch_of_blank_lines_over_the_limit_is_413_at_the_limit(small):
    """64 MiB of newlines against a 1 MiB limit: refused once the limit is read, not after all of it."""
    status, content_type, problem, elapsed = _chunked(
        small, "/api/v1/batches", (b"\n" * 65536 for _ in range(1024)), "application/x-ndjson")
    assert (status, content_type) == (413, PROBLEM_JSON), problem
    assert elapsed < 20, f"{elapsed:.1f} s"


def test_a_requests_generator_body_over_the_limit_is_413(small):
    def body():
        yield b'{"body": "'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"}'

    response = small.http.post(small.api("/articles"), data=body(), timeout=30,
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.headers["Content-Type"] == PROBLEM_JSON


def test_gunicorns_own_limits_answer_with_problems(small):
    long_query = small.http.get(small.api("/articles"), params={"q": "x" * 5000}, timeout=10)
    assert long_query.status_code == 414 and long_query.headers["Content-Type"] == PROBLEM_JSON
    big_header = small.http.get(small.api("/articles"), headers={"X-Padding": "x" * 9000}, timeout=10)
    assert big_header.status_code == 431 and big_header.headers["Content-Type"] == PROBLEM_JSON


def test_trace_is_405_with_allow_and_answers_are_no_store(small):
    trace = small.http.request("TRACE", small.api("/articles"), timeout=10)
    assert trace.status_code == 405 and "GET" in trace.headers["Allow"]
    listing = small.http.get(small.api("/articles"), timeout=10)
    assert listing.headers["Cache-Control"] == "no-store"
