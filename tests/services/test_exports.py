"""Exports over a real database: the shapes, the selectors, the CSV guard, the scope and flat memory."""
from __future__ import annotations

import csv
import gc
import io
import json
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from service.domain import DEFAULT_VERDICTS
from service.domain.access import Principal, Role
from service.services import exports
from service.services.accounts import principal_for
from service.services.annotations import (
    AnnotationInput,
    annotation_etag,
    create_annotation,
    delete_annotation,
    update_annotation,
)
from service.services.articles import annotated_claim_counts, annotation_counts
from service.services.errors import NotFound
from service.services.exports import ExportScope, Publisher
from service.services.flagging import flag_article
from service.storage.accounts import User
from service.storage.models import Annotation, Article, Batch, Claim
from tests.fakes import KeywordDetector
from tests.jsonld import assert_every_term_defined
from tests.services.articles import article_with_claims

HEADLINE = "Troops lost"
SENTENCES = ["Peskov said 60 servicemen died.", "=SUM(A1) officials said 12 were hurt.", "Peskov denied it."]
BODY = HEADLINE + "\n\n" + " ".join(SENTENCES)
DETECTOR = KeywordDetector({"Peskov": ("sourcing", "named"), "60": ("number", "count"),
                            "12": ("number", "count")})
PUBLISHER = Publisher(api_url="https://desk.example/api/v1", org_name="Westbridge Checks",
                      org_url="https://checks.example", verdicts=DEFAULT_VERDICTS)
OA = "http://www.w3.org/ns/oa#"


def stored_article(session, body: str = BODY, claims: list[str] | None = None, **fields) -> Article:
    return article_with_claims(session, body, claims or [HEADLINE, *SENTENCES], **fields)


def two_claims(session, headline: str, sentence: str, **fields) -> Article:
    return stored_article(session, f"{headline}\n\n{sentence}", [headline, sentence], **fields)


def as_user(session, username: str, role: Role = Role.REVIEWER) -> Principal:
    """The named account (made on first use, with no usable password) as the caller."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, password_hash="!", role=role)
        session.add(user)
        session.commit()
    return principal_for(user)


def annotate(session, claim: Claim, reviewer: str = "ana", **fields) -> Annotation:
    """An annotation by `reviewer`: the stored reviewer is always the caller's username."""
    return create_annotation(session, as_user(session, reviewer), claim.id, AnnotationInput(**fields))


def unchanged(annotation: Annotation) -> dict:
    return {}


def lines(session, format_name: str, scope: ExportScope | None = None) -> list[dict]:
    text = "".join(exports.export(session, format_name, scope or ExportScope(), PUBLISHER))
    return [json.loads(line) for line in text.splitlines()]


def csv_rows(session, scope: ExportScope | None = None) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(exports.export(session, "csv", scope or ExportScope(),
                                                                  PUBLISHER)))))


@pytest.fixture
def article(session) -> Article:
    article = stored_article(session, url="https://news.example/troops", author="Jo Bloggs",
                             outlet="Westbridge Gazette", title=HEADLINE,
                             published_at=datetime(2024, 5, 1, 9, 30, tzinfo=UTC))
    flag_article(session, article.id, detector=DETECTOR, version="t1")
    return article


def test_a_claim_review_per_claim_with_a_verdict_rated_by_the_latest(session, article):
    first, second, third = article.claims[1:4]
    annotate(session, first, verdict="accurate")
    later = annotate(session, first, reviewer="ben", verdict="misleading", note="Forty, not sixty.")
    annotate(session, second, note="A note, no verdict.")
    annotate(session, third, verdict="needs-context")
    reviews = lines(session, "claimreview")
    assert [r["claimReviewed"] for r in reviews] == [SENTENCES[0], SENTENCES[2]]
    review = reviews[0]
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    assert review["url"] == f"https://desk.example/api/v1/claims/{first.id}"
    # The scale's first verdict is the best; schema.org wants the best rating highest.
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "misleading", "ratingValue": 5,
                                      "bestRating": 7, "worstRating": 1}
    assert reviews[1]["reviewRating"]["ratingValue"] == 1
    assert review["author"] == {"@type": "Organization", "name": "Westbridge Checks",
                                "url": "https://checks.example"}
    assert review["datePublished"] == later.created_at.isoformat()
    assert review["itemReviewed"] == {
        "@type": "Claim",
        "appearance": [{"@type": "CreativeWork", "url": "https://news.example/troops", "headline": HEADLINE,
                        "datePublished": "2024-05-01T09:30:00+00:00",
                        "author": {"@type": "Person", "name": "Jo Bloggs"},
                        "publisher": {"@type": "Organization", "name": "Westbridge Gazette"}}],
        "datePublished": "2024-05-01T09:30:00+00:00",
        "author": {"@type": "Person", "name": "Jo Bloggs"},
    }


