"""What a request needs at hand: settings, the database and the task queue, wired once per app."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask import Response, current_app, g, has_request_context, request, stream_with_context
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


def streamed(chunks: Iterable[str], mimetype: str) -> Response:
    """A response whose body is read while it is sent, after the view has returned and the request has
    been torn down, and which takes the request's session with it.

    Left with the request, the session would be closed by the teardown before the first chunk; the body
    would then open a new connection on it that no one closes, one pooled connection lost per download
    until the garbage collector happened by (under load the pool ran dry and every request failed).
    So the body owns the session and closes it when it ends or fails, and the response closes it when
    the server lets go of it: a client that hangs up mid-way or before the first chunk.
    """
    session: Session | None = g.pop("db_session", None)

    def close() -> None:
        if session is not None:
            session.close()

    def body() -> Iterator[str]:
        try:
            yield from chunks
        finally:
            close()

    response = Response(stream_with_context(body()), mimetype=mimetype)
    response.call_on_close(close)
    return response
