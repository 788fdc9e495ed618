"""CPU of one API request, single-threaded, in-process: where the API-load figures' web time goes.

    .venv/bin/python bench/request_cpu.py {get,post} [--requests 3000] [--profile]

Seeds the same article as bench/api_load.py (50 claims, 150 flags, an editor's token) in a throwaway
PostgreSQL database, builds the app as a web process would (listener and caches included), warms it up,
and calls it through WSGI directly, with no server and no client: three runs of `--requests` requests,
each printing CPU and wall time per request (their difference is time spent waiting for PostgreSQL).
`get` reads the article; `post` annotates claims spread over the 50. `--profile` adds a cProfile run and
prints its time by package; cProfile counts wall time, so the waiting shows under psycopg.
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.api_load import seed  # noqa: E402
from service.app import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from service.storage.migrate import upgrade  # noqa: E402
from tests.fakes import RecordingQueue  # noqa: E402
from tests.integration.processes import connect_pg_admin, throwaway_database  # noqa: E402

PACKAGES = ("sqlalchemy", "psycopg", "flask_smorest", "flask_limiter", "marshmallow", "webargs", "werkzeug",
            "flask", "service", "json")


def by_package(profile: cProfile.Profile, requests: int) -> list[tuple[str, float]]:
    """Milliseconds per request spent in each package's own functions (cProfile's tottime)."""
    spent: collections.Counter[str] = collections.Counter()
    for (filename, _, _), (_, _, tottime, _, _) in pstats.Stats(profile).stats.items():
        package = next((p for p in PACKAGES if f"/{p}/" in filename or f"/{p}." in filename), "other")
        spent[package] += tottime
    return [(package, seconds / requests * 1000) for package, seconds in spent.most_common()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoint", choices=("get", "post"))
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        url = stack.enter_context(throwaway_database(connect_pg_admin(), "claimdesk_cpu"))
        upgrade(url)
        article_id, first, last, token = seed(url)
        settings = Settings.from_env({"DATABASE_URL": url, "CLAIMDESK_LOG_LEVEL": "WARNING",
                                      "CLAIMDESK_INSTANCE_PATH": tempfile.mkdtemp(prefix="claimdesk-cpu-")})
        app = create_app(settings, RecordingQueue())
        stack.callback(app.extensions["claimdesk"].close)
        headers = {"Authorization": f"Bearer {token}"}
        body = json.dumps({"verdict": "accurate", "note": "Checked against table 3.",
                           "evidence": [{"url": "https://example.org/budget", "title": "Budget"}]})

        def environ() -> dict:
            if args.endpoint == "get":
                return EnvironBuilder(path=f"/api/v1/articles/{article_id}", headers=headers).get_environ()
            return EnvironBuilder(path=f"/api/v1/claims/{random.randint(first, last)}/annotations",
                                  method="POST", headers=headers, data=body,
                                  content_type="application/json").get_environ()

        def call(env: dict) -> None:
            statuses = []
            answer = b"".join(app(env, lambda status, _headers, _exc=None: statuses.append(status)))
            assert statuses[0].startswith("20"), (statuses, answer[:300])

        time.sleep(1)  # the listener connects: cached answers need it
        for env in [environ() for _ in range(200)]:
            call(env)
        for run in range(1, 4):
            envs = [environ() for _ in range(args.requests)]
            cpu, wall = time.process_time(), time.perf_counter()
            for env in envs:
                call(env)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            print(f"run {run}: CPU {cpu / args.requests * 1e6:.0f} µs a request, "
                  f"wall {wall / args.requests * 1e6:.0f} µs", flush=True)
        if args.profile:
            envs = [environ() for _ in range(args.requests)]
            profile = cProfile.Profile()
            profile.enable()
            for env in envs:
                call(env)
            profile.disable()
            print("cProfile, wall ms a request by package (the profiler inflates every figure):")
            for package, ms in by_package(profile, args.requests):
                print(f"  {package:14s} {ms:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