def test_an_edited_verdict_is_the_latest(session, article):
    claim = article.claims[1]
    early = annotate(session, claim, verdict="accurate")
    annotate(session, claim, reviewer="ben", verdict="misleading")
    update_annotation(session, as_user(session, "ana"), early.id, {"verdict": "inaccurate"},
                      annotation_etag(early), unchanged)
    assert lines(session, "claimreview")[0]["reviewRating"]["alternateName"] == "inaccurate"


def test_deleted_annotations_are_neither_exported_nor_counted(session, article):
    claim, other = article.claims[1], article.claims[3]
    annotate(session, claim, verdict="accurate", note="Kept.")
    withdrawn = annotate(session, claim, reviewer="ben", verdict="misleading", note="Withdrawn.")
    only = annotate(session, other, reviewer="ben", verdict="inaccurate", note="Also withdrawn.")
    before = {f: lines(session, f) for f in ("claimreview", "w3c")}
    assert len(before["claimreview"]) == 2
    for annotation in (withdrawn, only):
        delete_annotation(session, as_user(session, "ben"), annotation.id, annotation_etag(annotation),
                          unchanged)

    # The deleted later verdict is not the latest one, and a claim whose only verdict went has no review.
    [review] = lines(session, "claimreview")
    assert review["claimReviewed"] == SENTENCES[0]
    assert review["reviewRating"]["alternateName"] == "accurate"
    assert lines(session, "claimreview", ExportScope(article_id=article.id)) == [review]
    web = lines(session, "w3c")
    assert len(web) == len(before["w3c"]) - 2
    assert "withdrawn" not in json.dumps(web).lower()
    notes = [r["note"] for r in csv_rows(session) if r["row_type"] == "annotation"]
    assert notes == ["Kept."]
    assert annotation_counts(session, [claim.id, other.id]) == {claim.id: 1}
    assert annotated_claim_counts(session, [article.id]) == {article.id: 1}


def test_claim_review_without_article_details_or_a_verdict_from_an_old_scale(session):
    article = stored_article(session, outlet="Westbridge Gazette")
    annotate(session, article.claims[1], verdict="accurate")
    publisher = Publisher(api_url="http://127.0.0.1:8000/api/v1", org_name="Claimdesk", org_url=None,
                          verdicts=("true", "false"))
    review = json.loads("".join(exports.export(session, "claimreview", ExportScope(), publisher)))
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "accurate"}
    assert review["author"] == {"@type": "Organization", "name": "Claimdesk"}
    assert review["itemReviewed"] == {
        "@type": "Claim", "author": {"@type": "Organization", "name": "Westbridge Gazette"},
        "appearance": [{"@type": "CreativeWork", "url": f"http://127.0.0.1:8000/api/v1/articles/{article.id}",
                        "publisher": {"@type": "Organization", "name": "Westbridge Gazette"}}]}


def test_claim_review_is_valid_json_ld(session, article):
    annotate(session, article.claims[1], verdict="misleading")
    review = lines(session, "claimreview")[0]
    [node] = assert_every_term_defined(review)
    schema = "http://schema.org/"
    assert node["@type"] == [schema + "ClaimReview"]
    assert node[schema + "claimReviewed"] == [{"@value": SENTENCES[0]}]
    rating = node[schema + "reviewRating"][0]
    assert rating[schema + "alternateName"] == [{"@value": "misleading"}]
    assert node[schema + "url"] == [{"@id": review["url"]}]


