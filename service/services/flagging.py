"""Running detection over a stored article and keeping exactly one set of flags per detector version."""
from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.orm import Session, defer

from service.domain import BATCH_CANCELLED, ArticleStatus
from service.services import webhooks
from service.services.detector import DETECTOR_VERSION, detect_flags
from service.services.detector import Flag as DetectedFlag
from service.services.queue import TaskQueue
from service.storage.models import Article, Claim, Flag
from service.unit_of_work import checkpoint

log = logging.getLogger(__name__)

# Articles per message when the sweeper re-sends (already-flagged ones are skipped cheaply by the task).
RESEND_SIZE = 50
# Articles started with one statement and stored in one transaction by `flag_articles`.
GROUP_SIZE = 25


def claim_for(starts: list[int], claims: Sequence[Any], offset: int) -> Any:
    """The claim a flag starting at `offset` belongs to: the last claim starting at or before it."""
    index = max(bisect.bisect_right(starts, offset) - 1, 0)
    return claims[index]


def _counts_by_kind(flags: list[DetectedFlag]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in flags:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts


class Interrupted(Exception):
    """One of the caller's `interrupts` fired while `article_ids[index]` was being detected; the articles
    before it are stored, it and the ones after it are untouched (left `flagging` or `queued`)."""

    def __init__(self, article_id: int, index: int) -> None:
        super().__init__(f"interrupted while detecting article {article_id} (position {index})")
        self.article_id, self.index = article_id, index


def start_flagging(session: Session, article_ids: list[int], version: str, redo: bool = False
                   ) -> dict[int, str]:
    """Mark the articles `flagging` and return their bodies by id, in one statement and one commit.

    Left out: articles gone, cancelled with their batch, or (unless `redo`) already flagged by `version`
    (a message delivered twice, or re-sent by the sweeper, redoes only what is left). One conditional
    UPDATE: no lock is held while detection runs.
    """
    wanted = [Article.id.in_(article_ids),
              ~and_(Article.status == ArticleStatus.FAILED, Article.status_reason == BATCH_CANCELLED)]
    if not redo:
        wanted.append(~and_(Article.status == ArticleStatus.FLAGGED, Article.detector_version == version))
    rows = session.execute(
        update(Article).where(*wanted)
        .values(status=ArticleStatus.FLAGGING, status_reason=None, updated_at=datetime.now(UTC))
        .returning(Article.id, Article.body).execution_options(synchronize_session=False)).all()
    checkpoint(session)
    return dict(rows)


def store_flags(session: Session, results: dict[int, list[DetectedFlag]], failures: dict[int, str],
                version: str) -> dict[int, int]:
    """Store articles' detection results and failures in one transaction: the one writer of flags.

    Each article in `results` gets this version's flags replaced by its own and is marked `flagged`
    (with its article.flagged event, in the same transaction: an outbox); each in `failures` is marked
    `failed` with the reason. The rows are locked in id order (FOR UPDATE: two workers on overlapping
    messages wait for each other and cannot deadlock; SQLite serialises writers anyway), old flags go
    in one DELETE, the new ones in one executemany INSERT. Returns the flags stored per article still
    there (0 for a failure, and for an article without claims).
    """
    ids = sorted(results.keys() | failures.keys())
    if not ids:
        return {}
    # populate_existing: the rows as locked, not what this session remembers (start_flagging's
    # UPDATE bypasses it).
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
            # Core executemany, not ORM objects: about 100 flags an article made the unit of work the
            # worker's biggest cost. psycopg sends them in one pipeline.
            rows += [{"article_id": article_id, "claim_id": claim_for(starts, claims[article_id], f.start).id,
                      "kind": f.kind, "subtype": f.subtype, "start": f.start, "end": f.end, "text": f.text,
                      "attrs": f.attrs, "detector_version": version} for f in results[article_id]]
    if rows:
        session.execute(insert(Flag.__table__), rows)
    moment = datetime.now(UTC)
    stored: dict[int, int] = {}
    for article_id in flagged:
        article = articles[article_id]
        article.status, article.status_reason = ArticleStatus.FLAGGED, None
        article.detector_version, article.flagged_at = version, moment
        found = results[article_id] if claims[article_id] else []
        webhooks.article_flagged(session, article, _counts_by_kind(found))
        stored[article_id] = len(found)
    for article_id, reason in failures.items():
        if article_id in articles:
            articles[article_id].status = ArticleStatus.FAILED
            articles[article_id].status_reason = reason[:2000]
            stored[article_id] = 0
    checkpoint(session)
    return stored


def mark_failed(session: Session, article_id: int, reason: str) -> None:
    store_flags(session, {}, {article_id: reason}, DETECTOR_VERSION)


def flag_articles(session: Session, article_ids: list[int],
                  detector: Callable[[str], list[DetectedFlag]] = detect_flags,
                  version: str = DETECTOR_VERSION,
                  interrupts: tuple[type[BaseException], ...] = (),
                  group: int = GROUP_SIZE, redo: bool = False) -> dict[int, int]:
    """Flag one or many articles, `group` at a time: one UPDATE to start a group, one transaction to store it.

    Per article, its flags are replaced under this version, or it is `failed` with the detection error
    (a bug in a rule fails that article, not its neighbours). Articles already flagged by this version
    are skipped unless `redo`. Returns the flags stored per article settled (see `store_flags`); gone
    and cancelled articles are left out. Database errors propagate so the caller (a Celery task) can
    retry them. When one of `interrupts` fires during a detection (a time limit: the caller decides),
    the group's articles detected before it are stored and Interrupted says where it stopped.
    """
    settled: dict[int, int] = {}
    for start in range(0, len(article_ids), group):
        chunk = article_ids[start:start + group]
        bodies = start_flagging(session, chunk, version, redo)
        results: dict[int, list[DetectedFlag]] = {}
        failures: dict[int, str] = {}
        for offset, article_id in enumerate(chunk):
            if article_id not in bodies:
                log.info("article %s is gone, cancelled or already flagged by %s", article_id, version)
                continue
            try:
                results[article_id] = detector(bodies[article_id])
            except interrupts:
                session.rollback()
                store_flags(session, results, failures, version)
                raise Interrupted(article_id, start + offset) from None
            except Exception as exc:  # a bug in a rule must fail this article, not the batch
                log.exception("detection failed on article %s", article_id)
                failures[article_id] = f"detection failed: {type(exc).__name__}: {exc}"
        settled.update(store_flags(session, results, failures, version))
    return settled


def flag_article(session: Session, article_id: int,
                 detector: Callable[[str], list[DetectedFlag]] = detect_flags,
                 version: str = DETECTOR_VERSION) -> int | None:
    """Flag one article again, even if this version flagged it; the flags stored (0 when detection
    failed), or None if it is gone or its batch was cancelled."""
    return flag_articles(session, [article_id], detector, version, redo=True).get(article_id)


def resend_stuck(session: Session, queue: TaskQueue, stuck_after: timedelta,
                 flagging_after: timedelta | None = None, limit: int = 500) -> list[int]:
    """Re-send articles left `queued` longer than `stuck_after`, or `flagging` longer than
    `flagging_after` (default: `stuck_after`).

    The database is the source of truth: a message lost with a broker restart, a publish that failed
    while the broker was down, or a worker killed past redelivery all end here. Flagging is
    idempotent, so sending one twice costs time, never correctness.
    """
    now = datetime.now(UTC)
    stuck = list(session.scalars(
        select(Article).where(or_(
            and_(Article.status == ArticleStatus.QUEUED, Article.updated_at < now - stuck_after),
            and_(Article.status == ArticleStatus.FLAGGING,
                 Article.updated_at < now - (flagging_after or stuck_after))))
        .order_by(Article.id).limit(limit).with_for_update(skip_locked=True)))
    now = datetime.now(UTC)
    for article in stuck:
        article.updated_at = now  # restart the clock, so the next sweep leaves it alone for a while
    checkpoint(session)
    ids = [article.id for article in stuck]
    sent: list[int] = []
    for start in range(0, len(ids), RESEND_SIZE):
        if not queue.flag_articles(ids[start:start + RESEND_SIZE]):
            break  # the broker is still down: the next sweep tries again
        sent += ids[start:start + RESEND_SIZE]
    if sent:
        log.warning("re-sent %d stuck article(s): %s", len(sent), sent[:20])
    return sent
