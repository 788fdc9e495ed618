"""The port through which use cases ask for background work, sent only after the data is committed."""
from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)

# The tasks' names: the contract between the senders here and the worker (workers/tasks.py), which
# imports them from this module (service never imports workers).
FLAG_ARTICLE = "claimdesk.flag_article"  # one article: the same task as FLAG_ARTICLES, given [article_id]
FLAG_ARTICLES = "claimdesk.flag_articles"
SWEEP_STUCK = "claimdesk.sweep_stuck_articles"
DELIVER_WEBHOOK = "claimdesk.deliver_webhook"
SWEEP_WEBHOOKS = "claimdesk.sweep_webhooks"


class TaskQueue(Protocol):
    def flag_article(self, article_id: int) -> bool:
        """Ask a worker to flag the article; False when the broker could not take the message."""

    def flag_articles(self, article_ids: list[int]) -> bool:
        """Ask a worker to flag these articles one after the other (one message); False when refused."""

    def deliver_webhook(self, delivery_id: int, countdown: float | None = None) -> bool:
        """Ask a worker to send a webhook delivery (in `countdown` seconds); False when the broker refused."""


class CeleryQueue:
    """Sends tasks by name, so the web process never imports the task code."""

    def __init__(self, celery_app) -> None:
        self.celery = celery_app

    def flag_article(self, article_id: int) -> bool:
        try:
            self.celery.send_task(FLAG_ARTICLE, args=[article_id])
        except Exception:  # any broker failure: the article stays `queued` and is retried later
            log.warning("could not enqueue article %s; it stays queued", article_id, exc_info=True)
            return False
        return True

    def flag_articles(self, article_ids: list[int]) -> bool:
        try:
            self.celery.send_task(FLAG_ARTICLES, args=[list(article_ids)])
        except Exception:  # any broker failure: the articles stay `queued` and are retried later
            log.warning("could not enqueue %d articles (%s...); they stay queued", len(article_ids),
                        article_ids[:3], exc_info=True)
            return False
        return True

    def deliver_webhook(self, delivery_id: int, countdown: float | None = None) -> bool:
        try:
            self.celery.send_task(DELIVER_WEBHOOK, args=[delivery_id], countdown=countdown)
        except Exception:  # the delivery stays `pending` in the database; the sweeper sends it later
            log.warning("could not enqueue webhook delivery %s; it stays pending", delivery_id, exc_info=True)
            return False
        return True
