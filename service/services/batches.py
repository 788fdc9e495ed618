"""Batches: importing JSONL articles as a stream, re-flagging by filter, following progress, cancelling."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import BinaryIO

from marshmallow import ValidationError
from sqlalchemy import exists, func, insert, or_, select, update
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError, SQLAlchemyError, StatementError
from sqlalchemy.orm import Session

from service.domain import BATCH_CANCELLED, ArticleStatus, BatchKind, BatchStatus
from service.schemas.articles import ArticleCreateSchema
from service.schemas.common import field_messages
from service.services import webhooks
from service.services.articles import (
    ArticleFilter,
    CleanedArticle,
    Submission,
    clean_submission,
    filter_articles,
)
from service.services.errors import InvalidInput, NotFound, ServiceError
from service.services.pagination import Page, newest_first
from service.services.queue import TaskQueue
from service.storage.models import Article, Batch, Claim
from service.unit_of_work import checkpoint

log = logging.getLogger(__name__)

# Articles committed (and then enqueued) together: one transaction per article would make a 50,000-line
# import wait on 50,000 commits.
CHUNK_SIZE = 200
# Articles per flagging message: one message per article cost the import a sixth of its time, while a
# message per chunk would leave one of two workers idle at the end of a batch and redo more after a crash.
TASK_SIZE = 50
# Only the first problems are kept line by line; `error_count` still counts them all.
MAX_RECORDED_ERRORS = 1000
MAX_PROBLEM_CHARS = 500
# What a line the database refused says, in place of the driver's message (SQL and values, logged instead).
REFUSED = ("could not be stored: the database refused one of its values (a date or a number out of range, "
           "or a text too long for its field); the other lines were imported")


class BatchTooLarge(ServiceError):
    status = 413
    title = "Request Entity Too Large"


@dataclass(frozen=True)
class ImportLimits:
    max_lines: int
    max_bytes: int
    max_line_bytes: int
    max_article_chars: int


@dataclass(frozen=True)
class BatchState:
    """What a batch is as reported: its row, but `finished` (and when) once none of its articles is
    left to flag, whether or not a writer has recorded that yet. A copy, so reading changes nothing."""

    id: int
    kind: str
    status: str
    total: int
    duplicates: int
    errors: list
    error_count: int
    filter: dict | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class BatchReport:
    """A batch with the counts of its articles by status, derived from the articles themselves."""

    batch: BatchState
    queued: int = 0
    flagging: int = 0
    flagged: int = 0
    failed: int = 0
    articles_per_second: float | None = None

    @property
    def articles(self) -> int:
        return self.queued + self.flagging + self.flagged + self.failed


def now() -> datetime:
    return datetime.now(UTC)


def _skip_blank_lines(stream: BinaryIO) -> tuple[int, int]:
    """Consume the blank lines at the stream's position in bulk: (how many, bytes).

    A Python call per line made 210 MB of newlines hold a web thread for two minutes; whole buffers of
    them are now skipped at the speed of `bytes.count`. Only streams that can peek (buffered ones) are
    skipped this way; the others go line by line."""
    peek = getattr(stream, "peek", None)
    lines = size = 0
    while peek is not None:
        buffer = peek(1 << 16)
        blank = len(buffer) - len(buffer.lstrip())
        end = buffer.rfind(b"\n", 0, blank) + 1  # whole lines only: the last one may go on
        if end == 0:
            break
        lines += buffer.count(b"\n", 0, end)
        size += len(stream.read(end))
    return lines, size


def _read_lines(stream: BinaryIO, max_line_bytes: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, the line or None when over the limit, bytes consumed); one line in memory at a time.

    A run of blank lines comes as one item, numbered as its last line, with b"" for the line."""
    number = 0
    while True:
        blank_lines, blank_bytes = _skip_blank_lines(stream)
        if blank_lines:
            number += blank_lines
            yield number, b"", blank_bytes
        raw = stream.readline(max_line_bytes + 1)
        if not raw:
            break
        number += 1
        size = len(raw)
        if size > max_line_bytes and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line without holding it
                raw = stream.readline(1 << 16)
                size += len(raw)
            yield number, None, size
        else:
            yield number, raw, size


def _refused(exc: SQLAlchemyError) -> bool:
    """The database (or the driver, or a column type) refused the values of a statement, as opposed to
    being unreachable or broken: an INSERT of other rows would go through."""
    return (isinstance(exc, StatementError) and not getattr(exc, "connection_invalidated", False)
            and not isinstance(exc, OperationalError | InterfaceError | InternalError))


