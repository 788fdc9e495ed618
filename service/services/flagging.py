"""Running detection over a stored article and keeping exactly one set of flags per detector version."""
from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session, defer

from service.domain import BATCH_CANCELLED, ArticleStatus
from service.services import webhooks
from service.services.detector import DETECTOR_VERSION, detect_flags
from service.services.detector import Flag as DetectedFlag
from service.services.queue import TaskQueue
from service.storage.models import Article, Claim, Flag

log = logging.getLogger(__name__)

# Articles per message when the sweeper re-sends (already-flagged ones are skipped cheaply by the task).
RESEND_SIZE = 50
# Articles started with one statement and stored in one transaction by `flag_articles`.
GROUP_SIZE = 25


def _lock_article(session: Session, article_id: int) -> Article | None:
    # FOR UPDATE: a redelivered message running beside the original waits instead of interleaving
    # its delete/insert with ours (SQLite ignores it and serialises writers anyway). populate_existing:
    # the row as locked, not what this session remembers (statements like start_flagging's bypass it).
    return session.scalar(select(Article).where(Article.id == article_id).with_for_update()
                          .execution_options(populate_existing=True))


def start_flagging(session: Session, article_id: int) -> str | None:
    """Mark the article `flagging` and return its body; None when it is gone or its batch was cancelled.

    One conditional UPDATE (no lock held while detection runs).
    """
    not_cancelled = ~and_(Article.status == ArticleStatus.FAILED, Article.status_reason == BATCH_CANCELLED)
    body = session.scalar(
        update(Article).where(Article.id == article_id, not_cancelled)
        .values(status=ArticleStatus.FLAGGING, status_reason=None, updated_at=datetime.now(UTC))
        .returning(Article.body).execution_options(synchronize_session=False))
    session.commit()
    return body


def claim_for(starts: list[int], claims: Sequence[Any], offset: int) -> Any:
    """The claim a flag starting at `offset` belongs to: the last claim starting at or before it."""
    index = max(bisect.bisect_right(starts, offset) - 1, 0)
    return claims[index]


def store_flags(session: Session, article_id: int, flags: list[DetectedFlag], version: str) -> int:
    """Replace this version's flags of the article with `flags` and mark it flagged."""
    article = _lock_article(session, article_id)
    if article is None:
        return 0
    claims = session.execute(select(Claim.id, Claim.start).where(Claim.article_id == article_id)
                             .order_by(Claim.start)).all()
    session.execute(delete(Flag).where(Flag.article_id == article_id, Flag.detector_version == version))
    if claims and flags:
        starts = [c.start for c in claims]
        # Core executemany, not ORM objects: about 100 flags an article made the unit of work the
        # worker's biggest cost. psycopg sends them in one pipeline.
        session.execute(insert(Flag.__table__), [
            {"article_id": article_id, "claim_id": claim_for(starts, claims, f.start).id, "kind": f.kind,
             "subtype": f.subtype, "start": f.start, "end": f.end, "text": f.text, "attrs": f.attrs,
             "detector_version": version}
            for f in flags])
    article.status = ArticleStatus.FLAGGED
    article.status_reason = None
    article.detector_version = version
    article.flagged_at = datetime.now(UTC)
    # In this transaction (an outbox): the event commits with the flags or not at all.
    webhooks.article_flagged(session, article, _counts_by_kind(flags) if claims else {})
    session.commit()
    return len(flags) if claims else 0


