"""Submitting, listing, reading and deleting articles."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from service.domain import ArticleStatus
from service.services.detector import clean_article, split_article
from service.services.errors import InvalidInput, NotFound
from service.services.pagination import Page, newest_first
from service.services.queue import TaskQueue
from service.storage.models import Annotation, Article, Claim, Flag, is_current_flag


@dataclass(frozen=True)
class Submission:
    """What a caller sends to create an article; exactly one of `body` and `html` is set."""

    body: str | None = None
    html: str | None = None
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    external_id: str | None = None


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def add_article(session: Session, submission: Submission, max_chars: int, batch_id: int | None = None
                ) -> tuple[Article, bool]:
    """Clean the submission and add it to the session with its claims, uncommitted.

    Returns the article and whether it is new; an article already stored under the same
    external id, or with the same cleaned body, is returned instead of a duplicate.
    """
    if submission.external_id:
        existing = session.scalar(select(Article).where(Article.external_id == submission.external_id))
        if existing is not None:
            return existing, False
    article = prepare_article(submission, max_chars, batch_id)
    existing = session.scalar(select(Article).where(Article.body_hash == article.body_hash))
    if existing is not None:
        return existing, False
    session.add(article)
    return article, True


@dataclass
class CleanedArticle:
    """A submission cleaned and split, as column values: what `prepare_article` and batch imports insert."""

    values: dict[str, Any]
    claims: list[dict[str, Any]]

    @property
    def body_hash(self) -> str:
        return self.values["body_hash"]

    @property
    def external_id(self) -> str | None:
        return self.values["external_id"]


# A headline found in the text may be any length, the column is not.
MAX_TITLE = Article.__table__.c.title.type.length


def fit_title(title: str | None, limit: int = MAX_TITLE) -> str | None:
    """The title cut to `limit` characters at a word boundary, with an ellipsis; whole if it fits."""
    if title is None or len(title) <= limit:
        return title
    cut = title[:limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # a word boundary, unless that would throw away most of the title
        cut = cut[:space]
    return cut.rstrip() + "…"


def clean_submission(submission: Submission, max_chars: int, batch_id: int | None = None) -> CleanedArticle:
    """Clean the submission into the column values of a new, `queued` article and of its claims.

    A title taken from the text is cut to fit its column (the claims keep the whole headline). Raises
    InvalidInput when nothing is left once cleaned, or the text is over `max_chars`.
    """
    cleaned, source_format = clean_article(submission.html, submission.body, submission.url, submission.title)
    field = "html" if source_format == "html" else "body"
    if not cleaned.body.strip():
        raise InvalidInput(f"The {field} holds no article text once cleaned.",
                           {field: ["No article text left after removing navigation and page furniture."]})
    if len(cleaned.body) > max_chars:
        raise InvalidInput(f"The article is {len(cleaned.body):,} characters; the limit is {max_chars:,}.",
                           {field: [f"Longer than {max_chars} characters."]})
    title = submission.title or cleaned.title
    values = {
        "external_id": submission.external_id, "body_hash": body_hash(cleaned.body),
        "title": fit_title(title),
        "body": cleaned.body, "url": submission.url, "outlet": submission.outlet, "author": submission.author,
        "published_at": submission.published_at, "language": submission.language,
        "source_format": source_format, "status": ArticleStatus.QUEUED, "status_reason": None,
        "batch_id": batch_id,
    }
    claims = [{"position": i, "role": c.role, "start": c.start, "end": c.end, "text": c.text}
              for i, c in enumerate(split_article(cleaned.body, title))]
    return CleanedArticle(values, claims)


def prepare_article(submission: Submission, max_chars: int, batch_id: int | None = None) -> Article:
    """Clean the submission into a new, `queued` Article with its claims, outside any session."""
    cleaned = clean_submission(submission, max_chars, batch_id)
    article = Article(**cleaned.values)
    article.claims = [Claim(**c) for c in cleaned.claims]
    return article


def submit_article(session: Session, queue: TaskQueue, submission: Submission, max_chars: int,
                   batch_id: int | None = None) -> tuple[Article, bool]:
    """Store a cleaned article with its claims, commit, and queue it for flagging.

    Returns the article and whether it is new (see `add_article`).
    """
    article, created = add_article(session, submission, max_chars, batch_id)
    if not created:
        return article, False
    digest = article.body_hash
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request stored the same article between our check and our insert.
        session.rollback()
        existing = session.scalar(select(Article).where(
            or_(Article.body_hash == digest, Article.external_id == submission.external_id)
            if submission.external_id else Article.body_hash == digest))
        if existing is None:
            raise
        return existing, False
    queue.flag_article(article.id)
    return article, True


def get_article(session: Session, article_id: int) -> Article:
    article = session.scalar(
        select(Article).where(Article.id == article_id)
        .options(selectinload(Article.claims).selectinload(Claim.flags))
    )
    if article is None:
        raise NotFound(f"There is no article {article_id}.")
    return article


# Built once: GET /articles/{id} runs it on every read. It reads the claims' own counters (one row per
# annotated claim) rather than counting annotations; an unknown article gives no row at all.
_ARTICLE_STATE = (
    select(Article.revision, Claim.id, Claim.annotation_count)
    .select_from(Article)
    .outerjoin(Claim, (Claim.article_id == Article.id) & (Claim.annotation_count > 0))
    .where(Article.id == bindparam("article_id"))
)


def article_state(session: Session, article_id: int) -> tuple[int, dict[int, int]]:
    """The article's revision and its live annotations per claim id, in one query: what a cached
    representation is checked against and completed with."""
    rows = session.connection().execute(_ARTICLE_STATE, {"article_id": article_id}).all()
    if not rows:
        raise NotFound(f"There is no article {article_id}.")
    return rows[0][0], {claim_id: n for _, claim_id, n in rows if claim_id is not None}


def delete_article(session: Session, article_id: int) -> None:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"There is no article {article_id}.")
    session.delete(article)
    session.flush()


@dataclass(frozen=True)
class ArticleFilter:
    status: str | None = None
    outlet: str | None = None
    kind: str | None = None
    subtype: str | None = None
    q: str | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_articles(query: Select, f: ArticleFilter) -> Select:
    if f.status:
        query = query.where(Article.status == f.status)
    if f.outlet:
        query = query.where(Article.outlet == f.outlet)
    if f.kind or f.subtype:
        flag = select(Flag.id).where(is_current_flag(Flag, Article))
        if f.kind:
            flag = flag.where(Flag.kind == f.kind)
        if f.subtype:
            flag = flag.where(Flag.subtype == f.subtype)
        query = query.where(exists(flag))
    if f.q:
        pattern = f"%{_escape_like(f.q)}%"
        query = query.where(or_(Article.title.ilike(pattern, escape="\\"),
                                Article.body.ilike(pattern, escape="\\")))
    if f.published_from:
        query = query.where(Article.published_at >= f.published_from)
    if f.published_to:
        query = query.where(Article.published_at <= f.published_to)
    return query


def list_articles(session: Session, f: ArticleFilter, limit: int, cursor: str | None) -> Page:
    """Newest first."""
    return newest_first(session, filter_articles(select(Article), f), Article.id, limit, cursor)


def flag_counts(session: Session, article_ids: list[int]) -> dict[int, dict[str, int]]:
    """Current-version flag counts by kind for each article."""
    counts: dict[int, dict[str, int]] = {i: {} for i in article_ids}
    if not article_ids:
        return counts
    rows = session.execute(
        select(Flag.article_id, Flag.kind, func.count())
        .join(Article, is_current_flag(Flag, Article))
        .where(Flag.article_id.in_(article_ids))
        .group_by(Flag.article_id, Flag.kind)
    )
    for article_id, kind, n in rows:
        counts[article_id][kind] = n
    return counts


def annotation_counts(session: Session, claim_ids: list[int]) -> dict[int, int]:
    if not claim_ids:
        return {}
    rows = session.execute(
        select(Annotation.claim_id, func.count())
        .where(Annotation.claim_id.in_(claim_ids), Annotation.deleted_at.is_(None))
        .group_by(Annotation.claim_id)
    )
    return dict(rows.all())


def annotated_claim_counts(session: Session, article_ids: list[int]) -> dict[int, int]:
    """How many claims of each article carry at least one annotation."""
    if not article_ids:
        return {}
    rows = session.execute(
        select(Claim.article_id, func.count(func.distinct(Claim.id)))
        .join(Annotation, Annotation.claim_id == Claim.id)
        .where(Claim.article_id.in_(article_ids), Annotation.deleted_at.is_(None))
        .group_by(Claim.article_id)
    )
    return dict(rows.all())
