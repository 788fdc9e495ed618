"""Many requests at once on a live `claimdesk serve`: what an adversarial run found breaking it.

Streamed exports must each give their database connection back (they once kept it until the garbage
collector came by, until the pool ran dry and every request waited 30 s and failed), and parallel edits
of one annotation based on the same version must give one success and, for the rest, 412, never a 500.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from service.domain.access import Role

pytestmark = pytest.mark.integration

POSTGRES = pytest.mark.parametrize("live", ["postgres-redis"], indirect=True)
EXPORTS, EXPORTERS = 200, 8
# Far above what a read takes here, far below the pool's 30 s wait for a connection that never comes back.
PROMPT = 1.0


def _storm(calls: int, parallel: int, call: Callable[[requests.Session], requests.Response]
           ) -> Counter[int | str]:
    """`call` made `calls` times from `parallel` threads, each with its own HTTP session; the statuses.

    The first failure stops the rest: against a drained pool every further call would wait 30 s.
    """
    local, failed = threading.local(), threading.Event()

    def one(_n: int) -> int | str:
        if failed.is_set():
            return "skipped"
        if not hasattr(local, "http"):
            local.http = requests.Session()
        try:
            status = call(local.http).status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        if status != 200:
            failed.set()
        return status

    with ThreadPoolExecutor(parallel) as pool:
        return Counter(pool.map(one, range(calls)))


@POSTGRES
def test_two_hundred_parallel_exports_leave_the_service_responsive(live):
    article = live.http.post(live.api("/articles"), timeout=30, json={
        "body": "The mayor said 40 buses were cut. Officials said 12 more would go next year."}).json()
    reader = live.caller(Role.REVIEWER, "reader")
    for claim in article["claims"]:
        created = reader.post(live.api(f"/claims/{claim['id']}/annotations"), timeout=10,
                              json={"verdict": "accurate", "note": "Checked against the budget."})
        assert created.status_code == 201, created.text
    live.wait_for_status(article["id"])
    export = live.api(f"/articles/{article['id']}/export")
    expected = reader.get(export, params={"format": "w3c"}, timeout=20).text
    assert expected.count("\n") > len(article["claims"])  # its flags and annotations
    headers = dict(reader.headers)

    def download(http: requests.Session) -> requests.Response:
        response = http.get(export, params={"format": "w3c"}, headers=headers, timeout=20)
        assert response.status_code != 200 or response.text == expected
        return response

    statuses = _storm(EXPORTS, EXPORTERS, download)
    assert statuses == {200: EXPORTS}, f"{statuses}; log:\n{live.log.read_text()[-3000:]}"
    for path in (f"/claims/{article['claims'][0]['id']}", "/articles"):
        started = time.monotonic()
        response = reader.get(live.api(path), timeout=40)
        elapsed = time.monotonic() - started
        assert response.status_code == 200, response.text
        assert elapsed < PROMPT, f"GET {path} took {elapsed:.1f}s after the exports"


PROBLEM_JSON = "application/problem+json"
VOLLEY = 50
BACKENDS = pytest.mark.parametrize("live", ["embedded", "postgres-redis"], indirect=True)


def _volley(calls: int, call: Callable[[requests.Session], requests.Response]) -> list[requests.Response]:
    """`call` from `calls` threads released together, so their requests overlap as much as they can."""
    start = threading.Barrier(calls)

    def one(_n: int) -> requests.Response:
        with requests.Session() as http:
            start.wait()
            return call(http)

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(one, range(calls)))


def _statuses(responses: list[requests.Response]) -> Counter[int]:
    for response in responses:
        if response.status_code >= 400:
            assert response.headers["Content-Type"] == PROBLEM_JSON, response.text
    return Counter(r.status_code for r in responses)


def _annotation(live, editor) -> tuple[str, str]:
    article = live.http.post(live.api("/articles"), timeout=30, json={
        "body": "The council said 300 homes were flooded in March. Residents disputed it."}).json()
    created = editor.post(live.api(f"/claims/{article['claims'][0]['id']}/annotations"), timeout=10,
                          json={"verdict": "accurate", "note": "First look."})
    assert created.status_code == 201, created.text
    return live.url + created.headers["Location"], created.headers["ETag"]


def _history(live, location: str) -> list[str]:
    response = live.http.get(location + "/history", timeout=10)
    assert response.status_code == 200, response.text
    return [entry["action"] for entry in response.json()]


@BACKENDS
def test_parallel_edits_from_one_version_give_one_success_and_412s(live):
    editor = live.caller(Role.EDITOR)
    location, etag = _annotation(live, editor)
    headers = {**editor.headers, "If-Match": etag}
    responses = _volley(VOLLEY, lambda http: http.patch(location, headers=headers, timeout=60,
                                                        json={"note": f"Edit {threading.get_ident()}."}))
    assert _statuses(responses) == {200: 1, 412: VOLLEY - 1}, live.log.read_text()[-3000:]
    [winner] = [r for r in responses if r.status_code == 200]
    assert editor.get(location, timeout=10).json() == winner.json()
    assert _history(live, location) == ["create", "update"]


@BACKENDS
def test_parallel_deletes_from_one_version_give_one_success_and_412s(live):
    editor = live.caller(Role.EDITOR)
    location, etag = _annotation(live, editor)
    headers = {**editor.headers, "If-Match": etag}
    responses = _volley(VOLLEY, lambda http: http.delete(location, headers=headers, timeout=60))
    assert _statuses(responses) == {204: 1, 412: VOLLEY - 1}, live.log.read_text()[-3000:]
    assert _history(live, location) == ["create", "delete"]


@BACKENDS
def test_parallel_restores_give_one_success_and_problems(live):
    editor = live.caller(Role.EDITOR)
    location, etag = _annotation(live, editor)
    assert editor.delete(location, headers={"If-Match": etag}, timeout=10).status_code == 204
    headers = dict(editor.headers)
    responses = _volley(VOLLEY, lambda http: http.post(location + "/restore", headers=headers, timeout=60))
    statuses = _statuses(responses)
    assert statuses[200] == 1 and statuses.total() == VOLLEY, statuses
    assert set(statuses) <= {200, 409, 412, 422}, (statuses, live.log.read_text()[-3000:])
    assert _history(live, location) == ["create", "delete", "restore"]
