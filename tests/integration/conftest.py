"""A live Claimdesk (`claimdesk serve`: gunicorn plus a real Celery worker process) on each backend.

The embedded default (SQLite, filesystem broker) always runs. PostgreSQL and Redis are the machine's
real servers; without them these tests skip, except with CI=true, where they must run.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

PG_ADMIN_URL = os.environ.get("CLAIMDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CLAIMDESK_TEST_REDIS", "redis://127.0.0.1:6379/14")
CLAIMDESK = str(Path(sys.executable).with_name("claimdesk"))


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}: integration tests must run in CI", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveService:
    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"

    def wait_for_status(self, article_id: int, statuses=("flagged", "failed"), timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            article = requests.get(self.api(f"/articles/{article_id}"), timeout=10).json()
            if article["status"] in statuses:
                return article
            time.sleep(0.2)
        raise AssertionError(f"article {article_id} still {article['status']} after {timeout}s; "
                             f"log:\n{self.log.read_text()[-3000:]}")


@contextmanager
def postgres_database() -> Iterator[str]:
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # any failure to connect means PostgreSQL is not usable here
        _unavailable(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc})")
    name = f"claimdesk_it_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def redis_broker() -> str:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
    except Exception as exc:  # any failure to connect means Redis is not usable here
        _unavailable(f"Redis is not reachable at {REDIS_URL} ({exc})")
    client.flushdb()
    return REDIS_URL


def start_service(env: dict[str, str], workdir: Path) -> LiveService:
    port = _free_port()
    log = workdir / "serve.log"
    process = subprocess.Popen(
        [CLAIMDESK, "serve", "--port", str(port), "--web-workers", "2", "--concurrency", "2"],
        env=env, cwd=workdir, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    service = LiveService(f"http://127.0.0.1:{port}", env, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"claimdesk serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(service.api("/health"), timeout=2).status_code == 200:
                return service
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    stop_service(service)
    raise AssertionError(f"claimdesk serve did not become healthy:\n{log.read_text()}")


def stop_service(service: LiveService) -> int:
    """Ctrl-C, as a person would; returns the exit status."""
    if service.process.poll() is None:
        service.process.send_signal(signal.SIGINT)
        try:
            service.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()
    return service.process.returncode


def base_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["CLAIMDESK_INSTANCE_PATH"] = str(instance)
    return env


@pytest.fixture(scope="session", params=["embedded", "postgres-redis"])
def live(request, tmp_path_factory) -> Iterator[LiveService]:
    """A running service per backend, shared by the tests of a session (they use distinct articles)."""
    workdir = tmp_path_factory.mktemp(request.param)
    env = base_env(workdir / "instance")
    with ExitStack() as stack:
        if request.param == "postgres-redis":
            env["DATABASE_URL"] = stack.enter_context(postgres_database())
            env["CELERY_BROKER_URL"] = redis_broker()
        service = start_service(env, workdir)
        try:
            yield service
        finally:
            status = stop_service(service)
        assert status == 0, f"claimdesk serve exited with {status}:\n{service.log.read_text()[-3000:]}"
    shutil.rmtree(workdir, ignore_errors=True)
