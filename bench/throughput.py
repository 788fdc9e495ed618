"""End-to-end batch throughput on PostgreSQL and Redis with real gunicorn and Celery worker processes.

    .venv/bin/python bench/throughput.py [--articles 10000] [--chars 4000] [--concurrency 2]
                                         [--profile bench/out/profile]

Makes a throwaway PostgreSQL database (on CLAIMDESK_TEST_PG, default postgresql://postgres@127.0.0.1:5432/test)
and a private redis-server on a free port, migrates, starts gunicorn (2 processes, `service.gunicorn_conf`),
`claimdesk worker --concurrency 2` and `claimdesk beat`, generates realistic articles (about 4,000 characters
each, with quotes, figures and sources: tests/integration/newsroom.py) as one JSONL file, uploads it to
POST /api/v1/batches and waits for the batch to finish. Prints:

- end-to-end articles per second: articles / (last `flagged_at` - the moment the upload started);
- the upload (import) time alone, and the batch's own `articles_per_second`;
- p50 / p95 / max of `flagged_at - created_at` (accepted to flagged) over the batch's articles.

With --profile DIR, py-spy (`pip install py-spy`) samples the gunicorn and worker processes while the
batch runs and writes one flame graph (SVG) and one top-functions text file per process kind into DIR.
Exits 1 when the goal (>= 150 articles per second) is missed. Everything it starts is stopped and the
database dropped in the end, whatever happens.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
import requests  # noqa: E402

from service.domain.access import ROLE_SCOPES, Role  # noqa: E402
from service.services import accounts  # noqa: E402
from service.storage.db import Database, libpq_url  # noqa: E402
from tests.integration.newsroom import story  # noqa: E402
from tests.integration.processes import (  # noqa: E402
    CLAIMDESK,
    base_environment,
    beat_command,
    connect_pg_admin,
    free_port,
    private_redis,
    spawn,
    stop_group,
    throwaway_database,
    web_command,
    worker_command,
)

GOAL = 150.0


def make_token(database_url: str) -> str:
    database = Database(database_url)
    try:
        with database.sessionmaker() as session:
            user = accounts.create_user(session, "bench", "bench password, long enough", Role.EDITOR)
            _, secret = accounts.create_token(session, user, "bench", sorted(ROLE_SCOPES[Role.EDITOR]), None)
    finally:
        database.dispose()
    return secret


def wait_healthy(url: str, processes: dict[str, subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}")
        try:
            if requests.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the service at {url} did not become healthy in {timeout}s")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def start_profilers(out: Path, groups: dict[str, list[int]], seconds: int) -> list[subprocess.Popen]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out.mkdir(parents=True, exist_ok=True)
    profilers = []
    for kind, pids in groups.items():
        for pid in pids:
            for fmt, ext in (("flamegraph", "svg"), ("raw", "txt")):
                profilers.append(subprocess.Popen(
                    [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
                     "--format", fmt, "--output", str(out / f"{kind}-{pid}.{ext}"), "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    return profilers


def _frame(raw: str) -> str:
    """`function (path/to/file.py:12)` -> `function (file.py)`, keeping `service/`/`workers/` paths."""
    name, _, where = raw.partition(" (")
    path = where.split(":")[0]  # py-spy shortens paths to their module path, e.g. service/services/x.py
    if path.startswith(("service/", "workers/")):
        return f"{name} ({path})"
    return f"{name} ({path.rsplit('/', 1)[-1]})" if where else name


def summarise_profile(out: Path) -> None:
    """Self-time and inclusive time by function from py-spy's collapsed stacks, per process kind."""
    for kind in ("web", "worker"):
        own: dict[str, int] = {}
        inclusive: dict[str, int] = {}
        total = 0
        for path in out.glob(f"{kind}-*.txt"):
            for line in path.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                n = int(count)
                frames = [_frame(f) for f in stack.split(";")]
                total += n
                own[frames[-1]] = own.get(frames[-1], 0) + n
                for frame in set(frames):
                    inclusive[frame] = inclusive.get(frame, 0) + n
        if not total:
            continue
        lines = [f"{kind}: {total} samples", "  inclusive:"]
        ranked = sorted(inclusive.items(), key=lambda x: -x[1])
        ours = [(f, n) for f, n in ranked if "(service/" in f or "(workers/" in f]
        lines += [f"    {n / total:6.1%}  {f}" for f, n in ours[:40]]
        lines += ["  self:"]
        lines += [f"    {n / total:6.1%}  {f}" for f, n in sorted(own.items(), key=lambda x: -x[1])[:25]]
        (out / f"{kind}-summary.txt").write_text("\n".join(lines) + "\n")
        print("\n".join(lines[:40]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--chars", type=int, default=4000, help="about this many characters per article")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the batch")
    parser.add_argument("--profile", type=Path, help="write py-spy profiles of web and workers here")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="claimdesk-throughput-"))
    processes: dict[str, subprocess.Popen] = {}
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        database_url = stack.enter_context(throwaway_database(connect_pg_admin(), "claimdesk_bench"))
        redis = stack.enter_context(private_redis(workdir / "redis"))
        env = base_environment() | {
            "DATABASE_URL": database_url, "CELERY_BROKER_URL": redis.url(0),
            "CLAIMDESK_INSTANCE_PATH": str(workdir / "instance"), "CLAIMDESK_LOG_LEVEL": "WARNING"}
        subprocess.run([CLAIMDESK, "migrate"], env=env, cwd=workdir, check=True, capture_output=True)
        token = make_token(database_url)
        port = free_port()
        url = f"http://127.0.0.1:{port}"

        @stack.callback
        def _stop_all() -> None:
            for process in processes.values():
                stop_group(process)

        processes["web"] = spawn(web_command(port, args.web_workers), env, workdir, workdir / "web.log")
        processes["worker"] = spawn(worker_command(args.concurrency), env, workdir, workdir / "worker.log")
        processes["beat"] = spawn(beat_command(), env, workdir, workdir / "beat.log")
        wait_healthy(url, processes)
        time.sleep(3)  # let the worker's pool children finish booting

        rng = random.Random(20260301)
        tag = uuid.uuid4().hex[:8]
        path = workdir / "batch.jsonl"
        chars = 0
        with path.open("w", encoding="utf-8") as handle:
            for i in range(args.articles):
                line = story(i, f"Bench Gazette {i % 7}", tag, rng, args.chars)
                chars += len(line["body"])
                handle.write(json.dumps(line) + "\n")
        size = path.stat().st_size
        print(f"{args.articles:,} articles, {chars / args.articles:,.0f} characters on average, "
              f"{size / 1e6:.1f} MB of JSONL")

        profilers: list[subprocess.Popen] = []
        if args.profile:
            groups = {"web": children(processes["web"].pid),
                      "worker": children(processes["worker"].pid)}
            profilers = start_profilers(args.profile, groups, int(args.timeout))

        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
        started = datetime.now(UTC)
        t0 = time.monotonic()
        with path.open("rb") as body:
            response = requests.post(f"{url}/api/v1/batches", data=body, headers=headers,
                                     timeout=args.timeout)
        upload_s = time.monotonic() - t0
        if response.status_code != 202:
            raise SystemExit(f"POST /batches answered {response.status_code}: {response.text[:2000]}")
        batch_id = response.json()["id"]
        deadline = time.monotonic() + args.timeout
        while True:
            batch = requests.get(f"{url}/api/v1/batches/{batch_id}", headers=headers, timeout=30).json()
            if batch["status"] in ("finished", "cancelled"):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"batch {batch_id} not finished after {args.timeout}s: {batch}")
            time.sleep(0.5)
        wall_s = time.monotonic() - t0
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)
        for profiler in profilers:
            try:
                profiler.wait(timeout=60)
            except subprocess.TimeoutExpired:
                profiler.kill()

        with psycopg.connect(libpq_url(database_url)) as conn:
            rows = conn.execute("SELECT created_at, flagged_at, status FROM articles WHERE batch_id = %s",
                                (batch_id,)).fetchall()
            flags = conn.execute("SELECT count(*) FROM flags").fetchone()[0]
        flagged = [(c, f) for c, f, s in rows if s == "flagged"]
        last = max(f for _, f in flagged)
        seconds = (last - started).total_seconds()
        latencies = [(f - c).total_seconds() for c, f in flagged]
        figures = {
            "articles": args.articles, "flagged": len(flagged), "failed": batch["failed"], "flags": flags,
            "upload_s": round(upload_s, 2), "end_to_end_s": round(seconds, 2),
            "articles_per_second": round(len(flagged) / seconds, 1),
            "batch_articles_per_second": batch["articles_per_second"],
            "latency_p50_s": round(percentile(latencies, 50), 2),
            "latency_p95_s": round(percentile(latencies, 95), 2),
            "latency_max_s": round(max(latencies), 2),
            "latency_mean_s": round(statistics.fmean(latencies), 2),
        }
        print(f"upload (read, clean, split, store, enqueue): {upload_s:.1f} s; batch finished after "
              f"{wall_s:.1f} s")
        print(f"end to end: {figures['articles_per_second']} articles/s ({len(flagged):,} flagged, "
              f"{batch['failed']} failed, {flags:,} flags, in {seconds:.1f} s); batch says "
              f"{batch['articles_per_second']}/s")
        print(f"accepted -> flagged: p50 {figures['latency_p50_s']} s, p95 {figures['latency_p95_s']} s, "
              f"max {figures['latency_max_s']} s")
        if args.profile:
            summarise_profile(args.profile)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
    ok = figures["articles_per_second"] >= GOAL and figures["flagged"] == args.articles
    print(f"goal >= {GOAL:.0f} articles/s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
