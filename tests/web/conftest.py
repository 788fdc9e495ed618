"""An app per test on a migrated database, with accounts, a logged-in browser and articles with flags."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from detection import Flag as DetectedFlag
from service.app import create_app
from service.config import Settings
from service.domain.access import Role
from service.services import accounts
from service.services.articles import Submission, submit_article
from service.services.flagging import store_flags
from service.storage.accounts import User
from service.storage.migrate import upgrade
from tests.fakes import RecordingQueue

PASSWORD = "correct horse battery staple"
# scrypt is slow on purpose; hashing once per run keeps the suite fast.
PASSWORD_HASH = accounts.hash_password(PASSWORD)
ACCOUNTS = {"rita": Role.REVIEWER, "eddie": Role.EDITOR}


@pytest.fixture
def app(tmp_path, database_env) -> Iterator[Flask]:
    """On SQLite in the instance folder, or a throwaway PostgreSQL database for tests marked both_backends."""
    settings = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path / "instance"), **database_env})
    settings.prepare_instance()
    upgrade(settings.database_url)
    app = create_app(settings, RecordingQueue())
    with app.extensions["claimdesk"].database.sessionmaker() as session:
        session.add_all(User(username=name, password_hash=PASSWORD_HASH, role=role)
                        for name, role in ACCOUNTS.items())
        session.commit()
    yield app
    app.extensions["claimdesk"].close()


@pytest.fixture
def session(app):
    with app.extensions["claimdesk"].database.sessionmaker() as session:
        yield session


def csrf_of(client: FlaskClient) -> str:
    with client.session_transaction() as s:
        return s.get("csrf", "")


def log_in(client: FlaskClient, username: str = "rita", password: str = PASSWORD, **extra):
    client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(client), **extra})


@pytest.fixture
def browser(app) -> FlaskClient:
    """A test client logged in as the reviewer rita through the login form."""
    client = app.test_client()
    assert log_in(client).status_code == 302
    return client


@pytest.fixture
def add_article(app, session) -> Callable[..., int]:
    """Store an article and flag the given words: {word: (kind, subtype, attrs)}, every occurrence."""

    def add(body: str, title: str | None = None, outlet: str | None = None,
            words: dict[str, tuple[str, str, dict]] | None = None) -> int:
        submission = Submission(body=body, title=title, outlet=outlet)
        article, _ = submit_article(session, RecordingQueue(), submission, 500_000)
        flags = [DetectedFlag(kind, subtype, m.start(), m.end(), m.group(), attrs)
                 for word, (kind, subtype, attrs) in (words or {}).items()
                 for m in re.finditer(re.escape(word), article.body)]
        store_flags(session, {article.id: flags}, {}, "test-1")
        return article.id

    return add