def _parse_line(raw: bytes) -> Submission | str:
    """The submission on a line, or the problem with it."""
    try:
        payload = json.loads(raw)
    except RecursionError:
        return "not valid JSON: nested too deeply"
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        return f"not valid JSON: {exc}"
    if not isinstance(payload, dict):
        return "expected a JSON object with the fields of POST /articles"
    try:
        return Submission(**ArticleCreateSchema().load(payload))
    except ValidationError as exc:
        return "; ".join(field_messages(exc.messages))


class _Import:
    """One import while its lines are read: counters, problems and the chunk not yet committed."""

    def __init__(self, session: Session, queue: TaskQueue, batch: Batch, limits: ImportLimits) -> None:
        self.session, self.queue, self.batch, self.limits = session, queue, batch, limits
        self.number = self.lines = self.duplicates = self.error_count = self.bytes = 0
        self.errors: list[dict] = []
        self.pending: list[tuple[int, Submission, CleanedArticle]] = []
        # External ids and body hashes of the chunk, so a line repeating an earlier one is a duplicate;
        # apart, since an external id may be any text, a body hash's 64 hex digits included.
        self.pending_external_ids: set[str] = set()
        self.pending_hashes: set[str] = set()
        self.broker_up = True
        self.cancelled = False
        self.too_large: BatchTooLarge | None = None

    def problem(self, line: int, text: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_RECORDED_ERRORS:
            self.errors.append({"line": line, "problem": text[:MAX_PROBLEM_CHARS]})

    def read(self, number: int, raw: bytes | None, size: int) -> None:
        self.number = number
        self.bytes += size
        if raw is not None and not raw.strip():
            return
        self.lines += 1
        if self.lines > self.limits.max_lines or self.bytes > self.limits.max_bytes:
            self.problem(number, f"over the limit of {self.limits.max_lines:,} lines or "
                                 f"{self.limits.max_bytes:,} bytes; this line and the rest were not read")
            self.lines -= 1
            self.too_large = BatchTooLarge(
                f"A batch holds at most {self.limits.max_lines:,} lines and {self.limits.max_bytes:,} "
                f"bytes; the lines before line {number} were imported as batch {self.batch.id}, the rest "
                "was not read.")
            return
        if raw is None:
            self.problem(number, f"longer than {self.limits.max_line_bytes:,} bytes")
            return
        parsed = _parse_line(raw)
        if isinstance(parsed, str):
            self.problem(number, parsed)
            return
        self.add(number, parsed)
        if len(self.pending) >= CHUNK_SIZE:
            self.store()

    def add(self, number: int, submission: Submission) -> None:
        """Clean the line's article into the chunk; the database is asked about duplicates once per chunk."""
        if submission.external_id and submission.external_id in self.pending_external_ids:
            self.duplicates += 1
            return
        try:
            article = clean_submission(submission, self.limits.max_article_chars, self.batch.id)
        except InvalidInput as exc:
            self.problem(number, exc.detail)
            return
        except Exception as exc:  # a cleaning bug on one odd line must not stop the other 49,999
            log.exception("line %s of batch %s could not be processed", number, self.batch.id)
            self.problem(number, f"could not be processed ({type(exc).__name__})")
            return
        if article.body_hash in self.pending_hashes:  # the same text twice in one chunk
            self.duplicates += 1
            return
        self.pending_hashes.add(article.body_hash)
        if submission.external_id:
            self.pending_external_ids.add(submission.external_id)
        self.pending.append((number, submission, article))

    def drop_stored(self) -> None:
        """Count as duplicates the chunk's articles already stored (same external id or body): one query."""
        external_ids = [a.external_id for _, _, a in self.pending if a.external_id]
        hashes = [a.body_hash for _, _, a in self.pending]
        condition = Article.body_hash.in_(hashes)
        if external_ids:
            condition = or_(condition, Article.external_id.in_(external_ids))
        rows = self.session.execute(select(Article.external_id, Article.body_hash).where(condition)).all()
        if rows:
            stored_external_ids = {external_id for external_id, _ in rows if external_id is not None}
            stored_hashes = {digest for _, digest in rows}
            kept = [p for p in self.pending
                    if p[2].body_hash not in stored_hashes and p[2].external_id not in stored_external_ids]
            self.duplicates += len(self.pending) - len(kept)
            self.pending = kept

    def stored_already(self, article: CleanedArticle) -> bool:
        condition = Article.body_hash == article.body_hash
        if article.external_id:
            condition = or_(condition, Article.external_id == article.external_id)
        return self.session.scalar(select(Article.id).where(condition).limit(1)) is not None

    def lock(self) -> None:
        """Lock the batch's row and see whether it was cancelled: the lock orders the commit that follows
        against a concurrent cancel, which then sees the articles committed."""
        status = self.session.scalar(select(Batch.status).where(Batch.id == self.batch.id).with_for_update())
        self.cancelled = status == BatchStatus.CANCELLED

    def one_by_one(self) -> list[int]:
        """Store the chunk an article at a time, once the database refused it whole; their ids.

        Each article in a transaction of its own, so the one at fault is its line's problem (or, when a
        concurrent writer stored the same article first, a duplicate) and every other line is stored.
        """
        self.session.rollback()
        ids: list[int] = []
        for number, _, article in self.pending:
            self.lock()
            try:
                ids += self.insert([article])
                self.save()
                checkpoint(self.session)
            except SQLAlchemyError as exc:
                if not _refused(exc):
                    raise
                self.session.rollback()
                if self.stored_already(article):
                    self.duplicates += 1
                else:
                    log.warning("batch %s: the database refused line %s: %s", self.batch.id, number, exc)
                    self.problem(number, REFUSED)
                self.lock()
                self.save()
                checkpoint(self.session)
        return ids

    def insert(self, articles: list[CleanedArticle]) -> list[int]:
        """The chunk's articles, then all their claims, as multi-row INSERTs (no ORM objects); their ids."""
        if not articles:
            return []
        created = now()
        rows = [a.values | {"created_at": created, "updated_at": created} for a in articles]
        if self.cancelled:
            for row in rows:
                row["status"], row["status_reason"] = ArticleStatus.FAILED, BATCH_CANCELLED
        table = Article.__table__
        ids = list(self.session.scalars(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
        self.session.execute(insert(Claim.__table__), [
            claim | {"article_id": article_id}
            for article_id, article in zip(ids, articles, strict=True) for claim in article.claims])
        return ids

    def save(self) -> None:
        batch = self.batch
        batch.total, batch.duplicates, batch.error_count = self.lines, self.duplicates, self.error_count
        if batch.errors != self.errors:
            batch.errors = list(self.errors)  # a new list, so the JSON column is written

    def store(self) -> None:
        """Commit the chunk, then enqueue it; if the batch was cancelled meanwhile, fail the chunk instead.

        One query for the chunk's duplicates, one flush for its articles and claims (multi-row INSERTs),
        one commit, then a message per slice of TASK_SIZE articles. A chunk the database refuses is
        stored line by line instead (`one_by_one`).
        """
        if self.pending:
            self.drop_stored()
        self.lock()
        try:
            ids = self.insert([article for _, _, article in self.pending])
            self.save()
            checkpoint(self.session)
        except SQLAlchemyError as exc:
            # A line the database refuses (a value out of its range, a concurrent writer's duplicate)
            # must not take the chunk's other lines down with it.
            if not _refused(exc):
                raise
            ids = self.one_by_one()
        self.pending.clear()
        self.pending_external_ids.clear()
        self.pending_hashes.clear()
        if self.cancelled:
            return
        for start in range(0, len(ids), TASK_SIZE):
            # After one refused publish, leave the rest `queued` for the sweeper instead of waiting on a
            # dead broker once per message.
            if self.broker_up and not self.queue.flag_articles(ids[start:start + TASK_SIZE]):
                self.broker_up = False
                log.warning("batch %s: the broker refused a message; the sweeper will send the rest",
                            self.batch.id)


def start_import(session: Session) -> Batch:
    """A new import batch, committed so it can be followed while its lines are read."""
    batch = Batch(kind=BatchKind.IMPORT, status=BatchStatus.QUEUED, started_at=now(), errors=[])
    session.add(batch)
    checkpoint(session)
    return batch


def import_articles(session: Session, queue: TaskQueue, batch: Batch, stream: BinaryIO, limits: ImportLimits,
                    on_progress: Callable[[int], None] | None = None) -> Batch:
    """Read JSONL articles from `stream` into `batch` a line at a time, storing and queueing them in chunks.

    Each line has the fields of POST /articles; bad lines are recorded with their number, articles already
    stored (same external id or body) are counted as duplicates. Whatever stops the reading (a limit, a
    client gone, a database error), what was read stays stored and queued, and the batch moves on.
    """
    state = _Import(session, queue, batch, limits)
    try:
        for number, raw, size in _read_lines(stream, limits.max_line_bytes):
            state.read(number, raw, size)
            if on_progress is not None:
                on_progress(size)
            if state.cancelled or state.too_large:
                break
        state.store()
    except BaseException as exc:
        # A client gone, a limit enforced by the web server, Ctrl-C: keep what was read. A database error:
        # the chunk is lost with the transaction, and the batch says where reading stopped, in words any
        # reader of the batch may see (the SQL and its values go to the log).
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, SQLAlchemyError):
            log.error("batch %s: reading stopped at line %s: %s", batch.id, state.number + 1, exc)
            session.rollback()
            state.pending.clear()
            reason = "the database failed; send the file again to resume"
        state.problem(state.number + 1, f"reading stopped: {reason}")
        state.store()
        _end_reading(session, batch)
        raise
    _end_reading(session, batch)
    if state.too_large:
        raise state.too_large
    return batch


def _end_reading(session: Session, batch: Batch) -> None:
    # Conditional, so a cancel that came in while the lines were read is not undone.
    session.execute(update(Batch).where(Batch.id == batch.id, Batch.status == BatchStatus.QUEUED)
                    .values(status=BatchStatus.RUNNING))
    finish_settled(session, batch_ids=[batch.id])  # nothing to flag (all duplicates, say)
    checkpoint(session)
    session.refresh(batch)


def _filter_json(f: ArticleFilter) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(f).items() if v is not None}


def start_reflag(session: Session, queue: TaskQueue, f: ArticleFilter) -> Batch:
    """Queue every article matching the filter for detection again, as one batch.

    Claims are not rewritten, so annotations stay on them; the new flags are stored under the current
    detector version and become the ones the API shows.
    """
    started = now()
    batch = Batch(kind=BatchKind.REFLAG, status=BatchStatus.RUNNING, started_at=started, errors=[],
                  filter=_filter_json(f))
    session.add(batch)
    session.flush()
    matching = filter_articles(select(Article.id), f)
    result = session.execute(
        update(Article).where(Article.id.in_(matching))
        .values(status=ArticleStatus.QUEUED, status_reason=None, batch_id=batch.id, updated_at=started)
        .execution_options(synchronize_session=False))
    batch.total = result.rowcount
    checkpoint(session)
    ids = session.scalars(select(Article.id).where(Article.batch_id == batch.id).order_by(Article.id)).all()
    checkpoint(session)  # end the read before the publishes, so SQLite writers are not held up meanwhile
    for start in range(0, len(ids), TASK_SIZE):
        if not queue.flag_articles(ids[start:start + TASK_SIZE]):
            log.warning("reflag batch %s: the broker refused a message; the sweeper will send the rest",
                        batch.id)
            break
    return batch


def _reports(session: Session, batches: list[Batch]) -> list[BatchReport]:
    """Count each batch's articles by status in one query; a running batch none of whose articles is
    left to flag is reported finished (at its last article's change). Reads only."""
    ids = [b.id for b in batches]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    last_flagged: dict[int, datetime] = {}
    last_change: dict[int, datetime] = {}
    if ids:
        rows = session.execute(
            select(Article.batch_id, Article.status, func.count(), func.max(Article.flagged_at),
                   func.max(Article.updated_at))
            .where(Article.batch_id.in_(ids)).group_by(Article.batch_id, Article.status))
        for batch_id, status, n, flagged_at, updated_at in rows:
            counts[batch_id][status] = n
            if status == ArticleStatus.FLAGGED and flagged_at is not None:
                last_flagged[batch_id] = flagged_at
            if updated_at is not None and (batch_id not in last_change or updated_at > last_change[batch_id]):
                last_change[batch_id] = updated_at
    reports = []
    for batch in batches:
        c = counts[batch.id]
        state = BatchState(batch.id, batch.kind, batch.status, batch.total, batch.duplicates, batch.errors,
                           batch.error_count, batch.filter, batch.created_at, batch.started_at,
                           batch.finished_at)
        if batch.status == BatchStatus.RUNNING and _settled(c):
            state = replace(state, status=BatchStatus.FINISHED,
                            finished_at=last_change.get(batch.id) or batch.started_at)
        flagged = c.get(ArticleStatus.FLAGGED, 0)
        rate = None
        if flagged and batch.id in last_flagged and batch.started_at is not None:
            seconds = (last_flagged[batch.id] - batch.started_at).total_seconds()
            rate = round(flagged / seconds, 2) if seconds > 0 else None
        reports.append(BatchReport(state, queued=c.get(ArticleStatus.QUEUED, 0),
                                   flagging=c.get(ArticleStatus.FLAGGING, 0), flagged=flagged,
                                   failed=c.get(ArticleStatus.FAILED, 0), articles_per_second=rate))
    return reports


def _settled(counts: dict[str, int]) -> bool:
    return counts.get(ArticleStatus.QUEUED, 0) + counts.get(ArticleStatus.FLAGGING, 0) == 0


def finish_settled(session: Session, article_ids: list[int] | None = None,
                   batch_ids: list[int] | None = None) -> list[int]:
    """Record as finished the running batches none of whose articles is still queued or being flagged,
    each with its batch.finished event; the ids of those this call finished.

    The sweeper calls it for every running batch, so batch.finished goes out even when nobody looks;
    the flagging task for the batches of the articles it has just settled (`article_ids`), so it goes out
    as soon as the last one is stored; an import or a cancel for its own batch (`batch_ids`). It does not
    commit: the caller's transaction holds the change.
    """
    running = select(Batch).where(Batch.status == BatchStatus.RUNNING)
    if article_ids is not None:
        running = running.where(Batch.id.in_(select(Article.batch_id).where(Article.id.in_(article_ids))))
    if batch_ids is not None:
        running = running.where(Batch.id.in_(batch_ids))
    # A cheap look first (the batch_id index, stopping at the first article left), so a worker settling
    # articles of a 50,000-article batch does not count the whole batch after every message.
    unsettled = exists().where(Article.batch_id == Batch.id,
                               Article.status.in_((ArticleStatus.QUEUED, ArticleStatus.FLAGGING)))
    candidates = list(session.scalars(running.where(~unsettled)))
    finished = []
    for report in _reports(session, candidates):
        if report.batch.status != BatchStatus.FINISHED:
            continue
        # Conditional, so a concurrent cancel (or another finisher) wins; only the caller whose UPDATE
        # finished the batch reports it, so batch.finished goes out once.
        done = session.execute(update(Batch).where(Batch.id == report.batch.id,
                                                   Batch.status == BatchStatus.RUNNING)
                               .values(status=BatchStatus.FINISHED,
                                       finished_at=report.batch.finished_at or now()))
        if done.rowcount:
            batch = session.get(Batch, report.batch.id, populate_existing=True)
            counts = {str(status): n for status, n in (
                (ArticleStatus.QUEUED, report.queued), (ArticleStatus.FLAGGING, report.flagging),
                (ArticleStatus.FLAGGED, report.flagged), (ArticleStatus.FAILED, report.failed)) if n}
            webhooks.batch_finished(session, batch, counts)
            finished.append(batch.id)
    return finished


def get_batch(session: Session, batch_id: int) -> BatchReport:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"There is no batch {batch_id}.")
    return _reports(session, [batch])[0]


