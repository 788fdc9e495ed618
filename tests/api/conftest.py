"""An app per test on its own Alembic-migrated SQLite file, with a recording queue instead of a broker."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.app import create_app
from service.config import Settings
from service.domain.access import ROLE_SCOPES, Role
from service.services import accounts
from service.services.queue import TaskQueue
from service.storage.accounts import User
from service.storage.migrate import upgrade
from tests.fakes import RecordingQueue

PROBLEM_JSON = "application/problem+json"
BODY = ("Peskov said the army had suffered losses. About 60 servicemen died last week. "
        "Officials said 12 percent of the budget went on defence.")


@pytest.fixture
def make_app(tmp_path, database_env) -> Iterator[Callable[..., Flask]]:
    """Build an app from environment-style settings, the way a deployment would, on the test's backend
    (SQLite in the instance folder; a throwaway PostgreSQL database for tests marked both_backends)."""
    apps: list[Flask] = []

    def make(env: dict[str, str] | None = None, queue: TaskQueue | None = None,
             migrate: bool = True) -> Flask:
        settings = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path / "instance"),
                                      **database_env, **(env or {})})
        if migrate:
            settings.prepare_instance()
            upgrade(settings.database_url)
        apps.append(create_app(settings, queue or RecordingQueue()))
        return apps[-1]

    yield make
    for app in apps:  # before a PostgreSQL database is dropped under the pool's connections
        app.extensions["claimdesk"].close()


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def app(make_app, queue) -> Flask:
    return make_app(queue=queue)


# One account per role, plus a second reviewer to test "only their own".
ACCOUNTS = {"rita": Role.REVIEWER, "rob": Role.REVIEWER, "eddie": Role.EDITOR, "ada": Role.ADMIN}
PASSWORD = "correct horse battery staple"
# scrypt is slow on purpose; hashing once per run instead of per test keeps the suite fast.
PASSWORD_HASH = accounts.hash_password(PASSWORD)


def add_account(app: Flask, username: str, role: Role) -> str:
    """Create an account in `app`'s database; return a token secret with every scope its role allows."""
    with app.extensions["claimdesk"].database.sessionmaker() as session:
        user = User(username=username, password_hash=PASSWORD_HASH, role=role)
        session.add(user)
        session.flush()
        _, secret = accounts.create_token(session, user, f"{username}'s test token",
                                          sorted(ROLE_SCOPES[role]), None)
    return secret


def signed_in(app: Flask, username: str = "eddie", role: Role = Role.EDITOR) -> FlaskClient:
    """A client of `app` (say, one from `make_app`) for a new account, sending its token on every request."""
    return bearer_client(app, add_account(app, username, role))


def bearer_client(app: Flask, secret: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


@pytest.fixture
def tokens(app) -> dict[str, str]:
    """Each account's API token secret (every scope its role allows), by username."""
    return {username: add_account(app, username, role) for username, role in ACCOUNTS.items()}


@pytest.fixture
def client_as(app, tokens) -> Callable[[str], FlaskClient]:
    """A test client that sends the named account's token on every request."""

    def make(username: str) -> FlaskClient:
        return bearer_client(app, tokens[username])

    return make


@pytest.fixture
def client(client_as) -> FlaskClient:
    """An editor's client: may do everything but manage users and tokens."""
    return client_as("eddie")


@pytest.fixture
def anonymous(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app) -> Iterator[Session]:
    """A session of the app's own database, for setting up what the API then reads."""
    with app.extensions["claimdesk"].database.sessionmaker() as session:
        yield session


def post_article(client: FlaskClient, body: str = BODY, **fields) -> dict:
    response = client.post("/api/v1/articles", json={"body": body, **fields})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def assert_problem(response, status: int) -> dict:
    """Every API error is a problem document with these members and this content type."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    problem = response.get_json(force=True)
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    assert isinstance(problem["title"], str) and problem["title"]
    assert isinstance(problem["detail"], str) and problem["detail"]
    return problem