def test_web_annotations_tag_flags_and_carry_verdicts_notes_and_links(session, article):
    claim = article.claims[1]
    start = claim.text.index("60")
    annotate(session, claim, verdict="misleading", note="Forty, not sixty.",
             evidence=[{"url": "https://gov.example/report", "title": "The report"},
                       {"url": "https://archive.example/x"}], selector={"start": start, "end": start + 2})
    documents = lines(session, "w3c")
    flags = [d for d in documents if d["motivation"] == "tagging"]
    assert [d["body"][0]["value"] for d in flags] == ["sourcing/named", "number/count", "number/count",
                                                      "sourcing/named"]
    assert flags[0]["body"] == [{"type": "TextualBody", "purpose": "tagging", "value": "sourcing/named"}]
    assert flags[0]["creator"] == {"type": "Software", "name": "Claimdesk detector t1"}
    [review] = [d for d in documents if d["motivation"] != "tagging"]
    assert documents.index(review) == 2  # after its claim's flags, before the next claim's
    assert review["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert review["motivation"] == "assessing" and review["creator"] == {"type": "Person", "nickname": "ana"}
    assert review["body"] == [
        {"type": "TextualBody", "purpose": "assessing", "value": "misleading"},
        {"type": "TextualBody", "purpose": "commenting", "value": "Forty, not sixty.",
         "format": "text/plain"},
        {"type": "SpecificResource", "purpose": "linking",
         "source": {"id": "https://gov.example/report", "label": "The report"}},
        {"type": "SpecificResource", "purpose": "linking", "source": {"id": "https://archive.example/x"}},
    ]
    assert review["target"]["source"] == "https://news.example/troops"
    assert review["target"]["state"] == {"type": "TimeState",
                                         "cached": f"https://desk.example/api/v1/articles/{article.id}"}


def test_selectors_point_at_the_text_in_the_body(session, article):
    claim = article.claims[2]
    start = claim.text.index("officials")
    annotate(session, claim, verdict="accurate", selector={"start": start, "end": start + 9})
    annotate(session, claim, reviewer="ben", note="The whole sentence.")
    documents = lines(session, "w3c")
    for document in documents:
        quote, position = document["target"]["selector"]
        assert (quote["type"], position["type"]) == ("TextQuoteSelector", "TextPositionSelector")
        assert BODY[position["start"]:position["end"]] == quote["exact"]
        assert BODY[:position["start"]].endswith(quote["prefix"])
        assert BODY[position["end"]:].startswith(quote["suffix"])
        assert len(quote["prefix"]) == min(32, position["start"])
        assert len(quote["suffix"]) == min(32, len(BODY) - position["end"])
    span, whole = [d["target"]["selector"][0]["exact"] for d in documents if d["motivation"] != "tagging"]
    assert (span, whole) == ("officials", SENTENCES[1])


def test_web_annotations_are_valid_json_ld(session, article):
    annotate(session, article.claims[1], verdict="misleading", note="n",
             evidence=[{"url": "https://gov.example/report", "title": "The report"}],
             selector={"start": 0, "end": 6})
    documents = lines(session, "w3c")
    for document in documents:
        [node] = assert_every_term_defined(document)
        assert node["@type"] == [OA + "Annotation"]
        target = node[OA + "hasTarget"][0]
        quote, position = target[OA + "hasSelector"]
        assert quote["@type"] == [OA + "TextQuoteSelector"]
        assert position[OA + "start"][0]["@type"] == "http://www.w3.org/2001/XMLSchema#nonNegativeInteger"
    review = assert_every_term_defined(documents[2])[0]
    assert review[OA + "motivatedBy"] == [{"@id": OA + "assessing"}]
    assert [b[OA + "hasPurpose"][0]["@id"] for b in review[OA + "hasBody"]] == [
        OA + "assessing", OA + "commenting", OA + "linking"]


def test_only_the_current_detector_versions_flags(session, article):
    flag_article(session, article.id, detector=KeywordDetector({"died": ("number", "vague")}), version="t2")
    assert [d["body"][0]["value"] for d in lines(session, "w3c")] == ["number/vague"]
    assert [(r["kind"], r["detector_version"]) for r in csv_rows(session)] == [("number", "t2")]


def test_csv_has_a_row_per_flag_and_annotation_with_the_quoted_text(session, article):
    claim = article.claims[1]
    annotate(session, claim, verdict="misleading", note="Forty.", selector={"start": 0, "end": 6},
             evidence=[{"url": "https://a.example/1"}, {"url": "https://b.example/2"}])
    rows = csv_rows(session)
    assert list(rows[0]) == list(exports.CSV_COLUMNS)
    assert [(r["row_type"], r["exact"]) for r in rows] == [
        ("flag", "Peskov"), ("flag", "60"), ("annotation", "Peskov"), ("flag", "12"), ("flag", "Peskov")]
    for row in rows:
        assert BODY[int(row["start"]):int(row["end"])] == row["exact"]
    flag, annotation = rows[0], rows[2]
    assert (flag["article_id"], flag["article_title"], flag["article_url"]) == (
        str(article.id), HEADLINE, "https://news.example/troops")
    assert (flag["kind"], flag["subtype"], json.loads(flag["attrs"]), flag["detector_version"]) == (
        "sourcing", "named", {"word": "Peskov"}, "t1")
    assert (annotation["claim_id"], annotation["claim_position"]) == (str(claim.id), "1")
    assert (annotation["verdict"], annotation["note"]) == ("misleading", "Forty.")
    assert annotation["reviewer"] == "ana"
    assert annotation["evidence"] == "https://a.example/1 https://b.example/2"
    assert annotation["kind"] == annotation["attrs"] == ""


def test_csv_cells_that_a_spreadsheet_would_run_are_made_inert(session):
    article = stored_article(session, title="+cmd|' /C calc'!A0")
    claim = article.claims[2]  # "=SUM(A1) officials said ..."
    # Usernames cannot start with "@" any more, but annotations from before accounts keep their
    # free-text reviewer (user_id NULL), so the export still has to guard that cell.
    session.add(Annotation(claim_id=claim.id, reviewer="@evil", user_id=None, note="-2+3",
                           selector={"start": 0, "end": 8, "exact": "=SUM(A1)", "prefix": "",
                                     "suffix": " officials said 12 were hurt."}))
    session.commit()
    [row] = csv_rows(session)
    assert row["article_title"] == "'+cmd|' /C calc'!A0"
    assert (row["reviewer"], row["note"], row["exact"]) == ("'@evil", "'-2+3", "'=SUM(A1)")
    assert exports.guard_cell("\tx") == "'\tx" and exports.guard_cell("a=b") == "a=b"
    assert exports.guard_cell(-1) == -1


def test_scope_by_creation_time_status_and_batch(session):
    now = datetime.now(UTC)
    batch = Batch(kind="import", status="finished")
    session.add(batch)
    session.commit()
    old = two_claims(session, "Old", "Old news said 1 thing.", created_at=now - timedelta(days=3))
    new = two_claims(session, "New", "New news said 2 things.", batch_id=batch.id)
    for a in (old, new):
        annotate(session, a.claims[1], verdict="accurate")
    new.status = "flagged"
    session.commit()

    def articles(**scope) -> list[int]:
        return [int(r["article_id"]) for r in csv_rows(session, ExportScope(**scope))]

    assert articles() == [old.id, new.id]
    assert articles(since=now - timedelta(days=1)) == [new.id]
    assert articles(until=now - timedelta(days=1)) == [old.id]
    assert articles(status="flagged") == [new.id]
    assert articles(batch_id=batch.id) == [new.id]
    assert articles(article_id=old.id) == [old.id]
    with pytest.raises(NotFound):
        exports.export(session, "csv", ExportScope(article_id=4242), PUBLISHER)
    with pytest.raises(NotFound):
        exports.export(session, "w3c", ExportScope(batch_id=4242), PUBLISHER)


def test_filenames_say_what_the_export_holds():
    formats = exports.FORMATS
    assert exports.filename(formats["csv"], ExportScope(article_id=7)) == "claimdesk-csv-article-7.csv"
    since = datetime(2024, 5, 1, 12, tzinfo=UTC)
    scope = ExportScope(since=since, until=since + timedelta(days=1), status="flagged", batch_id=3)
    assert exports.filename(formats["w3c"], scope) == (
        "claimdesk-w3c-batch-3-flagged-from-20240501T120000Z-until-20240502T120000Z.ndjson")


def seed(session, articles: int, claims_per_article: int, annotations_per_claim: int, tag: str) -> None:
    """Many articles, claims and annotations in a few bulk inserts."""
    sentence = "Officials said 40 homes were flooded."
    body = " ".join([sentence] * claims_per_article)
    now = datetime.now(UTC)
    for a in range(articles):
        article_id = session.execute(insert(Article).returning(Article.id), {
            "body": body, "body_hash": f"seed-{tag}-{a}", "status": "flagged", "source_format": "text",
            "url": f"https://news.example/{a}", "created_at": now, "updated_at": now}).scalar_one()
        claim_ids = session.execute(insert(Claim).returning(Claim.id), [
            {"article_id": article_id, "position": p, "role": "body", "start": p * (len(sentence) + 1),
             "end": p * (len(sentence) + 1) + len(sentence), "text": sentence}
            for p in range(claims_per_article)]).scalars().all()
        session.execute(insert(Annotation), [
            {"claim_id": c, "reviewer": "ana", "verdict": "misleading", "note": "Thirty, not forty.",
             "evidence": [{"url": "https://gov.example/floods", "title": None}],
             "selector": {"start": 15, "end": 17, "exact": "40", "prefix": "Officials said ",
                          "suffix": " homes"},
             "created_at": now, "updated_at": now}
            for c in claim_ids for _ in range(annotations_per_claim)])
    session.commit()


def peak_bytes(session, format_name: str) -> tuple[int, int]:
    """The traced peak while consuming the whole export, and how many characters it was."""
    gc.collect()
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in exports.export(session, format_name, ExportScope(), PUBLISHER))
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_export_grows(session):
    """2,000 then 20,000 annotations: ten times the output, about the same peak (one chunk of claims)."""
    formats = ("claimreview", "w3c", "csv")
    seed(session, articles=10, claims_per_article=100, annotations_per_claim=2, tag="small")
    peak_bytes(session, "csv")  # warm SQLAlchemy's statement caches, as a running service has them
    small = {f: peak_bytes(session, f) for f in formats}
    seed(session, articles=90, claims_per_article=100, annotations_per_claim=2, tag="large")
    large = {f: peak_bytes(session, f) for f in formats}
    for f in formats:
        (small_peak, small_size), (large_peak, large_size) = small[f], large[f]
        assert large_size > 9 * small_size
        assert large_peak < small_peak * 1.25 + 256 * 1024, (f, small_peak, large_peak)


