"""`claimdesk serve` with no configuration: web and worker start together and Ctrl-C stops both."""
from __future__ import annotations

import os
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
    # Nothing of the process group (gunicorn master and workers, celery and its pool) is left behind.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(service.process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    pytest.fail("processes of `claimdesk serve` are still running after Ctrl-C")
