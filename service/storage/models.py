"""The tables: batches, articles, their claims, the flags workers put on claims, reviewers' annotations."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JSONType = JSON().with_variant(JSONB(), "postgresql")
# Every id column is an Integer: PostgreSQL's int4, whose largest value this is. An id past it names no
# row (and PostgreSQL refuses it as a parameter), so URLs, query fields and cursors stop there.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONType}


# Every table's table arguments end with this. Without AUTOINCREMENT, SQLite hands out max(id) + 1, so
# deleting the newest article gave its id (and its claims' and annotations' ids) to the next one, and
# whatever still referred to the old ids (an integration, a bookmark, the history) found the new rows.
# PostgreSQL's sequences never go back; this is SQLite's way of the same (migration 0009).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class Batch(Base):
    """An import or a re-flag; its article counts are derived from `articles.batch_id`, never stored."""

    __tablename__ = "batches"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    # Imports: non-blank lines read; re-flags: articles matched.
    total: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    # The first problems as {line, problem}; capped, so a file of garbage cannot bloat the row.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error_count: Mapped[int] = mapped_column(default=0)
    filter: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_status", "status"),
        Index("ix_articles_outlet", "outlet"),
        Index("ix_articles_published_at", "published_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    # SHA-256 of the cleaned body: posting the same text twice must not make a second article.
    body_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    outlet: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    source_format: Mapped[str] = mapped_column(String(8), default="text")
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    detector_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    flagged_at: Mapped[datetime | None]
    # The batch that last queued the article (an import, then any re-flag).
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("batches.id", ondelete="SET NULL", name="fk_articles_batch_id"), index=True)
    # Editors' workflow state, apart from the workers' `status`; review_version backs its ETag.
    review_status: Mapped[str] = mapped_column(String(16), default="unreviewed", server_default="unreviewed")
    review_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Bumped by every UPDATE of the row: ORM or Core alike by this onupdate, any other (a hand-written
    # UPDATE) by a trigger (migration 0008). Claims and current flags only change together
    # with the row (flagging sets status, detector_version, flagged_at), so it keys the API's cached
    # representation of the article (service/api/article_cache.py).
    revision: Mapped[int] = mapped_column(default=1, server_default="1",
                                          onupdate=literal_column("revision") + 1)

    claims: Mapped[list[Claim]] = relationship(
        back_populates="article", order_by="Claim.position", cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("article_id", "position", name="uq_claims_article_position"),
                      NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    role: Mapped[str] = mapped_column(String(16))
    start: Mapped[int]
    end: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    review_status: Mapped[str] = mapped_column(String(16), default="unreviewed", server_default="unreviewed")
    review_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Live (not deleted) annotations, kept by creating, deleting and restoring one, each in the same
    # transaction: an article read takes its counts from here instead of counting every annotation.
    annotation_count: Mapped[int] = mapped_column(default=0, server_default="0")

    article: Mapped[Article] = relationship(back_populates="claims")
    flags: Mapped[list[Flag]] = relationship(
        back_populates="claim", order_by="Flag.start", cascade="all, delete-orphan", passive_deletes=True
    )
    annotations: Mapped[list[Annotation]] = relationship(
        back_populates="claim", order_by="Annotation.id", cascade="all, delete-orphan", passive_deletes=True
    )


class Flag(Base):
    __tablename__ = "flags"
    __table_args__ = (
        Index("ix_flags_kind_subtype", "kind", "subtype"),
        Index("ix_flags_article_version", "article_id", "detector_version"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    subtype: Mapped[str | None] = mapped_column(String(16))
    start: Mapped[int]
    end: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    detector_version: Mapped[str] = mapped_column(String(32))

    claim: Mapped[Claim] = relationship(back_populates="flags")


def is_current_flag(flag: Any, article: Any) -> Any:
    """The one rule for which flags are current: those of the detector version that last flagged their
    article; older versions' flags stay stored, out of view.

    Given the mapped classes it is a SQL condition (to join or correlate Flag with Article), given a
    loaded flag and article a bool; a class with a loaded row compares the columns with its values.
    """
    return (flag.article_id == article.id) & (flag.detector_version == article.detector_version)


class Annotation(Base):
    __tablename__ = "annotations"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    selector: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    reviewer: Mapped[str] = mapped_column(String(200))
    # Who wrote it (None once the account is deleted; `reviewer` keeps the name).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_annotations_user_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Soft delete: an editor can undo it.
    deleted_at: Mapped[datetime | None]
    # Optimistic locking: every UPDATE checks and bumps it, so two edits never silently overwrite.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    claim: Mapped[Claim] = relationship(back_populates="annotations")

    __mapper_args__ = {"version_id_col": version}
