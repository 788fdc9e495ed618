"""Reviewers' annotations on claims: a verdict, a note, evidence links and an optional span.

Who may change what is decided here (reviewers their own, editors any); every change is recorded in
the history, and edits carry the version they were based on, so no one overwrites a change unseen.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from service.domain.access import Principal, ReviewStatus, may_see_deleted
from service.services import history, webhooks
from service.services.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from service.storage.history import HistoryEntry
from service.storage.models import Annotation, Article, Claim, utcnow

EDITABLE = ("verdict", "note", "evidence", "selector")


@dataclass(frozen=True)
class AnnotationInput:
    verdict: str | None = None
    note: str | None = None
    evidence: list[dict[str, Any]] | None = None
    selector: dict[str, Any] | None = None


def annotation_etag(annotation: Annotation) -> str:
    return f'"a{annotation.id}.{annotation.version}"'


def claim_etag(claim: Claim) -> str:
    return f'"c{claim.id}.{claim.review_version}"'


def article_etag(article: Article) -> str:
    return f'"r{article.id}.{article.review_version}"'


def check_if_match(if_match: str | None, etag: str, current: Callable[[], dict[str, Any]]) -> None:
    """428 without If-Match, 412 (with the current version in the body) when it names an older one."""
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag you last read, so no change is lost.",
                                   headers={"ETag": etag})
    offered = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in offered and etag not in offered:
        raise PreconditionFailed("Someone changed this since you read it; here is the current version.",
                                 extensions={"current": current()}, headers={"ETag": etag})


def snapshot(annotation: Annotation) -> dict[str, Any]:
    """What the history keeps of an annotation's state."""
    return {"verdict": annotation.verdict, "note": annotation.note, "evidence": annotation.evidence,
            "selector": annotation.selector, "reviewer": annotation.reviewer,
            "deleted": annotation.deleted_at is not None}


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = session.scalar(
        select(Claim).where(Claim.id == claim_id)
        .options(selectinload(Claim.flags), selectinload(Claim.annotations), selectinload(Claim.article))
    )
    if claim is None:
        raise NotFound(f"There is no claim {claim_id}.")
    return claim


def visible_annotations(claim: Claim, principal: Principal) -> list[Annotation]:
    """Deleted annotations stay visible to editors, who can restore them, and to no one else."""
    return [a for a in claim.annotations if a.deleted_at is None or may_see_deleted(principal)]


def check_selector(claim: Claim, selector: dict[str, Any] | None) -> dict[str, Any] | None:
    """A TextQuoteSelector plus positions inside the claim; the quoted text must be what is there."""
    if selector is None:
        return None
    start, end = selector["start"], selector["end"]
    if not 0 <= start < end <= len(claim.text):
        raise InvalidInput(
            f"The span {start}-{end} does not lie inside the claim ({len(claim.text)} characters).",
            {"selector": {"end": [f"Must satisfy 0 <= start < end <= {len(claim.text)}."]}})
    exact = claim.text[start:end]
    if selector.get("exact") is not None and selector["exact"] != exact:
        raise InvalidInput("The selector's exact text is not the claim's text at those offsets.",
                           {"selector": {"exact": [f"The claim reads {exact!r} there."]}})
    return {
        "start": start,
        "end": end,
        "exact": exact,
        "prefix": claim.text[max(0, start - 32):start],
        "suffix": claim.text[end:end + 32],
    }


def _require_content(values: dict[str, Any]) -> None:
    if not (values.get("verdict") or values.get("note") or values.get("evidence")):
        raise InvalidInput("An annotation needs a verdict, a note or evidence.",
                           {"verdict": ["Give a verdict, a note or at least one evidence link."]})


# The hottest write there is: plain statements on the session's connection, built once, no ORM objects.
_CLAIM = select(Claim.id, Claim.article_id, Claim.text).where(Claim.id == bindparam("claim_id"))
_INSERT = insert(Annotation.__table__).returning(*Annotation.__table__.c)


