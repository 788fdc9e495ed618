"""Reading stored flags across articles."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.services.pagination import Page, newest_first
from service.storage.models import Article, Flag


def list_flags(session: Session, kind: str | None, subtype: str | None, article_id: int | None,
               limit: int, cursor: str | None) -> Page:
    """Flags of each article's current detector version, newest first."""
    query = (select(Flag).join(Article, Article.id == Flag.article_id)
             .where(Flag.detector_version == Article.detector_version))
    if kind:
        query = query.where(Flag.kind == kind)
    if subtype:
        query = query.where(Flag.subtype == subtype)
    if article_id:
        query = query.where(Flag.article_id == article_id)
    return newest_first(session, query, Flag.id, limit, cursor)
