"""Reading stored flags across articles."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.services.pagination import Page, newest_first
from service.storage.models import Article, Flag, is_current_flag


def list_flags(session: Session, kind: str | None, subtype: str | None, article_id: int | None,
               limit: int, cursor: str | None) -> Page:
    """Flags of each article's current detector version, newest first."""
    query = select(Flag).join(Article, is_current_flag(Flag, Article))
    if kind:
        query = query.where(Flag.kind == kind)
    if subtype:
        query = query.where(Flag.subtype == subtype)
    if article_id:
        query = query.where(Flag.article_id == article_id)
    return newest_first(session, query, Flag.id, limit, cursor)