def create_annotation(session: Session, principal: Principal, claim_id: int,
                      data: AnnotationInput) -> Row:
    """The new annotation as a row (the same attributes as an Annotation)."""
    connection = session.connection()
    # The claim alone: its flags and annotations (thousands on a busy claim) are not needed here.
    claim = connection.execute(_CLAIM, {"claim_id": claim_id}).first()
    if claim is None:
        raise NotFound(f"There is no claim {claim_id}.")
    values = {"verdict": data.verdict, "note": data.note, "evidence": data.evidence or []}
    _require_content(values)
    now = utcnow()
    annotation = connection.execute(_INSERT, dict(
        claim_id=claim.id, reviewer=principal.username, user_id=principal.user_id,
        selector=check_selector(claim, data.selector), created_at=now, updated_at=now, version=1,
        deleted_at=None, **values)).one()
    history.record(session, principal, "annotation", annotation.id, "create", None, snapshot(annotation),
                   claim_id=claim.id, insert_now=True)
    webhooks.annotation_event(session, annotation, "create", principal, article_id=claim.article_id)
    # Last: it locks the claim's row until the caller's commit.
    _count(session, claim.id, +1)
    return annotation


_COUNT = (update(Claim.__table__).where(Claim.__table__.c.id == bindparam("claim_id"))
          .values(annotation_count=Claim.__table__.c.annotation_count + bindparam("change")))


def _count(session: Session, claim_id: int, change: int) -> None:
    """Move the claim's live-annotation counter, atomically in SQL (no read-modify-write). A plain
    statement on the connection: the ORM's objects in this session are not touched."""
    session.connection().execute(_COUNT, {"claim_id": claim_id, "change": change})


def get_annotation(session: Session, principal: Principal, annotation_id: int) -> Annotation:
    annotation = session.get(Annotation, annotation_id)
    if annotation is None or (annotation.deleted_at is not None and not may_see_deleted(principal)):
        raise NotFound(f"There is no annotation {annotation_id}.")
    return annotation


def list_annotations(session: Session, principal: Principal, claim_id: int) -> list[Annotation]:
    return visible_annotations(get_claim(session, claim_id), principal)


def claim_history(session: Session, principal: Principal, claim_id: int) -> list[HistoryEntry]:
    """The claim's history as the caller may see it: a deleted annotation's records only for those who
    see the annotation."""
    claim = get_claim(session, claim_id)
    entries = history.for_claim(session, claim_id)
    if may_see_deleted(principal):
        return entries
    hidden = {a.id for a in claim.annotations if a.deleted_at is not None}
    return [e for e in entries if not (e.entity == "annotation" and e.entity_id in hidden)]


def annotation_history(session: Session, principal: Principal, annotation_id: int) -> list[HistoryEntry]:
    """Every change to an annotation the caller may see."""
    get_annotation(session, principal, annotation_id)
    return history.for_entity(session, "annotation", annotation_id)


def _editable(session: Session, principal: Principal, annotation_id: int, if_match: str | None,
              present: Callable[[Annotation], dict[str, Any]]) -> Annotation:
    annotation = get_annotation(session, principal, annotation_id)
    if not principal.can_edit_annotation(annotation.user_id):
        raise Forbidden("Reviewers change only their own annotations; ask an editor.")
    check_if_match(if_match, annotation_etag(annotation), lambda: present(annotation))
    return annotation


def _conflict(session: Session, principal: Principal, annotation_id: int,
              present: Callable[[Annotation], dict[str, Any]]) -> PreconditionFailed:
    """The 412 for an edit that lost to one committed since its read, with the version that won."""
    session.rollback()
    current = get_annotation(session, principal, annotation_id)
    return PreconditionFailed("Someone changed this a moment ago; here is the current version.",
                              extensions={"current": present(current)},
                              headers={"ETag": annotation_etag(current)})


def _save(session: Session, principal: Principal, annotation: Annotation, action: str,
          before: dict[str, Any], present: Callable[[Annotation], dict[str, Any]], count_change: int = 0
          ) -> None:
    """Write the change, checked against the version it was based on, then its history entry, its webhook
    event and (for a delete or a restore) the claim's counter; all in one transaction.

    The version-checked UPDATE is flushed first, on its own, inside the conflict handler. Anything that
    reads before it would flush it wherever it happens to query (the webhook event loading the claim
    did), and the conflict escaped there as a 500 instead of a 412. Once it has gone through, the row is
    this transaction's until the commit: no other edit can slip in, and nothing after it can conflict.
    """
    annotation_id = annotation.id
    try:
        session.flush()
    except StaleDataError:
        raise _conflict(session, principal, annotation_id, present) from None
    history.record(session, principal, "annotation", annotation_id, action, before, snapshot(annotation),
                   claim_id=annotation.claim_id)
    webhooks.annotation_event(session, annotation, action, principal)
    if count_change:
        _count(session, annotation.claim_id, count_change)


