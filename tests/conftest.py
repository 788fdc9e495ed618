"""Fixtures shared by every test tier."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """../shared (seed article, gold files); tests that need it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the seed article and gold files live there")
    return SHARED


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Tests marked both_backends run once on SQLite and once on a throwaway PostgreSQL database: the
    # findings they guard are ones only PostgreSQL's stricter types (int4, varchar(n)) showed.
    if metafunc.definition.get_closest_marker("both_backends") and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The database backend under test: SQLite unless the test is marked both_backends."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_env(backend) -> Iterator[dict[str, str]]:
    """The settings that point the service at the backend's database: none for SQLite (the instance
    folder's file), DATABASE_URL of a throwaway database for PostgreSQL (skipped without one, failed
    under CI=true)."""
    if backend == "sqlite":
        yield {}
        return
    from tests.integration.conftest import postgres_database

    with postgres_database() as url:
        yield {"DATABASE_URL": url}
