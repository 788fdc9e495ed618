"""What web processes keep in memory, on a real PostgreSQL: two apps on one database stand for two
gunicorn processes.

A token seen once is answered from memory; a change to tokens or users, made through either app, the
CLI's services or plain SQL, reaches the other app's cache as a notification and locks the caller out at
once. An article read once is served without a query until something changes: the app's own writes show
at once, the other app's as soon as their notification arrives. While an app is not listening, every
request reads the database.
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
from service.services.flagging import flag_article
from service.storage.changes import APPLICATION_NAME
from service.storage.migrate import alembic_config, upgrade
from tests.fakes import KeywordDetector, RecordingQueue
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
        app.extensions["claimdesk"].close()


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
    listener = app.extensions["claimdesk"].article_cache.listener
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
    app.extensions["claimdesk"].article_cache.listener.stop()
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
    until(lambda: len(cache) == 0)  # emptied: what changed while it was away went unheard
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

    made = ["api_tokens_notify", "articles_bump_revision", "articles_notify", "claims_notify", "users_notify"]
    assert triggers() == made
    command.downgrade(alembic_config(database_url), "0006")
    assert triggers() == []
    upgrade(database_url)
    assert triggers() == made


# --- Articles.

def state_checks(app: Flask) -> list[str]:
    """Every check of an article's revision and counts `app` sends to the database from now on."""
    seen: list[str] = []

    def record(_connection, _cursor, statement: str, *_) -> None:
        if statement.startswith("SELECT articles.revision"):
            seen.append(statement)

    event.listen(app.extensions["claimdesk"].database.read_engine, "before_cursor_execute", record)
    return seen


def client(app: Flask, secret: str):
    c = app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return c


BODY = ("Peskov said the army had suffered losses. About 60 servicemen died last week. "
        "Officials said 12 percent of the budget went on defence.")


def test_an_unchanged_article_is_read_from_memory_until_something_changes(make_app):
    app = listening(make_app())
    _, _, secret = account(app, "ed", Role.EDITOR)
    editor = client(app, secret)
    article = editor.post("/api/v1/articles", json={"body": BODY}).get_json()
    url = f"/api/v1/articles/{article['id']}"
    checks = state_checks(app)
    first = editor.get(url)
    assert first.status_code == 200 and len(checks) == 1
    for _ in range(3):
        again = editor.get(url)
        assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert len(checks) == 1
    assert editor.get(url, headers={"Cache-Control": "no-cache"}).get_data() == first.get_data()
    assert len(checks) == 2  # asked for, the database is checked
    app.extensions["claimdesk"].article_cache.listener.stop()
    editor.get(url), editor.get(url)
    assert len(checks) == 4  # not listening: every read is checked


def test_every_change_reaches_both_processes_and_matches_the_uncached_answer(make_app):
    writer, reader = listening(make_app()), listening(make_app())
    plain = make_app(CLAIMDESK_ARTICLE_CACHE_MB="0")
    _, _, secret = account(writer, "ed", Role.EDITOR)
    editor, other, reference = client(writer, secret), client(reader, secret), client(plain, secret)
    article = editor.post("/api/v1/articles", json={"body": BODY + " Peskov added that 40 percent agreed."})
    article = article.get_json()
    url = f"/api/v1/articles/{article['id']}"

    def same(response) -> bool:
        truth = reference.get(url)
        return (response.status_code, response.get_json(), response.headers.get("ETag")) == \
            (truth.status_code, truth.get_json(), truth.headers.get("ETag"))

    def check(where_written) -> None:
        """The writing app shows the change at once; the other one once the notification is in."""
        if where_written is not None:
            assert same(where_written.get(url))
        for c in (editor, other):
            until(lambda c=c: same(c.get(url)), timeout=2)

    for c in (editor, other):
        c.get(url), c.get(url)  # both now hold the article, checked
    made = [editor.post(f"/api/v1/claims/{claim['id']}/annotations", json={"verdict": "accurate"})
            for claim in article["claims"][:2]]
    assert all(r.status_code == 201 for r in made)
    check(editor)
    assert other.get(url).get_json()["annotation_count"] == 2
    deleted = other.delete(made[1].headers["Location"], headers={"If-Match": made[1].headers["ETag"]})
    assert deleted.status_code == 204
    check(other)
    assert other.post(made[1].headers["Location"] + "/restore").status_code == 200
    check(other)
    with writer.extensions["claimdesk"].database.sessionmaker() as session:  # as a worker flags it
        flag_article(session, article["id"], detector=KeywordDetector({"Peskov": ("sourcing", "named")}),
                     version="test-1")
    check(None)
    assert other.get(url).get_json()["flag_counts"] == {"sourcing": 2}
    etag = other.get(url).headers["ETag"]
    assert other.put(f"{url}/review-status", json={"status": "in-review"},
                     headers={"If-Match": etag}).status_code == 200
    check(other)
    with reader.extensions["claimdesk"].database.engine.begin() as connection:  # a hand-written UPDATE
        connection.exec_driver_sql(f"UPDATE articles SET title = 'Renamed' WHERE id = {article['id']}")
    check(None)
    assert editor.get(url).get_json()["title"] == "Renamed"
    assert editor.delete(url).status_code == 204
    check(editor)
    assert other.get(url).status_code == 404
