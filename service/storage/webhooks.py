"""The tables for webhooks: the registered receivers and the outbox of their deliveries."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.storage.models import NEVER_REUSE_IDS, Base, JSONType, utcnow


class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    # Kept as given, not hashed: every delivery is signed with it (HMAC needs the key itself). It is
    # never returned by the API after creation; database backups must be guarded like the database.
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_webhooks_created_by"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Deliveries that failed for good in a row; any success resets it, reaching the limit disables the hook.
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class WebhookDelivery(Base):
    """One event for one webhook: written in the transaction of the change it reports (an outbox)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The delivery log, newest first (and the cascade from a deleted webhook).
        Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
        # The ordering check: is an older delivery for this webhook and key still pending?
        Index("ix_webhook_deliveries_order", "webhook_id", "event_key", "status", "id"),
        # The sweeper: pending deliveries whose message was lost.
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE", name="fk_webhook_deliveries_webhook_id"))
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Deliveries with the same key (e.g. "article:123") reach a webhook in the order they were made.
    event_key: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    last_latency_ms: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    # When the next attempt is due; while an attempt runs, the end of its lease.
    next_attempt_at: Mapped[datetime | None]
