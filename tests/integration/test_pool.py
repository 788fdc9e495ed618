"""The connection pool on a real PostgreSQL: a connection the server dropped while it sat in the pool (a
restart, a killed backend) is replaced before a request gets it; one just back from use is not pinged."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from service.storage import db
from service.storage.db import Database
from tests.integration.conftest import postgres_database
from tests.integration.processes import connect_pg_admin

BACKEND = text("SELECT pg_backend_pid()")


@pytest.fixture
def database() -> Iterator[Database]:
    with postgres_database() as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


def _kill_pooled_connection(database: Database) -> int:
    """Use a connection, return it to the pool and have the server end its backend; its pid."""
    with database.engine.connect() as connection:
        pid = connection.execute(BACKEND).scalar_one()
    with connect_pg_admin() as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    return pid


def _count_pings(database: Database, monkeypatch) -> list[int]:
    pings, ping = [], database.engine.dialect.do_ping
    monkeypatch.setattr(database.engine.dialect, "do_ping",
                        lambda connection: pings.append(1) or ping(connection))
    return pings


def test_a_connection_dropped_while_idle_is_replaced_before_use(database, monkeypatch):
    dead = _kill_pooled_connection(database)
    pings = _count_pings(database, monkeypatch)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle "long enough"
    with database.sessionmaker() as session:
        assert session.execute(BACKEND).scalar_one() != dead
    assert pings == [1]  # the dead one; its replacement is new, so not pinged
    with database.reader() as session:  # the autocommit sessions share the pool
        assert session.execute(text("SELECT 1")).scalar_one() == 1


def test_a_connection_just_back_from_use_is_not_pinged(database, monkeypatch):
    pings = _count_pings(database, monkeypatch)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    for _ in range(3):
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert pings == []
    # So it is the ping that saves a dropped one: unpinged, the dead connection fails its statement, and
    # SQLAlchemy then replaces the pool's connections, so the next checkout works again.
    _kill_pooled_connection(database)
    with pytest.raises(OperationalError), database.engine.connect() as connection:
        connection.execute(text("SELECT 3"))
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT 4")).scalar_one() == 4
