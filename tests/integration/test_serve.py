"""`claimdesk serve` with no configuration: web and worker start together and Ctrl-C stops both."""
from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from tests.integration.conftest import ADMIN_PASSWORD, base_env, start_service, stop_service

pytestmark = pytest.mark.integration


def test_serve_runs_on_the_embedded_default_and_stops_cleanly_on_ctrl_c(tmp_path):
    instance = tmp_path / "instance"
    service = start_service(base_env(instance), tmp_path)
    try:
        health = requests.get(service.api("/health"), timeout=5).json()
        assert health["database"]["backend"] == "sqlite"
        assert health["broker"]["backend"] == "filesystem"
        assert (instance / "claimdesk.db").is_file()
        assert service.http.get(service.api("/articles"), timeout=5).status_code == 200
        # The first run made an admin with the password it was given, and printed no password.
        login = requests.post(service.api("/auth/login"), timeout=10,
                              json={"username": "admin", "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        assert login.json()["role"] == "admin"
    finally:
        status = stop_service(service)
    assert status == 0, service.log.read_text()[-2000:]
    log = service.log.read_text()
    assert "celery@" in log and "Booting worker" in log  # both children really ran
    # Nothing of the session (gunicorn master and workers, celery and its pool in groups of their own)
    # is left behind.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = _processes(lambda _parent, session: session == service.process.pid)
        if not left:
            return
        time.sleep(0.2)
    pytest.fail(f"processes of `claimdesk serve` are still running after Ctrl-C: {left}")


def _processes(wanted) -> dict[int, str]:
    """The processes whose parent and session ids satisfy `wanted`, with their command lines (/proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):  # gone meanwhile
            continue
        if fields[0] != "Z" and wanted(int(fields[1]), int(fields[3])):
            found[int(entry)] = command
    return found


def _worker_pid(serve_pid: int) -> int:
    children = _processes(lambda parent, _session: parent == serve_pid)
    workers = [pid for pid, command in children.items() if "celery" in command and " worker " in command]
    assert len(workers) == 1, children
    return workers[0]


def test_a_killed_worker_is_restarted_and_the_web_server_stays_up(tmp_path):
    service = start_service(base_env(tmp_path / "instance"), tmp_path)
    try:
        first = service.http.post(service.api("/articles"), timeout=10,
                                  json={"body": "Officials said 12 percent of the budget went on defence."})
        assert service.wait_for_status(first.json()["id"])["status"] == "flagged"
        killed = _worker_pid(service.process.pid)
        # The worker and its pool, as the OOM killer or an operator would.
        for pid in [killed, *_processes(lambda parent, _session: parent == killed)]:
            os.kill(pid, signal.SIGKILL)
        deadline, restarted = time.monotonic() + 60, None
        while time.monotonic() < deadline and restarted is None:
            # The API answers all along.
            assert requests.get(service.api("/health"), timeout=5).status_code == 200
            log = service.log.read_text()
            if "worker restarted" in log:
                restarted = _worker_pid(service.process.pid)
            time.sleep(0.2)
        log = service.log.read_text()
        assert restarted is not None and restarted != killed, log[-3000:]
        assert f"worker (pid {killed}) died with killed by SIGKILL" in log
        assert "restarting it in 1 s" in log
        second = service.http.post(service.api("/articles"), timeout=10,
                                   json={"body": "Peskov said 60 servicemen died last week, officials said."})
        assert service.wait_for_status(second.json()["id"])["status"] == "flagged"
    finally:
        status = stop_service(service)
    assert status == 0, service.log.read_text()[-3000:]
