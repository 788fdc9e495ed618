"""Exports for publishers, annotation tools and spreadsheets: ClaimReview, W3C Web Annotation, CSV."""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, exists, select, tuple_
from sqlalchemy.orm import Session

from service.services import verdicts
from service.services.errors import InvalidInput, NotFound
from service.storage.models import Annotation, Article, Batch, Claim, Flag, is_current_flag

# Claims read per query: large exports take few round trips, and memory is bounded by one chunk (with
# its flags and annotations) whatever the size of the export.
CLAIM_CHUNK = 500
# Characters of context either side of a quote, as in the annotations' own TextQuoteSelectors.
QUOTE_CONTEXT = 32
NDJSON = "application/x-ndjson"
SCHEMA_ORG_CONTEXT = "https://schema.org"
ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CSV_COLUMNS = ("article_id", "article_title", "article_url", "claim_id", "claim_position", "row_type", "kind",
               "subtype", "verdict", "note", "evidence", "reviewer", "start", "end", "exact", "attrs",
               "detector_version", "created_at")
# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection"; "|" starts a
# DDE call in some), and the stored text comes from the web. TAB and CR start one by themselves.
_FORMULA_SIGNS = frozenset("=+-@|")
_FORMULA_CONTROLS = frozenset("\t\r")
# What a spreadsheet skips before it looks for a sign: separators (space, no-break space, ideographic
# space), control characters and format characters (zero-width space and joiners, BOM, soft hyphen).
_UNSEEN = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("claimreview", NDJSON, "ndjson"),
    ExportFormat("w3c", NDJSON, "ndjson"),
    ExportFormat("csv", "text/csv", "csv"),
)}


@dataclass(frozen=True)
class ExportScope:
    """Which articles: one by id, or those created in [since, until), with a status or from a batch."""

    article_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    batch_id: int | None = None


@dataclass(frozen=True)
class Publisher:
    """Who publishes the export and where its links lead."""

    api_url: str  # the public root of API v1, e.g. https://desk.example.org/api/v1
    org_name: str
    org_url: str | None
    verdicts: tuple[str, ...]


@dataclass(frozen=True)
class _ClaimItems:
    """One claim with its article (without the body) and what is on it."""

    article: Row
    claim: Row
    flags: list[Row]
    annotations: list[Row]


