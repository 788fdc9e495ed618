"""What the reviewer's desk reads: an article's claims, current flags and annotations in a few queries."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.services.errors import NotFound
from service.storage.models import Annotation, Article, Claim, Flag, is_current_flag

# The outlet filter is a list to pick from; past this many it stops being one.
MAX_OUTLETS = 500


@dataclass(frozen=True)
class DeskArticle:
    """An article as the desk shows it; flags are the current detector version's only."""

    article: Article
    claims: list[Claim]
    flags: dict[int, list[Flag]]  # by claim id, in reading order
    annotations: dict[int, list[Annotation]]  # by claim id, oldest first, deleted ones left out


def desk_article(session: Session, article_id: int) -> DeskArticle:
    # Three flat queries rather than relationship loads: the page must stay fast at 1,000 flags, and
    # flags of older detector versions are never needed here.
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"There is no article {article_id}.")
    claims = list(session.scalars(select(Claim).where(Claim.article_id == article_id)
                                  .order_by(Claim.position)))
    flags: dict[int, list[Flag]] = defaultdict(list)
    for flag in session.scalars(select(Flag).where(is_current_flag(Flag, article))
                                .order_by(Flag.start, Flag.end.desc())):
        flags[flag.claim_id].append(flag)
    annotations: dict[int, list[Annotation]] = defaultdict(list)
    for annotation in session.scalars(select(Annotation).join(Claim).where(
            Claim.article_id == article_id, Annotation.deleted_at.is_(None)).order_by(Annotation.id)):
        annotations[annotation.claim_id].append(annotation)
    return DeskArticle(article, claims, dict(flags), dict(annotations))


def claim_counts(session: Session, article_ids: list[int]) -> dict[int, int]:
    """How many claims each article has (the queue shows annotated claims out of these)."""
    if not article_ids:
        return {}
    rows = session.execute(select(Claim.article_id, func.count()).where(Claim.article_id.in_(article_ids))
                           .group_by(Claim.article_id))
    return dict(rows.all())


def outlets(session: Session) -> list[str]:
    """The outlets articles came from, for the queue's filter."""
    return list(session.scalars(select(Article.outlet).where(Article.outlet.is_not(None)).distinct()
                                .order_by(Article.outlet).limit(MAX_OUTLETS)))
