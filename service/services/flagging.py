"""Running detection over a stored article and keeping exactly one set of flags per detector version."""
from __future__ import annotations

import bisect
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.domain import BATCH_CANCELLED, ArticleStatus
from service.services.queue import TaskQueue
from service.storage.models import Article, Claim, Flag
from workers.detection import DETECTOR_VERSION, detect
from workers.detection import Flag as DetectedFlag

log = logging.getLogger(__name__)


def _lock_article(session: Session, article_id: int) -> Article | None:
    # FOR UPDATE: a redelivered message running beside the original waits instead of interleaving
    # its delete/insert with ours (SQLite ignores it and serialises writers anyway).
    return session.scalar(select(Article).where(Article.id == article_id).with_for_update())


def start_flagging(session: Session, article_id: int) -> str | None:
    """Mark the article `flagging` and return its body; None when it is gone or its batch was cancelled."""
    article = _lock_article(session, article_id)
    if article is None:
        return None
    if article.status == ArticleStatus.FAILED and article.status_reason == BATCH_CANCELLED:
        session.rollback()  # release the row lock; there is nothing to change
        return None
    article.status = ArticleStatus.FLAGGING
    article.status_reason = None
    body = article.body
    session.commit()
    return body


def claim_for(starts: list[int], claims: list[Claim], offset: int) -> Claim:
    """The claim a flag starting at `offset` belongs to: the last claim starting at or before it."""
    index = max(bisect.bisect_right(starts, offset) - 1, 0)
    return claims[index]


def store_flags(session: Session, article_id: int, flags: list[DetectedFlag], version: str) -> int:
    """Replace this version's flags of the article with `flags` and mark it flagged."""
    article = _lock_article(session, article_id)
    if article is None:
        return 0
    claims = list(session.scalars(select(Claim).where(Claim.article_id == article_id).order_by(Claim.start)))
    session.execute(delete(Flag).where(Flag.article_id == article_id, Flag.detector_version == version))
    if claims:
        starts = [c.start for c in claims]
        session.add_all(
            Flag(article_id=article_id, claim_id=claim_for(starts, claims, f.start).id, kind=f.kind,
                 subtype=f.subtype, start=f.start, end=f.end, text=f.text, attrs=f.attrs,
                 detector_version=version)
            for f in flags
        )
    article.status = ArticleStatus.FLAGGED
    article.status_reason = None
    article.detector_version = version
    article.flagged_at = datetime.now(UTC)
    session.commit()
    return len(flags) if claims else 0


def mark_failed(session: Session, article_id: int, reason: str) -> None:
    article = _lock_article(session, article_id)
    if article is not None:
        article.status = ArticleStatus.FAILED
        article.status_reason = reason[:2000]
        session.commit()


def flag_article(session: Session, article_id: int,
                 detector: Callable[[str], list[DetectedFlag]] = detect,
                 version: str = DETECTOR_VERSION) -> int | None:
    """Flag one article end to end; returns the number of flags, or None if it is gone or cancelled.

    Detection errors mark the article `failed` with the reason; database errors propagate so the
    caller (a Celery task) can retry them.
    """
    body = start_flagging(session, article_id)
    if body is None:
        log.info("article %s was deleted, or its batch cancelled, before it was flagged", article_id)
        return None
    try:
        flags = detector(body)
    except Exception as exc:  # a bug in a rule must fail this article, not the batch
        log.exception("detection failed on article %s", article_id)
        mark_failed(session, article_id, f"detection failed: {type(exc).__name__}: {exc}")
        return 0
    return store_flags(session, article_id, flags, version)


def resend_stuck(session: Session, queue: TaskQueue, stuck_after: timedelta, limit: int = 500) -> list[int]:
    """Re-send articles left `queued` or `flagging` longer than `stuck_after`.

    The database is the source of truth: a message lost with a broker restart, a publish that failed
    while the broker was down, or a worker killed past redelivery all end here. Flagging is
    idempotent, so sending one twice costs time, never correctness.
    """
    cutoff = datetime.now(UTC) - stuck_after
    stuck = list(session.scalars(
        select(Article).where(Article.status.in_([ArticleStatus.QUEUED, ArticleStatus.FLAGGING]),
                              Article.updated_at < cutoff)
        .order_by(Article.id).limit(limit).with_for_update(skip_locked=True)))
    now = datetime.now(UTC)
    for article in stuck:
        article.updated_at = now  # restart the clock, so the next sweep leaves it alone for a while
    session.commit()
    sent = [article.id for article in stuck if queue.flag_article(article.id)]
    if sent:
        log.warning("re-sent %d stuck article(s): %s", len(sent), sent[:20])
    return sent
