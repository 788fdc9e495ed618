"""flag_article: one set of flags per detector version, on the right claims, and failures recorded."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from detection import Flag as DetectedFlag
from service.config import Settings
from service.services.flagging import flag_article, resend_stuck
from service.storage.models import Article, Flag
from tests.fakes import KeywordDetector, RecordingQueue, failing_detector
from tests.services.articles import article_with_claims

HEADLINE = "Troops lost"
SENTENCES = ["Peskov said 60 servicemen died.", "Officials said 12 were hurt.", "Peskov denied it."]
BODY = HEADLINE + "\n\n" + " ".join(SENTENCES)
DETECTOR = KeywordDetector({"Peskov": ("sourcing", "named"), "60": ("number", "count"),
                            "12": ("number", "count"), "Officials": ("sourcing", "vague")})


def stored_article(session, body: str = BODY) -> Article:
    return article_with_claims(session, body, [HEADLINE, *SENTENCES])


def flags_of(session, article_id: int, version: str | None = None) -> list[Flag]:
    query = select(Flag).where(Flag.article_id == article_id).order_by(Flag.start)
    if version:
        query = query.where(Flag.detector_version == version)
    return list(session.scalars(query))


def test_flags_are_stored_on_the_claim_that_holds_them(session):
    article = stored_article(session)
    assert flag_article(session, article.id, detector=DETECTOR, version="t1") == 5
    position_of = {c.id: c.position for c in article.claims}
    stored = flags_of(session, article.id)
    assert [(f.text, position_of[f.claim_id]) for f in stored] == [
        ("Peskov", 1), ("60", 1), ("Officials", 2), ("12", 2), ("Peskov", 3)]
    assert all(BODY[f.start:f.end] == f.text and f.detector_version == "t1" for f in stored)
    assert (stored[0].kind, stored[0].subtype, stored[0].attrs) == ("sourcing", "named", {"word": "Peskov"})
    session.refresh(article)
    assert (article.status, article.detector_version, article.status_reason) == ("flagged", "t1", None)
    assert article.flagged_at is not None


def test_running_twice_keeps_one_set_of_flags(session):
    article = stored_article(session)
    flag_article(session, article.id, detector=DETECTOR, version="t1")
    first = [(f.kind, f.start, f.end, f.claim_id) for f in flags_of(session, article.id)]
    assert flag_article(session, article.id, detector=DETECTOR, version="t1") == 5
    assert [(f.kind, f.start, f.end, f.claim_id) for f in flags_of(session, article.id)] == first


def test_a_new_version_keeps_the_old_set_and_becomes_current(session):
    article = stored_article(session)
    flag_article(session, article.id, detector=DETECTOR, version="t1")
    flag_article(session, article.id, detector=KeywordDetector({"died": ("number", "vague")}), version="t2")
    assert len(flags_of(session, article.id, "t1")) == 5
    assert [f.text for f in flags_of(session, article.id, "t2")] == ["died"]
    session.refresh(article)
    assert article.detector_version == "t2"


def test_a_raising_detector_marks_the_article_failed_with_the_reason(session):
    article = stored_article(session)
    assert flag_article(session, article.id, detector=failing_detector, version="t1") == 0
    session.refresh(article)
    assert article.status == "failed"
    assert article.status_reason == "detection failed: RuntimeError: rule exploded"
    assert flags_of(session, article.id) == []
    # A later successful run clears the failure.
    flag_article(session, article.id, detector=DETECTOR, version="t1")
    session.refresh(article)
    assert (article.status, article.status_reason) == ("flagged", None)


def test_a_deleted_article_is_none(session):
    article = stored_article(session)
    session.delete(article)
    session.commit()
    assert flag_article(session, article.id, detector=DETECTOR, version="t1") is None
    assert flag_article(session, 424242, detector=DETECTOR, version="t1") is None


def test_a_flag_between_claims_goes_to_the_claim_before_it(session):
    article = stored_article(session)
    gap = BODY.index(SENTENCES[1]) - 1  # the space between the first and second sentence
    flag_article(session, article.id, detector=lambda text: [
        DetectedFlag("quote", "partial", 0, 6, "Troops"), DetectedFlag("number", "count", gap, gap + 1, " ")],
        version="t1")
    position_of = {c.id: c.position for c in article.claims}
    stored = flags_of(session, article.id)
    assert [(f.text, position_of[f.claim_id]) for f in stored] == [("Troops", 0), (" ", 1)]


def _left(session, status: str, ago: timedelta) -> Article:
    article = stored_article(session, f"{BODY} {status} {ago}")
    article.status, article.updated_at = status, datetime.now(UTC) - ago
    session.commit()
    return article


def test_the_sweeper_resends_an_abandoned_flagging_article_soon_and_leaves_a_long_queue_alone(session):
    # With the default settings: an article `flagging` for three minutes was dropped by a worker that
    # died (no task runs that long), while one `queued` as long may just be waiting its turn.
    settings = Settings.from_env({})
    abandoned = _left(session, "flagging", timedelta(minutes=3))
    running = _left(session, "flagging", timedelta(seconds=settings.task_time_limit - 10))
    waiting = _left(session, "queued", timedelta(minutes=3))
    forgotten = _left(session, "queued", timedelta(seconds=settings.stuck_after + 1))
    queue = RecordingQueue()
    sent = resend_stuck(session, queue, timedelta(seconds=settings.stuck_after),
                        timedelta(seconds=settings.flagging_stuck_after))
    assert sorted(sent) == sorted(queue.article_ids) == sorted([abandoned.id, forgotten.id])
    assert running.id not in sent and waiting.id not in sent
