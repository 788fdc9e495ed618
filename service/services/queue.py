"""The port through which use cases ask for background work, sent only after the data is committed."""
from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class TaskQueue(Protocol):
    def flag_article(self, article_id: int) -> bool:
        """Ask a worker to flag the article; False when the broker could not take the message."""


class CeleryQueue:
    """Sends tasks by name, so the web process never imports the task code."""

    def __init__(self, celery_app) -> None:
        self.celery = celery_app

    def flag_article(self, article_id: int) -> bool:
        from workers.celery_app import FLAG_ARTICLE

        try:
            self.celery.send_task(FLAG_ARTICLE, args=[article_id])
        except Exception:  # any broker failure: the article stays `queued` and is retried later
            log.warning("could not enqueue article %s; it stays queued", article_id, exc_info=True)
            return False
        return True

