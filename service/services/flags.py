"""Reading stored flags across articles."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.services.articles import Page, decode_cursor, encode_cursor
from service.storage.models import Article, Flag


def list_flags(session: Session, kind: str | None, subtype: str | None, article_id: int | None,
               limit: int, cursor: str | None) -> Page:
    """Flags of each article's current detector version, newest first."""
    query = (select(Flag).join(Article, Article.id == Flag.article_id)
             .where(Flag.detector_version == Article.detector_version)
             .order_by(Flag.id.desc()).limit(limit + 1))
    if kind:
        query = query.where(Flag.kind == kind)
    if subtype:
        query = query.where(Flag.subtype == subtype)
    if article_id:
        query = query.where(Flag.article_id == article_id)
    if cursor:
        query = query.where(Flag.id < decode_cursor(cursor))
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].id) if more else None)