_STILL_AT = (select(Annotation.id)
             .where(Annotation.id == bindparam("id"), Annotation.version == bindparam("version"))
             .with_for_update(read=True))


def _unchanged(session: Session, principal: Principal, annotation: Annotation,
               present: Callable[[Annotation], dict[str, Any]]) -> None:
    """An edit that changes nothing writes nothing: no history entry, no new version, no event. It is
    still checked against the version it was based on, now and not only as read: one racing an edit
    that committed since gets the 412 any edit would. (PostgreSQL waits for such an edit to commit.)"""
    annotation_id, version = annotation.id, annotation.version
    if session.connection().execute(_STILL_AT, {"id": annotation_id, "version": version}).first() is None:
        raise _conflict(session, principal, annotation_id, present)


def update_annotation(session: Session, principal: Principal, annotation_id: int, changes: dict[str, Any],
                      if_match: str | None, present: Callable[[Annotation], dict[str, Any]]) -> Annotation:
    annotation = _editable(session, principal, annotation_id, if_match, present)
    if annotation.deleted_at is not None:
        raise InvalidInput("This annotation is deleted; restore it first.")
    merged = {field: getattr(annotation, field) for field in EDITABLE} | changes
    _require_content(merged)
    if "selector" in changes:
        changes["selector"] = check_selector(annotation.claim, changes["selector"])
    before = snapshot(annotation)
    for field, value in changes.items():
        setattr(annotation, field, [] if field == "evidence" and value is None else value)
    if snapshot(annotation) == before:
        _unchanged(session, principal, annotation, present)
    else:
        _save(session, principal, annotation, "update", before, present)
    return annotation


def delete_annotation(session: Session, principal: Principal, annotation_id: int, if_match: str | None,
                      present: Callable[[Annotation], dict[str, Any]]) -> None:
    """A soft delete: gone for reviewers, restorable by an editor, recorded in the history."""
    annotation = _editable(session, principal, annotation_id, if_match, present)
    if annotation.deleted_at is not None:
        raise NotFound(f"There is no annotation {annotation_id}.")
    before = snapshot(annotation)
    annotation.deleted_at = datetime.now(UTC)
    _save(session, principal, annotation, "delete", before, present, count_change=-1)


def restore_annotation(session: Session, principal: Principal, annotation_id: int,
                       present: Callable[[Annotation], dict[str, Any]] = snapshot) -> Annotation:
    if not principal.can_edit_any():
        raise NotFound(f"There is no annotation {annotation_id}.")
    annotation = get_annotation(session, principal, annotation_id)
    if annotation.deleted_at is None:
        raise InvalidInput("This annotation is not deleted.")
    before = snapshot(annotation)
    annotation.deleted_at = None
    _save(session, principal, annotation, "restore", before, present, count_change=+1)
    return annotation


def set_review_status(session: Session, principal: Principal, target: Claim | Article, status: str,
                      if_match: str | None, present: Callable[[], dict[str, Any]]) -> None:
    """Editors move a claim or an article through in-review, approved, published."""
    if not principal.can_edit_any():
        raise Forbidden("Only editors set review statuses.")
    # Lock the row: two editors changing the status at once are serialised, the second one gets 412.
    session.refresh(target, with_for_update=True)
    is_claim = isinstance(target, Claim)
    etag = claim_etag(target) if is_claim else article_etag(target)
    check_if_match(if_match, etag, present)
    before = {"review_status": target.review_status}
    target.review_status = ReviewStatus(status)
    target.review_version += 1
    history.record(session, principal, "claim" if is_claim else "article", target.id, "status", before,
                   {"review_status": target.review_status}, claim_id=target.id if is_claim else None)
