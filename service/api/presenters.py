"""Turn stored rows into the plain data the output schemas dump: current flags only, counts, progress."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.services.articles import annotated_claim_counts, annotation_counts, flag_counts
from service.services.batches import BatchReport
from service.services.verdicts import current_verdict
from service.storage.models import Annotation, Article, Claim, Flag, is_current_flag

_SUMMARY = ("id", "external_id", "title", "url", "outlet", "author", "published_at", "language",
            "source_format", "status", "status_reason", "detector_version", "created_at", "updated_at",
            "flagged_at", "review_status")


def current_flags(claim: Claim, article: Article) -> list[Flag]:
    return [f for f in claim.flags if is_current_flag(f, article)]


def article_summaries(session: Session, articles: list[Article]) -> list[dict[str, Any]]:
    ids = [a.id for a in articles]
    counts, annotated = flag_counts(session, ids), annotated_claim_counts(session, ids)
    return [{**{k: getattr(a, k) for k in _SUMMARY}, "flag_counts": counts[a.id],
             "annotated_claims": annotated.get(a.id, 0)} for a in articles]


def claims_with_flags(session: Session, article: Article) -> list[dict[str, Any]]:
    counts = annotation_counts(session, [c.id for c in article.claims])
    return [{"id": c.id, "article_id": c.article_id, "position": c.position, "role": c.role,
             "start": c.start, "end": c.end, "text": c.text, "annotation_count": counts.get(c.id, 0),
             "flags": current_flags(c, article)} for c in article.claims]


def article_detail(session: Session, article: Article) -> dict[str, Any]:
    claims = claims_with_flags(session, article)
    # The summary's counts, from what is loaded already rather than two more queries.
    flag_kinds: dict[str, int] = {}
    for claim in claims:
        for f in claim["flags"]:
            flag_kinds[f.kind] = flag_kinds.get(f.kind, 0) + 1
    return {**{k: getattr(article, k) for k in _SUMMARY}, "flag_counts": flag_kinds,
            "annotated_claims": sum(1 for c in claims if c["annotation_count"]),
            "body": article.body, "claims": claims,
            "annotation_count": sum(c["annotation_count"] for c in claims)}


def claim_detail(claim: Claim, annotations: list[Annotation]) -> dict[str, Any]:
    return {"id": claim.id, "article_id": claim.article_id, "position": claim.position, "role": claim.role,
            "start": claim.start, "end": claim.end, "text": claim.text, "review_status": claim.review_status,
            "current_verdict": current_verdict(claim.annotations),
            "flags": current_flags(claim, claim.article), "annotations": annotations}


def batch_view(report: BatchReport) -> dict[str, Any]:
    batch = report.batch
    return {"id": batch.id, "kind": batch.kind, "status": batch.status, "total": batch.total,
            "articles": report.articles, "queued": report.queued, "flagging": report.flagging,
            "flagged": report.flagged, "failed": report.failed, "duplicates": batch.duplicates,
            "error_count": batch.error_count, "errors": batch.errors, "filter": batch.filter,
            "created_at": batch.created_at, "started_at": batch.started_at, "finished_at": batch.finished_at,
            "articles_per_second": report.articles_per_second}