def list_batches(session: Session, limit: int, cursor: str | None) -> Page:
    """Newest first, with the same cursors as the article list."""
    page = newest_first(session, select(Batch), Batch.id, limit, cursor)
    return Page(_reports(session, page.items), page.next_cursor)


def cancel_batch(session: Session, batch_id: int) -> BatchReport:
    """Fail the batch's articles no worker has started, with reason "batch cancelled"; idempotent.

    Articles already being flagged finish; a finished batch is left as it is.
    """
    batch = session.scalar(select(Batch).where(Batch.id == batch_id).with_for_update())
    if batch is None:
        raise NotFound(f"There is no batch {batch_id}.")
    finish_settled(session, batch_ids=[batch_id])  # nothing left to cancel: it is finished
    session.refresh(batch)
    if batch.status in (BatchStatus.QUEUED, BatchStatus.RUNNING):
        stopped = now()
        session.execute(
            update(Article).where(Article.batch_id == batch_id, Article.status == ArticleStatus.QUEUED)
            .values(status=ArticleStatus.FAILED, status_reason=BATCH_CANCELLED, updated_at=stopped)
            .execution_options(synchronize_session=False))
        batch.status, batch.finished_at = BatchStatus.CANCELLED, stopped
    session.flush()
    return get_batch(session, batch_id)

