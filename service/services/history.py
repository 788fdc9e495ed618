"""The audit trail: every change to an annotation or a review status, with who, when, before, after."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from service.domain.access import Principal
from service.storage.history import HistoryEntry

_INSERT = insert(HistoryEntry.__table__)


def record(session: Session, principal: Principal, entity: str, entity_id: int, action: str,
           before: dict[str, Any] | None, after: dict[str, Any] | None, claim_id: int | None = None,
           insert_now: bool = False) -> None:
    """Add an entry to the caller's transaction, so the change and its record commit together.

    By default the entry waits for the caller's flush (where an edit's version check also happens);
    `insert_now` writes it at once with a plain INSERT, for a caller with nothing else pending.
    """
    # Every entry names its claim or (an article's own change) its article, and goes when that goes.
    article_id = entity_id if entity == "article" else None
    entry = dict(entity=entity, entity_id=entity_id, claim_id=claim_id, article_id=article_id, action=action,
                 user_id=principal.user_id, username=principal.username, before=before, after=after)
    if insert_now:
        session.connection().execute(_INSERT, entry)
    else:
        session.add(HistoryEntry(**entry))


def for_entity(session: Session, entity: str, entity_id: int) -> list[HistoryEntry]:
    return list(session.scalars(select(HistoryEntry).where(
        HistoryEntry.entity == entity, HistoryEntry.entity_id == entity_id).order_by(HistoryEntry.id)))


def for_claim(session: Session, claim_id: int) -> list[HistoryEntry]:
    """The claim's own status changes and every change to its annotations, oldest first."""
    return list(session.scalars(select(HistoryEntry).where(or_(
        HistoryEntry.claim_id == claim_id,
        (HistoryEntry.entity == "claim") & (HistoryEntry.entity_id == claim_id),
    )).order_by(HistoryEntry.id)))
