"""A live Claimdesk (`claimdesk serve`: gunicorn plus a real Celery worker process) on each backend.

The embedded default (SQLite, filesystem broker) always runs. PostgreSQL and Redis are the machine's
real servers; without them these tests skip, except with CI=true, where they must run.

Everything but health and version needs a caller: once the service is healthy, an editor's account and
API token are made in its database, and `LiveService.http` sends that token on every request.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from service.config import Settings
from service.domain.access import ROLE_SCOPES, Role
from service.services import accounts
from service.storage.db import Database
from tests.integration.processes import (
    CLAIMDESK,
    PG_ADMIN_URL,
    connect_pg_admin,
    free_port,
    throwaway_database,
)

REDIS_URL = os.environ.get("CLAIMDESK_TEST_REDIS", "redis://127.0.0.1:6379/14")
# What `claimdesk serve` makes its first admin with, so a first run never stops to print or ask.
ADMIN_PASSWORD = "integration-admin-pass"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}: integration tests must run in CI", pytrace=False)
    pytest.skip(reason)


class Caller(requests.Session):
    """An HTTP session that sends one account's API token on every request."""

    def __init__(self, username: str, secret: str) -> None:
        super().__init__()
        self.username = username
        self.headers["Authorization"] = f"Bearer {secret}"


@dataclass
class LiveService:
    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path
    # Set by start_service once the service is healthy: an editor's token and a session sending it.
    token: str = ""
    http: Caller = field(default_factory=lambda: Caller("", ""))

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"

    def add_account(self, username: str, role: Role) -> str:
        """Make an account in the service's own database; return a token with every scope its role allows."""
        database = Database(Settings.from_env(self.env).database_url)
        try:
            with database.sessionmaker() as session:
                user = accounts.create_user(session, username, secrets.token_urlsafe(18), role)
                _, secret = accounts.create_token(session, user, "integration tests",
                                                  sorted(ROLE_SCOPES[role]), None)
        finally:
            database.dispose()
        return secret

    def caller(self, role: Role, name: str | None = None) -> Caller:
        """A new account with `role` (a unique name: the service outlives a test), and its session."""
        username = f"{name or role.value}-{uuid.uuid4().hex[:8]}"
        return Caller(username, self.add_account(username, role))

    def wait_for_status(self, article_id: int, statuses=("flagged", "failed"), timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            article = self.http.get(self.api(f"/articles/{article_id}"), timeout=10).json()
            if article["status"] in statuses:
                return article
            time.sleep(0.2)
        raise AssertionError(f"article {article_id} still {article['status']} after {timeout}s; "
                             f"log:\n{self.log.read_text()[-3000:]}")


def postgres_database() -> AbstractContextManager[str]:
    """A throwaway PostgreSQL database (its URL), or a skip (a failure under CI=true) without one."""
    try:
        admin = connect_pg_admin()
    except Exception as exc:  # any failure to connect means PostgreSQL is not usable here
        _unavailable(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc})")
    return throwaway_database(admin, "claimdesk_it")


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
    port = free_port()
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
            health = requests.get(service.api("/health"), timeout=5)
            if health.status_code == 200:
                break
        except (requests.ConnectionError, requests.Timeout) as exc:  # not listening yet, or still booting
            health = exc
        time.sleep(0.3)
    else:
        stop_service(service)
        raise AssertionError(f"claimdesk serve did not become healthy ({getattr(health, 'text', health)}):\n"
                             f"{log.read_text()}")
    try:
        service.http = service.caller(Role.EDITOR)
    except BaseException:
        stop_service(service)
        raise
    service.token = service.http.headers["Authorization"].removeprefix("Bearer ")
    return service


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
    env["CLAIMDESK_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    # The webhook tests' receivers listen on this machine, which the address guard refuses by default.
    env["CLAIMDESK_WEBHOOK_ALLOW"] = "127.0.0.1/32"
    # A message lost on a shared machine (another run flushing or draining Redis db 14) is recovered by
    # the sweeper, as in production, but within a test's patience rather than the 10-minute default.
    env.setdefault("CLAIMDESK_SWEEP_INTERVAL", "2")
    env.setdefault("CLAIMDESK_STUCK_AFTER", "30")
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
