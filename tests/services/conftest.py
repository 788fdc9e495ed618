"""A real SQLite database per test, migrated by Alembic, and a session on it."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from service.storage.db import Database
from service.storage.migrate import upgrade


@pytest.fixture
def database(tmp_path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'claimdesk.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def session(database) -> Iterator[Session]:
    with database.sessionmaker() as session:
        yield session
