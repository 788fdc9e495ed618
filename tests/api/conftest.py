"""An app per test on its own Alembic-migrated SQLite file, with a recording queue instead of a broker."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.app import create_app
from service.config import Settings
from service.services.queue import TaskQueue
from service.storage.migrate import upgrade
from tests.fakes import RecordingQueue

PROBLEM_JSON = "application/problem+json"
BODY = ("Peskov said the army had suffered losses. About 60 servicemen died last week. "
        "Officials said 12 percent of the budget went on defence.")


@pytest.fixture
def make_app(tmp_path) -> Callable[..., Flask]:
    """Build an app from environment-style settings, the way a deployment would."""

    def make(env: dict[str, str] | None = None, queue: TaskQueue | None = None,
             migrate: bool = True) -> Flask:
        settings = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path / "instance"), **(env or {})})
        if migrate:
            settings.prepare_instance()
            upgrade(settings.database_url)
        return create_app(settings, queue or RecordingQueue())

    return make


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def app(make_app, queue) -> Flask:
    return make_app(queue=queue)


@pytest.fixture
def client(app) -> FlaskClient:
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
