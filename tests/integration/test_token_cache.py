"""The token cache on a real PostgreSQL: two apps on one database stand for two gunicorn processes.

A token seen once is answered from memory; a change to tokens or users, made through either app, the
CLI's services or plain SQL, reaches the other app's cache as a notification and locks the caller out at
once; while an app is not listening, every request reads the database.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import create_engine, event, make_url

from service.app import create_app
from service.config import Settings
from service.domain.access import ROLE_SCOPES, Role
from service.services import accounts
from service.storage.changes import APPLICATION_NAME
from service.storage.migrate import alembic_config, upgrade
from tests.fakes import RecordingQueue
from tests.integration.conftest import postgres_database
from tests.integration.processes import connect_pg_admin


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def make_app(database_url, tmp_path) -> Iterator[Callable[..., Flask]]:
    apps = []

    def make(**env: str) -> Flask:
        settings = Settings.from_env({"DATABASE_URL": database_url,
                                      "CLAIMDESK_INSTANCE_PATH": str(tmp_path / f"instance{len(apps)}"),
                                      **env})
        apps.append(create_app(settings, RecordingQueue()))
        return apps[-1]

    yield make
    for app in apps:
        runtime = app.extensions["claimdesk"]
        if runtime.token_cache is not None:
            runtime.token_cache.listener.stop()
        runtime.database.dispose()


def token_lookups(app: Flask) -> list[str]:
    """Every token lookup (by the secret's prefix) `app` sends to the database from now on."""
    seen: list[str] = []

    def record(_connection, _cursor, statement: str, *_) -> None:
        if "WHERE api_tokens.prefix =" in statement:
            seen.append(statement)

    database = app.extensions["claimdesk"].database
    for engine in (database.engine, database.read_engine):  # GET and HEAD requests read on the second
        event.listen(engine, "before_cursor_execute", record)
    return seen


def listening(app: Flask, timeout: float = 10) -> Flask:
    listener = app.extensions["claimdesk"].token_cache.listener
    deadline = time.monotonic() + timeout
    while not listener.listening:
        assert time.monotonic() < deadline, "the app never started listening"
        time.sleep(0.02)
    return app


def account(app: Flask, username: str, role: Role,
            expires_at: datetime | None = None) -> tuple[int, int, str]:
    """(user id, token id, secret) of a new account."""
    with app.extensions["claimdesk"].database.sessionmaker() as session:
        user = accounts.create_user(session, username, "a password long enough", role)
        token, secret = accounts.create_token(session, user, "test", sorted(ROLE_SCOPES[role]), expires_at)
        return user.id, token.id, secret


def me(app: Flask, secret: str):
    return app.test_client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})


def until(check: Callable[[], bool], timeout: float = 5.0) -> float:
    """Seconds until `check()` held; fails after `timeout`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, "never happened"
        time.sleep(0.01)
    return time.monotonic() - start


def test_a_token_seen_once_is_answered_from_memory(make_app):
    app = listening(make_app())
    _, _, secret = account(app, "ed", Role.EDITOR)
    lookups = token_lookups(app)
    assert me(app, secret).json["username"] == "ed"
    assert len(lookups) == 1
    for _ in range(5):
        assert me(app, secret).status_code == 200
    assert len(lookups) == 1
    assert me(app, secret + "x").status_code == 401  # a wrong secret is never a hit


def test_revoking_a_token_in_one_process_locks_it_out_of_the_other_at_once(make_app):
    first, second = listening(make_app()), listening(make_app())
    _, _, admin = account(first, "ada", Role.ADMIN)
    _, token_id, secret = account(first, "ed", Role.EDITOR)
    assert me(second, secret).status_code == 200  # now in the second app's cache
    revoke = first.test_client().delete(f"/api/v1/tokens/{token_id}",
                                        headers={"Authorization": f"Bearer {admin}"})
    assert revoke.status_code == 200
    assert until(lambda: me(second, secret).status_code == 401) < 1.0


def test_changes_made_outside_the_api_reach_the_cache(make_app):
    app = listening(make_app())
    user_id, _, secret = account(app, "ed", Role.EDITOR)
    assert "write" in me(app, secret).json["scopes"]
    with app.extensions["claimdesk"].database.sessionmaker() as session:  # as `claimdesk users` does it
        accounts.set_role(session, accounts.get_user(session, user_id), Role.REVIEWER)
    until(lambda: me(app, secret).json["role"] == "reviewer")
    with app.extensions["claimdesk"].database.engine.begin() as connection:  # a hand-written UPDATE
        connection.exec_driver_sql(f"UPDATE users SET disabled = true WHERE id = {user_id}")
    until(lambda: me(app, secret).status_code == 401)


def test_an_expired_token_is_refused_although_cached(make_app):
    app = listening(make_app())
    _, _, secret = account(app, "ed", Role.EDITOR, expires_at=datetime.now(UTC) + timedelta(seconds=1.5))
    lookups = token_lookups(app)
    assert me(app, secret).status_code == 200
    assert me(app, secret).status_code == 200 and len(lookups) == 1
    until(lambda: me(app, secret).status_code == 401, timeout=5)


def test_without_a_listener_every_request_reads_the_database(make_app):
    app = listening(make_app())
    _, _, secret = account(app, "ed", Role.EDITOR)
    lookups = token_lookups(app)
    app.extensions["claimdesk"].token_cache.listener.stop()
    for _ in range(3):
        assert me(app, secret).status_code == 200
    assert len(lookups) == 3


def test_a_lost_listener_connection_empties_the_cache_and_reconnects(make_app, database_url):
    app = listening(make_app())
    _, _, secret = account(app, "ed", Role.EDITOR)
    lookups = token_lookups(app)
    for _ in range(2):
        assert me(app, secret).status_code == 200
    assert len(lookups) == 1
    with connect_pg_admin() as admin:
        ended = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = %s AND datname = %s",
                              (APPLICATION_NAME, make_url(database_url).database)).fetchall()
    assert ended == [(True,)], ended
    cache = app.extensions["claimdesk"].token_cache
    until(lambda: not cache.listener._listening.is_set())
    assert len(cache) == 0
    listening(app)
    for _ in range(2):
        assert me(app, secret).status_code == 200
    assert len(lookups) == 2  # read again once, then from memory


def test_sqlite_and_a_zero_setting_keep_no_token_cache(make_app, tmp_path):
    assert make_app(CLAIMDESK_TOKEN_CACHE_SECONDS="0").extensions["claimdesk"].token_cache is None
    sqlite = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path / "sqlite")})
    assert create_app(sqlite, RecordingQueue()).extensions["claimdesk"].token_cache is None


def test_the_notification_triggers_come_and_go_with_their_migration(database_url):
    def triggers() -> list[str]:
        engine = create_engine(database_url)
        try:
            with engine.connect() as connection:
                return sorted(connection.exec_driver_sql(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal").scalars())
        finally:
            engine.dispose()

    assert triggers() == ["api_tokens_auth_changed", "users_auth_changed"]
    command.downgrade(alembic_config(database_url), "0006")
    assert triggers() == []
    upgrade(database_url)
    assert len(triggers()) == 2
