"""The real `claimdesk` console script, run in a folder of its own with the embedded default."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLAIMDESK = Path(sys.executable).with_name("claimdesk")


def run(tmp_path: Path, *args: str, stdin: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    environment["CLAIMDESK_INSTANCE_PATH"] = str(tmp_path / "instance")
    return subprocess.run([str(CLAIMDESK), *args], cwd=tmp_path, env=environment | (env or {}), input=stdin,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def migrated(tmp_path) -> Path:
    result = run(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert f"database is up to date (sqlite:///{tmp_path / 'instance' / 'claimdesk.db'})" in result.stdout
    return tmp_path
