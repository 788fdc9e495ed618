"""Thin Celery tasks: take an id, open a session, call the service that does the work."""
from __future__ import annotations

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from sqlalchemy.exc import DBAPIError, OperationalError

from service.config import Settings
from service.services import flagging
from service.services.queue import CeleryQueue
from service.storage.db import Database
from workers.celery_app import FLAG_ARTICLE, SWEEP_STUCK, app

log = logging.getLogger(__name__)

_database: Database | None = None


def database() -> Database:
    """The process's database; created lazily so each forked pool child opens its own connections."""
    global _database
    if _database is None:
        _database = Database(Settings.from_env().database_url)
    return _database


@worker_process_init.connect
def _fresh_connections_after_fork(**_kwargs) -> None:
    # Connections inherited from the parent over fork() are shared sockets: reusing them corrupts
    # both sides' protocol state.
    global _database
    _database = None


@app.task(
    name=FLAG_ARTICLE,
    bind=True,
    # Only transient failures are retried; a detection bug marks the article failed instead.
    autoretry_for=(OperationalError, DBAPIError, ConnectionError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def flag_article(self, article_id: int) -> int | None:
    """Run detection over one stored article and store its flags (idempotent per detector version)."""
    db = database()
    with db.sessionmaker() as session:
        try:
            return flagging.flag_article(session, article_id)
        except SoftTimeLimitExceeded:
            session.rollback()
            limit = self.app.conf.task_soft_time_limit
            flagging.mark_failed(session, article_id, f"detection took longer than {limit} s")
            return None


@app.task(name=SWEEP_STUCK, autoretry_for=(OperationalError,), max_retries=2, retry_backoff=5)
def sweep_stuck_articles() -> int:
    """Re-send articles stuck in `queued` or `flagging` (run by Celery beat)."""
    settings = Settings.from_env()
    with database().sessionmaker() as session:
        return len(flagging.resend_stuck(session, CeleryQueue(app), timedelta(seconds=settings.stuck_after)))