def test_chunk_boundaries_lose_and_repeat_nothing(session, article, monkeypatch):
    for claim in article.claims:
        annotate(session, claim, verdict="accurate", note=claim.text)
    other = two_claims(session, "Other", "Other news said 3 things.")
    annotate(session, other.claims[1], verdict="opinion")
    whole = {f: lines(session, f) for f in ("claimreview", "w3c")}, csv_rows(session)
    monkeypatch.setattr(exports, "CLAIM_CHUNK", 2)
    assert ({f: lines(session, f) for f in ("claimreview", "w3c")}, csv_rows(session)) == whole
    assert len(whole[0]["claimreview"]) == len(article.claims) + 1


# What a spreadsheet still reads as a formula once it has skipped what it does not show: spaces (ASCII,
# no-break, ideographic), zero-width and byte-order marks, and the full-width forms of the signs.
HIDDEN_FORMULAS = ["=1+1", " =1+1", "\u00a0=1+1", "\u200b=1+1", "\ufeff=1+1", "\u2060@SUM(A1)",
                   " \u200b\u00a0+1", "\u3000-1", "\uff1d1+1", "\uff0bcmd", "\uff0d1", "\uff20SUM(A1)",
                   "|calc", "\uff5ccalc", "\u00ad=1", "\t1", "\r1", " \t1", "\n=1+1"]


@pytest.mark.parametrize("text", HIDDEN_FORMULAS)
def test_a_formula_behind_invisible_characters_or_in_full_width_is_made_inert(text):
    assert exports.guard_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["a=b", "Peskov said", "\u00a0Peskov", "\uff21", "1-2", "", " ", "'=1"])
def test_ordinary_text_is_left_as_it_is(text):
    assert exports.guard_cell(text) == text
