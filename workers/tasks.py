"""Thin Celery tasks: take an id, open a unit of work, call the service that does the work."""
from __future__ import annotations

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import DBAPIError, OperationalError

from service.services import batches, flagging, webhooks
from service.services.queue import DELIVER_WEBHOOK, FLAG_ARTICLE, FLAG_ARTICLES, SWEEP_STUCK, SWEEP_WEBHOOKS
from service.unit_of_work import Unit, checkpoint
from workers.celery_app import app, runtime

log = logging.getLogger(__name__)


# Only transient failures are retried, with growing, jittered waits; a detection bug marks the
# article failed instead.
RETRY_TRANSIENT = {
    "autoretry_for": (OperationalError, DBAPIError, ConnectionError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


def _flag(task, article_ids: list[int]) -> int:
    """Flag one or many stored articles (see `flagging.flag_articles`); returns how many settled.

    Articles already flagged by this detector version are skipped, so a message delivered twice (a
    worker killed before acking, the sweeper re-sending, a retry after a database error) redoes only
    what is left.

    The soft time limit covers the whole message. When it fires during a detection, the article is
    failed only if it had the message to itself; otherwise it and the rest go on in a new message with
    a fresh time budget, so a slow article neither fails its neighbours nor holds them up.
    """
    wiring = runtime()
    with Unit(wiring.database) as session:
        settled, rest = 0, []
        try:
            settled = len(flagging.flag_articles(session, article_ids, interrupts=(SoftTimeLimitExceeded,)))
        except flagging.Interrupted as stop:
            rest = article_ids[stop.index:]
            limit = task.app.conf.task_soft_time_limit
            if stop.index == 0:
                log.warning("article %s: detection took longer than %s s; marked failed",
                            stop.article_id, limit)
                flagging.mark_failed(session, stop.article_id, f"detection took longer than {limit} s")
                rest = rest[1:]
            else:
                log.warning("soft time limit reached at article %s, %d articles in; passing on the other %d "
                            "in a new message", stop.article_id, stop.index, len(rest))
        except SoftTimeLimitExceeded:  # in the database rather than in a detection: start over
            session.rollback()
            rest = article_ids
        # A batch whose last article this was is finished now (batch.finished), not at the next sweep.
        batches.finish_settled(session, article_ids=article_ids)
    if rest and not wiring.queue.flag_articles(rest):
        log.warning("could not pass on %d articles; the sweeper will send them", len(rest))
    return settled


@app.task(name=FLAG_ARTICLES, bind=True, **RETRY_TRANSIENT)
def flag_articles(self, article_ids: list[int]) -> int:
    return _flag(self, article_ids)


@app.task(name=FLAG_ARTICLE, bind=True, **RETRY_TRANSIENT)
def flag_article(self, article_id: int) -> int:
    """One article, as `flag_articles([article_id])`. Its own name because a single submitted article is
    sent under it (tests/cli pins that message), and so messages queued before an upgrade still run."""
    return _flag(self, [article_id])


@app.task(name=SWEEP_STUCK, autoretry_for=(OperationalError,), max_retries=2, retry_backoff=5)
def sweep_stuck_articles() -> int:
    """Re-send articles stuck in `queued` or `flagging` (run by Celery beat)."""
    wiring = runtime()
    settings = wiring.settings
    with Unit(wiring.database) as session:
        return len(flagging.resend_stuck(session, wiring.queue, timedelta(seconds=settings.stuck_after),
                                         timedelta(seconds=settings.flagging_stuck_after)))


@app.task(name=DELIVER_WEBHOOK, autoretry_for=(OperationalError, DBAPIError), retry_backoff=2,
          retry_backoff_max=300, retry_jitter=True, max_retries=8)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt at a webhook delivery; the service records it and schedules what comes next."""
    wiring = runtime()
    policy = webhooks.DeliveryPolicy.from_settings(wiring.settings)
    with Unit(wiring.database) as session:
        webhooks.deliver(session, wiring.queue, delivery_id, policy)


@app.task(name=SWEEP_WEBHOOKS, autoretry_for=(OperationalError,), max_retries=2, retry_backoff=5)
def sweep_webhooks() -> int:
    """Finish settled batches (sending batch.finished) and re-send lost deliveries (run by Celery beat)."""
    wiring = runtime()
    with Unit(wiring.database) as session:
        batches.finish_settled(session)
        checkpoint(session)  # batch.finished goes out even if the re-sending fails
        overdue = timedelta(seconds=wiring.settings.stuck_after)
        return len(webhooks.resend_pending(session, wiring.queue, overdue))
