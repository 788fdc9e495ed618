"""The audit history of reviews: who changed an annotation or a review status, when, before and after."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.storage.models import NEVER_REUSE_IDS, Base, JSONType, utcnow


class HistoryEntry(Base):
    """One recorded change: who, when, what it was before and after."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_entity", "entity", "entity_id", "id"),
                      Index("ix_history_claim", "claim_id", "id"),
                      Index("ix_history_article", "article_id"),
                      NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))  # annotation | claim | article
    entity_id: Mapped[int]
    # The claim the change concerns (an annotation's or the claim's own), so a claim's history includes
    # its annotations' changes; for an article's own changes, the article. The record goes with what it
    # describes: a history left behind by a deleted claim was shown as the history of a new claim that
    # got its id (SQLite, before ids were never reused), and it is no one's to read any more.
    claim_id: Mapped[int | None] = mapped_column(
        ForeignKey("claims.id", ondelete="CASCADE", name="fk_history_claim_id"))
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE", name="fk_history_article_id"))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | restore | status
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
