"""Reviewers' annotations on claims: a verdict, a note, evidence links and an optional span."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service.services.errors import InvalidInput, NotFound
from service.storage.models import Annotation, Claim

EDITABLE = ("verdict", "note", "evidence", "selector")


@dataclass(frozen=True)
class AnnotationInput:
    reviewer: str
    verdict: str | None = None
    note: str | None = None
    evidence: list[dict[str, Any]] | None = None
    selector: dict[str, Any] | None = None


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = session.scalar(
        select(Claim).where(Claim.id == claim_id)
        .options(selectinload(Claim.flags), selectinload(Claim.annotations), selectinload(Claim.article))
    )
    if claim is None:
        raise NotFound(f"There is no claim {claim_id}.")
    return claim


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


def create_annotation(session: Session, claim_id: int, data: AnnotationInput) -> Annotation:
    claim = get_claim(session, claim_id)
    values = {"verdict": data.verdict, "note": data.note, "evidence": data.evidence or []}
    _require_content(values)
    annotation = Annotation(claim_id=claim.id, reviewer=data.reviewer,
                            selector=check_selector(claim, data.selector), **values)
    session.add(annotation)
    session.commit()
    return annotation


def get_annotation(session: Session, annotation_id: int) -> Annotation:
    annotation = session.get(Annotation, annotation_id)
    if annotation is None:
        raise NotFound(f"There is no annotation {annotation_id}.")
    return annotation


def list_annotations(session: Session, claim_id: int) -> list[Annotation]:
    return list(get_claim(session, claim_id).annotations)


def update_annotation(session: Session, annotation_id: int, changes: dict[str, Any]) -> Annotation:
    annotation = get_annotation(session, annotation_id)
    merged = {field: getattr(annotation, field) for field in EDITABLE} | changes
    _require_content(merged)
    if "selector" in changes:
        changes["selector"] = check_selector(annotation.claim, changes["selector"])
    for field, value in changes.items():
        setattr(annotation, field, [] if field == "evidence" and value is None else value)
    session.commit()
    return annotation


def delete_annotation(session: Session, annotation_id: int) -> None:
    session.delete(get_annotation(session, annotation_id))
    session.commit()
