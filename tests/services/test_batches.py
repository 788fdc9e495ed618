"""Batches without HTTP: streaming imports, derived counts, cancelling and re-flagging."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from service.services import batches
from service.services.articles import ArticleFilter, Submission, add_article
from service.services.flagging import flag_article
from service.storage.models import Annotation, Article, Batch, Claim, Flag
from tests.fakes import KeywordDetector, RecordingQueue, failing_detector

LIMITS = batches.ImportLimits(max_lines=1000, max_bytes=10_000_000, max_line_bytes=20_000,
                              max_article_chars=10_000)
DETECTOR = KeywordDetector({"Officials": ("sourcing", "vague"), "homes": ("number", "count")})


def story(i: int, outlet: str = "Westbridge Gazette") -> dict:
    return {"title": f"Flooding, day {i}", "outlet": outlet, "external_id": f"wg-{i}",
            "body": f"Officials said {i * 7 + 3} homes were flooded on day {i}. Residents were not warned."}


def jsonl(*rows: dict | str) -> io.BytesIO:
    return io.BytesIO("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode())


def run_import(session, queue, stream, limits=LIMITS, **kwargs) -> Batch:
    return batches.import_articles(session, queue, batches.start_import(session), stream, limits, **kwargs)


def flags_of(session, article_id: int) -> list[Flag]:
    return list(session.scalars(select(Flag).where(Flag.article_id == article_id)))


def articles_of(session, batch_id: int) -> list[Article]:
    return list(session.scalars(select(Article).where(Article.batch_id == batch_id).order_by(Article.id)))


def test_an_import_stores_queues_and_reports_every_line(session):
    queue = RecordingQueue()
    rows = [story(i) for i in range(450)]  # more than two chunks
    batch = run_import(session, queue, jsonl(*rows[:3], "", "  ", *rows[3:]))
    stored = articles_of(session, batch.id)
    assert [a.external_id for a in stored] == [r["external_id"] for r in rows]
    assert queue.article_ids == [a.id for a in stored]
    assert all(a.status == "queued" and a.claims for a in stored)
    report = batches.get_batch(session, batch.id)
    assert (batch.status, batch.total, batch.duplicates, batch.error_count, batch.errors) == (
        "running", 450, 0, 0, [])
    assert (report.articles, report.queued, report.flagged, report.articles_per_second) == (450, 450, 0, None)


def test_each_article_is_enqueued_only_once_committed(database, session):
    seen: list[int] = []

    def look_from_another_session(article_id: int) -> None:
        with database.sessionmaker() as other:
            seen.extend(other.scalars(select(Article.id).where(Article.id == article_id)))

    queue = RecordingQueue(on_enqueue=look_from_another_session)
    run_import(session, queue, jsonl(*[story(i) for i in range(205)]))
    assert seen == queue.article_ids and len(seen) == 205


def test_bad_lines_are_recorded_with_their_number_and_the_rest_imported(session):
    queue = RecordingQueue()
    batch = run_import(session, queue, jsonl(
        story(1), "not json", "[1, 2]", {"body": "x", "html": "<p>x</p>"}, {"body": "ok", "colour": "red"},
        {"body": "\u00a0 \n"}, "", story(2), '{"body": ' + "[" * 5000 + "]" * 5000 + "}"))
    assert batch.total == 8 and batch.error_count == 6
    problems = {e["line"]: e["problem"] for e in batch.errors}
    assert set(problems) == {2, 3, 4, 5, 6, 9}
    assert problems[2].startswith("not valid JSON")
    assert problems[3] == "expected a JSON object with the fields of POST /articles"
    assert problems[4] == "body: Send exactly one of `body` (text) and `html`."
    assert problems[5] == "colour: Unknown field."
    assert problems[6] == "The body holds no article text once cleaned."
    assert "nested too deeply" in problems[9] or problems[9].startswith("not valid JSON")
    assert [a.external_id for a in articles_of(session, batch.id)] == ["wg-1", "wg-2"]


def test_duplicates_are_counted_and_skipped_whether_stored_before_or_earlier_in_the_file(session):
    queue = RecordingQueue()
    first = run_import(session, queue, jsonl(story(1), story(2)))
    same_body = {**story(3), "external_id": None}
    second = run_import(session, queue, jsonl(story(1), story(3), same_body, story(2), story(4)))
    assert (second.total, second.duplicates, second.error_count) == (5, 3, 0)
    assert [a.external_id for a in articles_of(session, second.id)] == ["wg-3", "wg-4"]
    assert len(articles_of(session, first.id)) == 2
    assert len(queue.article_ids) == 4


def test_an_external_id_spelling_another_articles_body_hash_is_no_duplicate(session):
    # External ids are the sender's own text: one may well be 64 hex digits, the shape of a body hash.
    queue = RecordingQueue()
    stored = run_import(session, queue, jsonl(story(1)))
    stored_hash = articles_of(session, stored.id)[0].body_hash

    def hash_of(row: dict) -> str:
        return batches.clean_submission(Submission(**row), 10_000).body_hash

    earlier, later = {**story(2), "external_id": None}, {**story(7), "external_id": None}
    rows = [earlier, {**story(3), "external_id": hash_of(earlier)},  # a hash seen earlier in the file
            {**story(4), "external_id": stored_hash},  # a stored article's hash
            {**story(6), "external_id": hash_of(later)}, later]  # the hash of a body later in the file
    batch = run_import(session, queue, jsonl(*rows))
    assert (batch.total, batch.duplicates, batch.error_count) == (5, 0, 0)
    assert [a.external_id for a in articles_of(session, batch.id)] == [r["external_id"] for r in rows]


def test_a_line_over_the_byte_limit_is_an_error_and_the_next_line_is_read(session):
    limits = batches.ImportLimits(max_lines=10, max_bytes=10**7, max_line_bytes=500, max_article_chars=10**4)
    long = {**story(2), "body": "Officials said so. " * 100}
    batch = run_import(session, RecordingQueue(), jsonl(story(1), long, story(3)), limits)
    assert batch.errors == [{"line": 2, "problem": "longer than 500 bytes"}]
    assert [a.external_id for a in articles_of(session, batch.id)] == ["wg-1", "wg-3"]


def test_over_the_line_limit_keeps_what_was_read_and_says_where_it_stopped(session):
    limits = batches.ImportLimits(max_lines=3, max_bytes=10**7, max_line_bytes=10**4, max_article_chars=10**4)
    queue = RecordingQueue()
    batch = batches.start_import(session)
    with pytest.raises(batches.BatchTooLarge, match=f"imported as batch {batch.id}"):
        batches.import_articles(session, queue, batch, jsonl(*[story(i) for i in range(5)]), limits)
    session.refresh(batch)
    assert (batch.status, batch.total, batch.error_count) == ("running", 3, 1)
    assert batch.errors[0]["line"] == 4 and "the rest were not read" in batch.errors[0]["problem"]
    assert len(articles_of(session, batch.id)) == 3 == len(queue.article_ids)


def test_recorded_errors_are_capped_but_all_counted(session):
    batch = run_import(session, RecordingQueue(), io.BytesIO(b"nope\n" * 1200), batches.ImportLimits(
        max_lines=2000, max_bytes=10_000_000, max_line_bytes=100, max_article_chars=100))
    assert batch.error_count == 1200 and len(batch.errors) == batches.MAX_RECORDED_ERRORS
    assert batch.errors[-1]["line"] == batches.MAX_RECORDED_ERRORS


def test_a_refusing_broker_is_asked_once_and_the_articles_stay_queued_for_the_sweeper(session):
    queue = RecordingQueue(accept=False)
    batch = run_import(session, queue, jsonl(*[story(i) for i in range(450)]))
    assert len(queue.refused_messages) == 1 and queue.article_ids == []
    assert batches.get_batch(session, batch.id).queued == 450


def test_an_article_stored_concurrently_makes_the_chunk_go_one_by_one(database, session):
    lines = [story(1), story(2)]
    calls = 0

    def store_line_one_elsewhere(_size: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:  # line 1 is pending in the import's session, not yet flushed
            with database.sessionmaker() as other:
                add_article(other, Submission(**{**story(1), "external_id": "elsewhere"}), 10_000)
                other.commit()

    queue = RecordingQueue()
    batch = run_import(session, queue, jsonl(*lines), on_progress=store_line_one_elsewhere)
    assert (batch.total, batch.duplicates, batch.error_count) == (2, 1, 0)
    assert [a.external_id for a in articles_of(session, batch.id)] == ["wg-2"]
    assert len(queue.article_ids) == 1


def test_counts_follow_the_articles_and_the_batch_finishes_when_none_is_left(session):
    batch = run_import(session, RecordingQueue(), jsonl(*[story(i) for i in range(4)]))
    ids = [a.id for a in articles_of(session, batch.id)]
    flag_article(session, ids[0], detector=DETECTOR, version="t1")
    flag_article(session, ids[1], detector=failing_detector, version="t1")
    report = batches.get_batch(session, batch.id)
    assert (report.queued, report.flagged, report.failed, report.batch.status) == (2, 1, 1, "running")
    for article_id in ids[2:]:
        flag_article(session, article_id, detector=DETECTOR, version="t1")
    report = batches.get_batch(session, batch.id)
    assert (report.queued, report.flagging, report.flagged, report.failed) == (0, 0, 3, 1)
    assert report.batch.status == "finished"
    last = max(a.updated_at for a in articles_of(session, batch.id))
    assert report.batch.finished_at == last
    assert report.articles_per_second is not None and report.articles_per_second > 0


def test_an_empty_upload_finishes_at_once(session):
    batch = run_import(session, RecordingQueue(), io.BytesIO(b"\n\n"))
    report = batches.get_batch(session, batch.id)
    assert (report.batch.status, report.batch.total, report.articles) == ("finished", 0, 0)


def test_cancel_fails_the_unstarted_articles_and_the_task_skips_them(session):
    batch = run_import(session, RecordingQueue(), jsonl(*[story(i) for i in range(3)]))
    first, second, third = articles_of(session, batch.id)
    flag_article(session, first.id, detector=DETECTOR, version="t1")
    report = batches.cancel_batch(session, batch.id)
    assert (report.batch.status, report.flagged, report.failed, report.queued) == ("cancelled", 1, 2, 0)
    assert report.batch.finished_at is not None
    session.refresh(second)
    assert (second.status, second.status_reason) == ("failed", "batch cancelled")
    # The message already in the broker arrives: the worker leaves the article alone.
    assert flag_article(session, second.id, detector=DETECTOR, version="t1") is None
    session.refresh(second)
    assert second.status == "failed" and flags_of(session, second.id) == []
    again = batches.cancel_batch(session, batch.id)
    assert (again.batch.status, again.batch.finished_at) == ("cancelled", report.batch.finished_at)


def test_cancelling_a_finished_batch_changes_nothing(session):
    batch = run_import(session, RecordingQueue(), jsonl(story(1)))
    flag_article(session, articles_of(session, batch.id)[0].id, detector=DETECTOR, version="t1")
    assert batches.get_batch(session, batch.id).batch.status == "finished"
    assert batches.cancel_batch(session, batch.id).batch.status == "finished"


def test_unknown_batches_are_not_found(session):
    from service.services.errors import NotFound

    with pytest.raises(NotFound):
        batches.get_batch(session, 99)
    with pytest.raises(NotFound):
        batches.cancel_batch(session, 99)


def test_reflag_requeues_the_matching_articles_and_annotations_stay_on_their_claims(session):
    imported = run_import(session, RecordingQueue(), jsonl(story(1), story(2), story(3, outlet="Ledger")))
    gazette = [a for a in articles_of(session, imported.id) if a.outlet == "Westbridge Gazette"]
    for article in articles_of(session, imported.id):
        flag_article(session, article.id, detector=DETECTOR, version="t1")
    claim = session.scalars(select(Claim).where(Claim.article_id == gazette[0].id).order_by(Claim.id)).first()
    claims_before = {a.id: [(c.id, c.text) for c in a.claims] for a in gazette}
    session.add(Annotation(claim_id=claim.id, verdict="accurate", reviewer="amira"))
    session.commit()

    queue = RecordingQueue()
    reflag = batches.start_reflag(session, queue, ArticleFilter(outlet="Westbridge Gazette"))
    assert (reflag.kind, reflag.status, reflag.total, reflag.filter) == (
        "reflag", "running", 2, {"outlet": "Westbridge Gazette"})
    assert queue.article_ids == [a.id for a in gazette]
    assert batches.get_batch(session, reflag.id).queued == 2
    upgraded = KeywordDetector({"Residents": ("sourcing", "vague")})
    for article in gazette:
        flag_article(session, article.id, detector=upgraded, version="t2")
    report = batches.get_batch(session, reflag.id)
    assert (report.batch.status, report.flagged) == ("finished", 2)
    for article in gazette:
        session.refresh(article)
        assert article.detector_version == "t2"
        assert [(c.id, c.text) for c in article.claims] == claims_before[article.id]
        versions = {f.detector_version for f in flags_of(session, article.id)}
        assert versions == {"t1", "t2"}  # the old set is kept, the new one is current
    annotations = session.scalars(select(Annotation).where(Annotation.claim_id == claim.id)).all()
    assert [a.reviewer for a in annotations] == ["amira"]
    ledger = session.scalar(select(Article).where(Article.outlet == "Ledger"))
    assert (ledger.batch_id, ledger.detector_version) == (imported.id, "t1")


def test_reflag_with_the_flag_filters_and_no_match_finishes_empty(session):
    imported = run_import(session, RecordingQueue(), jsonl(story(1), story(2)))
    ids = [a.id for a in articles_of(session, imported.id)]
    flag_article(session, ids[0], detector=DETECTOR, version="t1")
    flag_article(session, ids[1], detector=KeywordDetector({}), version="t1")
    queue = RecordingQueue()
    by_kind = batches.start_reflag(session, queue, ArticleFilter(kind="sourcing", subtype="vague"))
    assert by_kind.total == 1 and queue.article_ids == [ids[0]]
    nothing = batches.start_reflag(session, RecordingQueue(), ArticleFilter(q="no such words anywhere"))
    assert batches.get_batch(session, nothing.id).batch.status == "finished"


def test_batches_are_listed_newest_first_with_cursors(session):
    made = [run_import(session, RecordingQueue(), jsonl(story(i))).id for i in range(3)]
    page = batches.list_batches(session, 2, None)
    assert [r.batch.id for r in page.items] == made[::-1][:2]
    rest = batches.list_batches(session, 2, page.next_cursor)
    assert [r.batch.id for r in rest.items] == [made[0]] and rest.next_cursor is None


class BrokenUpload(io.BytesIO):
    """An upload whose client goes away after `lines` lines."""

    def __init__(self, data: bytes, lines: int) -> None:
        super().__init__(data)
        self.lines = lines

    def readline(self, size: int | None = -1) -> bytes:
        if self.lines == 0:
            raise ConnectionResetError("client went away")
        self.lines -= 1
        return super().readline(size)


def test_an_upload_cut_short_keeps_what_was_read_and_says_where_it_stopped(session):
    queue = RecordingQueue()
    batch = batches.start_import(session)
    upload = BrokenUpload(jsonl(*[story(i) for i in range(5)]).read(), lines=3)
    with pytest.raises(ConnectionResetError):
        batches.import_articles(session, queue, batch, upload, LIMITS)
    session.refresh(batch)
    assert (batch.status, batch.total) == ("running", 3)
    assert batch.errors == [{"line": 4, "problem": "reading stopped: client went away"}]
    assert len(articles_of(session, batch.id)) == 3 == len(queue.article_ids)
