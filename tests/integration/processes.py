"""Processes the resilience tests and the benchmarks start, kill and restart on their own.

Every process gets its own process group (`start_new_session`), so killing one (`kill -9` of a Celery
worker with its pool children, a crashed Redis) never touches the rest, nor anything else on the machine.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
CLAIMDESK = str(BIN / "claimdesk")
REDIS_SERVER = shutil.which("redis-server")
PG_ADMIN_URL = os.environ.get("CLAIMDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def connect_pg_admin():
    """An autocommit connection to PG_ADMIN_URL, for making and dropping databases."""
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@contextmanager
def throwaway_database(admin, prefix: str) -> Iterator[str]:
    """A new, empty database made through `admin` (which it closes in the end); yields its SQLAlchemy URL
    and drops it afterwards, even with connections still open."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def base_environment() -> dict[str, str]:
    """This process's environment without any Claimdesk setting: a child gets exactly the ones it is given."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("CLAIMDESK_") and k not in ("DATABASE_URL", "CELERY_BROKER_URL")}


def log_tails(workdir: Path) -> str:
    """The end of every *.log in `workdir`, for a failure message."""
    return "\n".join(f"--- {p.name}:\n{p.read_text(errors='replace')[-2500:]}"
                     for p in sorted(workdir.glob("*.log")))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    """Start `command` as the leader of a new process group, its output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the process's whole group (a Celery worker and its pool children alike)."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def stop_group(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the group, then SIGKILL whatever is left after `timeout`; always reaps the leader."""
    if process.poll() is None:
        kill_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    # Pool children may outlive their leader: kill the group whatever the leader did.
    kill_group(process, signal.SIGKILL)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie we cannot reap; nothing else to do
        pass


def wait_until(condition: Callable[[], bool], timeout: float, failure: Callable[[], str],
               every: float = 0.25) -> None:
    """Poll `condition` until it holds; after `timeout` seconds, fail with the message `failure` makes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(failure())


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class RedisServer:
    """A private redis-server without persistence: a kill and a start is a crash that loses everything."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        if REDIS_SERVER is None:
            raise FileNotFoundError("redis-server is not installed")
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.log = workdir / f"redis-{self.port}.log"

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = spawn([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no"],
                             dict(os.environ), self.workdir, self.log)
        wait_port(self.port)

    def kill(self) -> None:
        if self.process is not None:
            kill_group(self.process, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def private_redis(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def web_command(port: int, workers: int = 2) -> list[str]:
    return [str(BIN / "python"), "-m", "gunicorn", "--config", "python:service.gunicorn_conf",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "service.wsgi:app"]


def worker_command(concurrency: int = 2) -> list[str]:
    return [CLAIMDESK, "worker", "--concurrency", str(concurrency), "--loglevel", "INFO"]


def beat_command() -> list[str]:
    return [CLAIMDESK, "beat", "--loglevel", "INFO"]
