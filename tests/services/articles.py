"""Articles stored with their claims laid out by hand, so service tests do not depend on the splitter."""
from __future__ import annotations

from sqlalchemy.orm import Session

from service.storage.models import Article, Claim


def article_with_claims(session: Session, body: str, claims: list[str], **fields) -> Article:
    """Store `body` with one claim per text in `claims` (found in order; the first is the headline)."""
    article = Article(body=body, body_hash=str(abs(hash(body))), status="queued", source_format="text",
                      **fields)
    spans, offset = [], 0
    for text in claims:
        start = body.index(text, offset)
        spans.append((start, start + len(text), text))
        offset = start + len(text)
    article.claims = [Claim(position=i, role="headline" if i == 0 else "body", start=s, end=e, text=t)
                      for i, (s, e, t) in enumerate(spans)]
    session.add(article)
    session.commit()
    return article
