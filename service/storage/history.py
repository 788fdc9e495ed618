"""The audit history of reviews: who changed an annotation or a review status, when, before and after."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.storage.models import Base, JSONType, utcnow


class HistoryEntry(Base):
    """One recorded change: who, when, what it was before and after."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_entity", "entity", "entity_id", "id"),
                      Index("ix_history_claim", "claim_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))  # annotation | claim | article
    entity_id: Mapped[int]
    # The claim the change concerns, so a claim's history includes its annotations' changes; no
    # foreign key, so the record outlives what it describes.
    claim_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | restore | status
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
