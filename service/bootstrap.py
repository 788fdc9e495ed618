"""The composition root: the one place that builds a process's database, task queue and caches.

`create_app` (the web process), every `claimdesk` command and the Celery worker (when each of its
processes starts) call `build`; nothing else constructs a Database, a queue or a cache.
"""
from __future__ import annotations

from dataclasses import dataclass

from celery import Celery

from service.api.article_cache import ArticleCache
from service.config import Settings
from service.services.queue import CeleryQueue, TaskQueue
from service.services.token_cache import TokenCache
from service.storage.changes import ARTICLES_CHANNEL, AUTH_CHANNEL, ChannelListener
from service.storage.db import Database
from service.tasking import make_celery
from service.unit_of_work import connect


@dataclass
class Runtime:
    """What a process's requests, commands or tasks need at hand, wired once by `build`."""

    settings: Settings
    database: Database
    queue: TaskQueue
    article_cache: ArticleCache
    token_cache: TokenCache | None = None  # PostgreSQL only: see service.services.token_cache

    def close(self) -> None:
        """Stop listening for changes and close the database connections (for whoever built it)."""
        if self.article_cache.listener is not None:
            self.article_cache.listener.stop()
        self.database.dispose()


def _caches(settings: Settings, database: Database) -> tuple[ArticleCache, TokenCache | None]:
    """The web process's copies of articles and of who tokens stand for. Only PostgreSQL tells a process
    about changes made by the others (web processes, workers, the CLI): elsewhere there is no token cache,
    and every article read is checked against the database."""
    max_bytes = settings.article_cache_mb * 1024 * 1024
    if database.engine.dialect.name != "postgresql":
        return ArticleCache(max_bytes), None
    listener = ChannelListener(settings.database_url, (AUTH_CHANNEL, ARTICLES_CHANNEL))
    articles = ArticleCache(max_bytes, listener)
    tokens = TokenCache(listener, settings.token_cache_seconds) if settings.token_cache_seconds > 0 else None
    return articles, tokens


def build(settings: Settings, queue: TaskQueue | None = None, *, web: bool = False,
          celery: Celery | None = None) -> Runtime:
    """Wire one process. `queue`: tests pass a fake; else tasks are sent through `celery` (the worker
    passes its own app) or a Celery app made from the settings. `web`: with the web process's caches."""
    database = Database(settings.database_url)
    if queue is None:
        queue = CeleryQueue(celery or make_celery(settings))
    articles, tokens = _caches(settings, database) if web else (ArticleCache(0), None)
    # What a commit sets off (tasks, webhook deliveries) goes to `queue`; on PostgreSQL, this process's own
    # writes reach its article copies at commit, before the response goes out (the notification comes a
    # moment later).
    connect(database, queue, articles.changed if articles.listener is not None else None)
    return Runtime(settings, database, queue, articles, tokens)