def _counts_by_kind(flags: list[DetectedFlag]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in flags:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts


def mark_failed(session: Session, article_id: int, reason: str) -> None:
    article = _lock_article(session, article_id)
    if article is not None:
        article.status = ArticleStatus.FAILED
        article.status_reason = reason[:2000]
        session.commit()


def flag_article(session: Session, article_id: int,
                 detector: Callable[[str], list[DetectedFlag]] = detect_flags,
                 version: str = DETECTOR_VERSION,
                 interrupts: tuple[type[BaseException], ...] = ()) -> int | None:
    """Flag one article end to end; returns the number of flags, or None if it is gone or cancelled.

    Detection errors mark the article `failed` with the reason; database errors propagate so the
    caller (a Celery task) can retry them, and so do `interrupts` (a time limit: the caller decides).
    """
    body = start_flagging(session, article_id)
    if body is None:
        log.info("article %s was deleted, or its batch cancelled, before it was flagged", article_id)
        return None
    try:
        flags = detector(body)
    except interrupts:
        raise
    except Exception as exc:  # a bug in a rule must fail this article, not the batch
        log.exception("detection failed on article %s", article_id)
        mark_failed(session, article_id, f"detection failed: {type(exc).__name__}: {exc}")
        return 0
    return store_flags(session, article_id, flags, version)


class Interrupted(Exception):
    """One of the caller's `interrupts` fired while `article_ids[index]` was being detected; the articles
    before it are stored, it and the ones after it are untouched (left `flagging` or `queued`)."""

    def __init__(self, article_id: int, index: int) -> None:
        super().__init__(f"interrupted while detecting article {article_id} (position {index})")
        self.article_id, self.index = article_id, index


def start_flagging_many(session: Session, article_ids: list[int], version: str) -> dict[int, str]:
    """Mark the articles `flagging` and return their bodies by id, in one statement and one commit.

    Left out: articles gone, cancelled with their batch, or already flagged by `version` (a message
    delivered twice, or re-sent by the sweeper, redoes only what is left).
    """
    not_cancelled = ~and_(Article.status == ArticleStatus.FAILED, Article.status_reason == BATCH_CANCELLED)
    not_done = ~and_(Article.status == ArticleStatus.FLAGGED, Article.detector_version == version)
    rows = session.execute(
        update(Article).where(Article.id.in_(article_ids), not_cancelled, not_done)
        .values(status=ArticleStatus.FLAGGING, status_reason=None, updated_at=datetime.now(UTC))
        .returning(Article.id, Article.body).execution_options(synchronize_session=False)).all()
    session.commit()
    return dict(rows)


def store_many(session: Session, results: dict[int, list[DetectedFlag]], failures: dict[int, str],
               version: str) -> None:
    """Store several articles' detection results (and failures) in one transaction.

    The same effect as `store_flags` and `mark_failed` per article, in a handful of statements: the
    rows are locked in id order (two workers on overlapping messages cannot deadlock), this version's
    old flags go in one DELETE, the new ones in one executemany INSERT.
    """
    ids = sorted(results.keys() | failures.keys())
    if not ids:
        return
    articles = {a.id: a for a in session.scalars(
        select(Article).where(Article.id.in_(ids)).order_by(Article.id).with_for_update()
        .options(defer(Article.body)).execution_options(populate_existing=True))}
    flagged = [i for i in ids if i in results and i in articles]
    claims: dict[int, list[Any]] = {i: [] for i in flagged}
    if flagged:
        for row in session.execute(select(Claim.article_id, Claim.id, Claim.start)
                                   .where(Claim.article_id.in_(flagged))
                                   .order_by(Claim.article_id, Claim.start)):
            claims[row.article_id].append(row)
        session.execute(delete(Flag).where(Flag.article_id.in_(flagged), Flag.detector_version == version))
    rows = []
    for article_id in flagged:
        if claims[article_id]:
            starts = [c.start for c in claims[article_id]]
            rows += [{"article_id": article_id, "claim_id": claim_for(starts, claims[article_id], f.start).id,
                      "kind": f.kind, "subtype": f.subtype, "start": f.start, "end": f.end, "text": f.text,
                      "attrs": f.attrs, "detector_version": version} for f in results[article_id]]
    if rows:
        session.execute(insert(Flag.__table__), rows)
    moment = datetime.now(UTC)
    for article_id in flagged:
        article = articles[article_id]
        article.status, article.status_reason = ArticleStatus.FLAGGED, None
        article.detector_version, article.flagged_at = version, moment
        found = results[article_id]
        webhooks.article_flagged(session, article, _counts_by_kind(found) if claims[article_id] else {})
    for article_id, reason in failures.items():
        if article_id in articles:
            articles[article_id].status = ArticleStatus.FAILED
            articles[article_id].status_reason = reason[:2000]
    session.commit()


def flag_articles(session: Session, article_ids: list[int],
                  detector: Callable[[str], list[DetectedFlag]] = detect_flags,
                  version: str = DETECTOR_VERSION,
                  interrupts: tuple[type[BaseException], ...] = (),
                  group: int = GROUP_SIZE) -> int:
    """Flag many articles, `group` at a time: one UPDATE to start a group, one transaction to store it.

    Per article the outcome is that of `flag_article` (flags replaced under this version, or `failed`
    with the detection error), but about a tenth of the statements. Articles already flagged by this
    version are skipped. Returns how many articles were flagged or failed. When one of `interrupts`
    fires during a detection, the group's articles detected before it are stored and Interrupted says
    where it stopped.
    """
    settled = 0
    for start in range(0, len(article_ids), group):
        chunk = article_ids[start:start + group]
        bodies = start_flagging_many(session, chunk, version)
        results: dict[int, list[DetectedFlag]] = {}
        failures: dict[int, str] = {}
        for offset, article_id in enumerate(chunk):
            if article_id not in bodies:
                continue
            try:
                results[article_id] = detector(bodies[article_id])
            except interrupts:
                session.rollback()
                store_many(session, results, failures, version)
                raise Interrupted(article_id, start + offset) from None
            except Exception as exc:  # a bug in a rule must fail this article, not the batch
                log.exception("detection failed on article %s", article_id)
                failures[article_id] = f"detection failed: {type(exc).__name__}: {exc}"
        store_many(session, results, failures, version)
        settled += len(results) + len(failures)
    return settled


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
    ids = [article.id for article in stuck]
    sent: list[int] = []
    for start in range(0, len(ids), RESEND_SIZE):
        if not queue.flag_articles(ids[start:start + RESEND_SIZE]):
            break  # the broker is still down: the next sweep tries again
        sent += ids[start:start + RESEND_SIZE]
    if sent:
        log.warning("re-sent %d stuck article(s): %s", len(sent), sent[:20])
    return sent
