"""Whether the database and the broker answer, and how fast."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kombu import Connection
from sqlalchemy import text

from service.config import Settings
from service.storage.db import Database


def _timed(check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        backend = check()
    except Exception as exc:  # any failure means "not reachable"; the message says why
        return {"ok": False, "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2), "backend": backend}


def check_database(database: Database) -> dict[str, Any]:
    def ping() -> str:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return database.engine.dialect.name

    return _timed(ping)


def check_broker(settings: Settings) -> dict[str, Any]:
    def ping() -> str:
        if settings.embedded_broker:
            folder = Path(settings.broker_transport_options["data_folder_in"])
            if not folder.is_dir():
                raise FileNotFoundError(f"broker folder {folder} is missing")
            return "filesystem"
        with Connection(settings.broker_url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            return connection.transport.driver_type

    return _timed(ping)
