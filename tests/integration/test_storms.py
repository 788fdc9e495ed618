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