def filename(export_format: ExportFormat, scope: ExportScope) -> str:
    """The download's name: what it holds, readable in a folder of exports."""
    parts = ["claimdesk", export_format.name]
    if scope.article_id is not None:
        parts.append(f"article-{scope.article_id}")
    if scope.batch_id is not None:
        parts.append(f"batch-{scope.batch_id}")
    if scope.status:
        parts.append(scope.status)
    if scope.since is not None:
        parts.append(f"from-{scope.since.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    if scope.until is not None:
        parts.append(f"until-{scope.until.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    return "-".join(parts) + "." + export_format.extension


def export(session: Session, format_name: str, scope: ExportScope, publisher: Publisher) -> Iterator[str]:
    """The export as text chunks; a missing article or batch is reported now, before anything streams."""
    if format_name not in FORMATS:
        raise InvalidInput(f"There is no export format {format_name!r}.",
                           {"format": [f"Must be one of: {', '.join(FORMATS)}."]})
    if scope.article_id is not None and not _exists(session, Article.id == scope.article_id):
        raise NotFound(f"There is no article {scope.article_id}.")
    if scope.batch_id is not None and not _exists(session, Batch.id == scope.batch_id):
        raise NotFound(f"There is no batch {scope.batch_id}.")
    if format_name == "claimreview":
        return _ndjson(claim_reviews(session, scope, publisher))
    if format_name == "w3c":
        return _ndjson(web_annotations(session, scope, publisher))
    return csv_chunks(session, scope)


def claim_reviews(session: Session, scope: ExportScope, publisher: Publisher) -> Iterator[dict[str, Any]]:
    """One schema.org ClaimReview per claim with a verdict, rated by its current verdict."""
    for item in _claims(session, scope, reviewed_only=True):
        latest = verdicts.current_annotation(item.annotations)
        if latest is not None:  # its verdicts may have been deleted between the two reads
            yield _claim_review(item, latest, publisher)


def web_annotations(session: Session, scope: ExportScope, publisher: Publisher) -> Iterator[dict[str, Any]]:
    """One W3C Web Annotation per current flag and per reviewer's annotation, in reading order."""
    body = _ArticleBody(session)
    for item in _claims(session, scope, reviewed_only=False):
        text = body(item.article.id) if item.flags or item.annotations else ""
        for flag in item.flags:
            yield _flag_annotation(item, flag, text, publisher)
        for annotation in item.annotations:
            yield _reviewer_annotation(item, annotation, text, publisher)


def csv_chunks(session: Session, scope: ExportScope) -> Iterator[str]:
    """A header, then one row per current flag and per annotation, a chunk of claims at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    body = _ArticleBody(session)
    for n, item in enumerate(_claims(session, scope, reviewed_only=False), 1):
        if item.flags or item.annotations:
            writer.writerows(_csv_rows(item, body(item.article.id)))
        if n % CLAIM_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def guard_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and _formula(value):
        return "'" + value
    return value


def _formula(text: str) -> bool:
    """Whether `text` starts, once what is not seen is skipped, with a formula's sign in any of its forms
    (NFKC folds the full-width "＝" and the small "﹦" to "="), or with TAB or CR anywhere before it."""
    for char in text:
        if char in _FORMULA_CONTROLS:
            return True
        if unicodedata.category(char) not in _UNSEEN:
            return unicodedata.normalize("NFKC", char)[:1] in _FORMULA_SIGNS
    return False


# --- reading: keyset-paginated chunks of plain rows --------------------------------------------------

_ARTICLE_COLUMNS = (Article.id, Article.title, Article.url, Article.outlet, Article.author,
                    Article.published_at, Article.detector_version, Article.flagged_at)
_CLAIM_COLUMNS = (Claim.id, Claim.article_id, Claim.position, Claim.start, Claim.end, Claim.text)
_FLAG_COLUMNS = (Flag.id, Flag.claim_id, Flag.kind, Flag.subtype, Flag.start, Flag.end, Flag.text, Flag.attrs,
                 Flag.detector_version)
_ANNOTATION_COLUMNS = (Annotation.id, Annotation.claim_id, Annotation.verdict, Annotation.note,
                       Annotation.evidence, Annotation.selector, Annotation.reviewer, Annotation.created_at,
                       Annotation.updated_at)


def _exists(session: Session, condition: ColumnElement[bool]) -> bool:
    return bool(session.scalar(select(exists().where(condition))))


def _scoped(query: Select, scope: ExportScope) -> Select:
    if scope.article_id is not None:
        query = query.where(Article.id == scope.article_id)
    if scope.since is not None:
        query = query.where(Article.created_at >= scope.since)
    if scope.until is not None:
        query = query.where(Article.created_at < scope.until)
    if scope.status:
        query = query.where(Article.status == scope.status)
    if scope.batch_id is not None:
        query = query.where(Article.batch_id == scope.batch_id)
    return query


def _claims(session: Session, scope: ExportScope, reviewed_only: bool) -> Iterator[_ClaimItems]:
    """Claims in (article, position) order, CLAIM_CHUNK per query, with their current flags and annotations.

    Plain rows rather than ORM objects: nothing enters the session's identity map, so nothing piles up
    however long the export.
    """
    live = Annotation.deleted_at.is_(None)  # soft-deleted annotations are never published
    after = (0, -1)
    while True:
        query = (select(*_CLAIM_COLUMNS).join(Article, Article.id == Claim.article_id)
                 .where(tuple_(Claim.article_id, Claim.position) > tuple_(*after))
                 .order_by(Claim.article_id, Claim.position).limit(CLAIM_CHUNK))
        if reviewed_only:
            query = query.where(exists().where(Annotation.claim_id == Claim.id, *verdicts.COUNTS))
        claims = session.execute(_scoped(query, scope)).all()
        if not claims:
            return
        ids = [c.id for c in claims]
        articles = {a.id: a for a in session.execute(
            select(*_ARTICLE_COLUMNS).where(Article.id.in_({c.article_id for c in claims})))}
        flags: dict[int, list[Row]] = {}
        if not reviewed_only:
            flags = _by_claim(session.execute(
                select(*_FLAG_COLUMNS).join(Article, is_current_flag(Flag, Article))
                .where(Flag.claim_id.in_(ids))
                .order_by(Flag.claim_id, Flag.start, Flag.id)))
        annotations = select(*_ANNOTATION_COLUMNS).where(Annotation.claim_id.in_(ids), live)
        if reviewed_only:
            annotations = annotations.where(*verdicts.COUNTS)
        by_claim = _by_claim(session.execute(annotations.order_by(Annotation.claim_id, Annotation.id)))
        for c in claims:
            yield _ClaimItems(articles[c.article_id], c, flags.get(c.id, []), by_claim.get(c.id, []))
        after = (claims[-1].article_id, claims[-1].position)


def _by_claim(rows: Iterable[Row]) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.claim_id].append(row)
    return grouped


class _ArticleBody:
    """The body of the article being exported; claims arrive in article order, so each is read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.article_id: int | None = None
        self.body = ""

    def __call__(self, article_id: int) -> str:
        if article_id != self.article_id:
            self.body = self.session.scalar(select(Article.body).where(Article.id == article_id)) or ""
            self.article_id = article_id
        return self.body


# --- shapes --------------------------------------------------------------------------------------------

def _span(item: _ClaimItems, selector: dict[str, Any] | None) -> tuple[int, int]:
    """Offsets into the body; an annotation's selector counts from the claim's start, none means all of it."""
    claim = item.claim
    if not selector:
        return claim.start, claim.end
    return claim.start + selector["start"], claim.start + selector["end"]


def _selectors(text: str, start: int, end: int) -> list[dict[str, Any]]:
    return [
        {"type": "TextQuoteSelector", "exact": text[start:end],
         "prefix": text[max(0, start - QUOTE_CONTEXT):start], "suffix": text[end:end + QUOTE_CONTEXT]},
        {"type": "TextPositionSelector", "start": start, "end": end},
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _article_api_url(publisher: Publisher, article_id: int) -> str:
    return f"{publisher.api_url}/articles/{article_id}"


def _target(item: _ClaimItems, text: str, start: int, end: int, publisher: Publisher) -> dict[str, Any]:
    """The span in the article; the offsets count into the stored body, the cached copy the state names."""
    article, api_url = item.article, _article_api_url(publisher, item.article.id)
    target: dict[str, Any] = {"type": "SpecificResource", "source": article.url or api_url,
                              "selector": _selectors(text, start, end)}
    if article.url:
        target["state"] = {"type": "TimeState", "cached": api_url}
    return target


def _flag_annotation(item: _ClaimItems, flag: Row, text: str, publisher: Publisher) -> dict[str, Any]:
    tag = f"{flag.kind}/{flag.subtype}" if flag.subtype else flag.kind
    return {
        "@context": ANNOTATION_CONTEXT,
        "id": f"{publisher.api_url}/flags?article={item.article.id}#flag-{flag.id}",
        "type": "Annotation",
        "motivation": "tagging",
        "creator": {"type": "Software", "name": f"Claimdesk detector {flag.detector_version}"},
        **({"created": _iso(item.article.flagged_at)} if item.article.flagged_at else {}),
        "body": [{"type": "TextualBody", "purpose": "tagging", "value": tag}],
        "target": _target(item, text, flag.start, flag.end, publisher),
    }


def _reviewer_annotation(item: _ClaimItems, annotation: Row, text: str, publisher: Publisher
                         ) -> dict[str, Any]:
    bodies: list[dict[str, Any]] = []
    if annotation.verdict:
        bodies.append({"type": "TextualBody", "purpose": "assessing", "value": annotation.verdict})
    if annotation.note:
        bodies.append({"type": "TextualBody", "purpose": "commenting", "value": annotation.note,
                       "format": "text/plain"})
    for link in annotation.evidence or []:
        source: dict[str, Any] = {"id": link["url"]}
        if link.get("title"):
            source["label"] = link["title"]
        bodies.append({"type": "SpecificResource", "purpose": "linking", "source": source})
    start, end = _span(item, annotation.selector)
    return {
        "@context": ANNOTATION_CONTEXT,
        "id": f"{publisher.api_url}/annotations/{annotation.id}",
        "type": "Annotation",
        "motivation": "assessing" if annotation.verdict else "commenting" if annotation.note else "linking",
        "creator": {"type": "Person", "nickname": annotation.reviewer},
        "created": _iso(annotation.created_at),
        "modified": _iso(annotation.updated_at),
        "body": bodies,
        "target": _target(item, text, start, end, publisher),
    }


def _rating(verdict: str, scale: tuple[str, ...]) -> dict[str, Any]:
    """The best rating is the highest in schema.org: the first (best) verdict rates len(scale), the last 1.

    A verdict no longer on the configured scale keeps only its name.
    """
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": verdict}
    if verdict in scale:
        best = len(scale)
        rating |= {"ratingValue": best - scale.index(verdict), "bestRating": best, "worstRating": 1}
    return rating


def _claim_author(article: Row) -> dict[str, Any] | None:
    if article.author:
        return {"@type": "Person", "name": article.author}
    if article.outlet:
        return {"@type": "Organization", "name": article.outlet}
    return None


def _claim_review(item: _ClaimItems, latest: Row, publisher: Publisher) -> dict[str, Any]:
    article = item.article
    appearance: dict[str, Any] = {"@type": "CreativeWork",
                                  "url": article.url or _article_api_url(publisher, article.id)}
    claim: dict[str, Any] = {"@type": "Claim", "appearance": [appearance]}
    if article.title:
        appearance["headline"] = article.title
    if article.published_at:
        appearance["datePublished"] = claim["datePublished"] = _iso(article.published_at)
    if article.author:
        appearance["author"] = {"@type": "Person", "name": article.author}
    if article.outlet:
        appearance["publisher"] = {"@type": "Organization", "name": article.outlet}
    author = _claim_author(article)
    if author:
        claim["author"] = author
    organisation: dict[str, Any] = {"@type": "Organization", "name": publisher.org_name}
    if publisher.org_url:
        organisation["url"] = publisher.org_url
    return {
        "@context": SCHEMA_ORG_CONTEXT,
        "@type": "ClaimReview",
        "url": f"{publisher.api_url}/claims/{item.claim.id}",
        "claimReviewed": item.claim.text,
        "reviewRating": _rating(latest.verdict, publisher.verdicts),
        "itemReviewed": claim,
        "author": organisation,
        "datePublished": _iso(latest.created_at),
        "dateModified": _iso(latest.updated_at),
    }


def _csv_rows(item: _ClaimItems, text: str) -> Iterator[list[Any]]:
    article, claim = item.article, item.claim
    lead = [article.id, article.title, article.url, claim.id, claim.position]
    for flag in item.flags:
        yield [guard_cell(v) for v in (
            *lead, "flag", flag.kind, flag.subtype, None, None, None, None, flag.start, flag.end,
            text[flag.start:flag.end], json.dumps(flag.attrs, ensure_ascii=False, sort_keys=True),
            flag.detector_version, _iso(article.flagged_at))]
    for annotation in item.annotations:
        start, end = _span(item, annotation.selector)
        evidence = " ".join(link["url"] for link in annotation.evidence or [])
        yield [guard_cell(v) for v in (
            *lead, "annotation", None, None, annotation.verdict, annotation.note, evidence,
            annotation.reviewer, start, end, text[start:end], None, None, _iso(annotation.created_at))]


def _ndjson(documents: Iterator[dict[str, Any]], per_chunk: int = 200) -> Iterator[str]:
    """One JSON document per line, sent a few hundred lines at a time rather than one write per line."""
    lines: list[str] = []
    for document in documents:
        # ASCII only: a raw U+2028 inside a string is valid JSON, but line readers split on it.
        lines.append(json.dumps(document) + "\n")
        if len(lines) == per_chunk:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text

