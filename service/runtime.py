"""What a request needs at hand: settings, the database and the task queue, wired once per app."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from service.api.article_cache import ArticleCache
from service.config import Settings
from service.services.queue import TaskQueue
from service.services.token_cache import TokenCache
from service.storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    database: Database
    queue: TaskQueue
    article_cache: ArticleCache
    token_cache: TokenCache | None = None  # PostgreSQL only: see service.services.token_cache

    def close(self) -> None:
        """Stop listening for changes and close the database connections (for whoever built the app)."""
        if self.article_cache.listener is not None:
            self.article_cache.listener.stop()
        self.database.dispose()


def runtime() -> Runtime:
    return current_app.extensions["claimdesk"]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session() -> Session:
    """The request's session, opened on first use and closed when the request ends. GET and HEAD get one
    without a transaction around its statements (autocommit: see `Database.reader`)."""
    if "db_session" not in g:
        database = runtime().database
        reading = has_request_context() and request.method in SAFE_METHODS
        g.db_session = (database.reader if reading else database.sessionmaker)()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
