"""A claim's current verdict: the verdict of its most recently updated live annotation that has one.

An edit, a delete or a restore moves `updated_at`, so the verdict an editor touched last wins, whoever
wrote it and whenever; equal times go to the higher id. The desk, the API, the exports and the webhooks
all read it from here: `current_annotation` over loaded annotations, `current_verdicts` in SQL.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.storage.models import Annotation


class _Annotated(Protocol):
    id: int
    verdict: str | None
    deleted_at: Any
    updated_at: Any


A = TypeVar("A", bound=_Annotated)

# The SQL form of the same rule: which annotations count, and which of them is current (first).
COUNTS = (Annotation.deleted_at.is_(None), Annotation.verdict.is_not(None))
NEWEST_FIRST = (Annotation.updated_at.desc(), Annotation.id.desc())


def current_annotation(annotations: Iterable[A]) -> A | None:
    """The annotation whose verdict is the claim's current one, or None."""
    live = [a for a in annotations if a.verdict is not None and getattr(a, "deleted_at", None) is None]
    return max(live, key=lambda a: (a.updated_at, a.id), default=None)


def current_verdict(annotations: Iterable[_Annotated]) -> str | None:
    annotation = current_annotation(annotations)
    return annotation.verdict if annotation is not None else None


def current_verdicts(session: Session, claim_ids: Iterable[int]) -> dict[int, str]:
    """The current verdict of each claim that has one, in one query (on the session's connection, so
    nothing pending is flushed)."""
    ids = list(claim_ids)
    if not ids:
        return {}
    rank = func.row_number().over(partition_by=Annotation.claim_id, order_by=NEWEST_FIRST).label("rank")
    ranked = (select(Annotation.claim_id, Annotation.verdict, rank)
              .where(Annotation.claim_id.in_(ids), *COUNTS).subquery())
    rows = session.connection().execute(select(ranked.c.claim_id, ranked.c.verdict).where(ranked.c.rank == 1))
    return dict(rows.all())
