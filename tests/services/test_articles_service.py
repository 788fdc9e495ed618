"""submit_article and list_articles without HTTP: what is stored, deduplicated, queued and paged."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.services.articles import (
    ArticleFilter,
    Submission,
    delete_article,
    get_article,
    list_articles,
    submit_article,
)
from service.services.errors import InvalidInput, NotFound
from service.services.pagination import decode_cursor, encode_cursor
from service.storage.models import Article, Claim
from tests.fakes import RecordingQueue

BODY = "The minister said 40 people attended. Critics say it was fewer."


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_submit_stores_claims_that_index_the_body_and_queues_the_id(session):
    queue = RecordingQueue()
    article, created = submit_article(session, queue, Submission(body=BODY, title="Turnout"), 10_000)
    assert created and article.status == "queued" and article.title == "Turnout"
    assert queue.article_ids == [article.id]
    claims = list(session.scalars(
        select(Claim).where(Claim.article_id == article.id).order_by(Claim.position)))
    assert claims and all(article.body[c.start:c.end] == c.text for c in claims)
    assert "40 people attended" in article.body


def test_submit_twice_is_one_article_and_one_message(session):
    queue = RecordingQueue()
    first, _ = submit_article(session, queue, Submission(body=BODY, external_id="cms-9"), 10_000)
    other = Submission(body="Other text here.", external_id="cms-9")
    by_id, created_by_id = submit_article(session, queue, other, 10_000)
    by_body, created_by_body = submit_article(session, queue, Submission(body=BODY), 10_000)
    assert (by_id.id, created_by_id, by_body.id, created_by_body) == (first.id, False, first.id, False)
    assert count(session, Article) == 1 and queue.article_ids == [first.id]


def test_a_broker_that_is_down_leaves_the_article_queued(session):
    queue = RecordingQueue(accept=False)
    article, created = submit_article(session, queue, Submission(body=BODY), 10_000)
    assert created and queue.refused == [article.id]
    session.expire_all()
    assert get_article(session, article.id).status == "queued"


@pytest.mark.parametrize("submission, limit", [(Submission(body=" \n "), 10_000),
                                               (Submission(body=BODY), 10)])
def test_rejected_submissions_store_and_queue_nothing(session, submission, limit):
    queue = RecordingQueue()
    with pytest.raises(InvalidInput):
        submit_article(session, queue, submission, limit)
    assert count(session, Article) == 0 and queue.article_ids == []


def test_cursor_round_trip_and_forgeries():
    assert decode_cursor(encode_cursor(2_147_483_647)) == 2_147_483_647
    for forged in ("", "!!", encode_cursor(1).upper(), "aWQ6LTE", "aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk"):
        with pytest.raises(InvalidInput):
            decode_cursor(forged)


def test_list_pages_back_from_the_newest(session):
    queue = RecordingQueue()
    ids = [submit_article(session, queue, Submission(body=f"Story {n} is here."), 10_000)[0].id
           for n in range(5)]
    first = list_articles(session, ArticleFilter(), 2, None)
    second = list_articles(session, ArticleFilter(), 2, first.next_cursor)
    third = list_articles(session, ArticleFilter(), 2, second.next_cursor)
    assert [a.id for page in (first, second, third) for a in page.items] == ids[::-1]
    assert third.next_cursor is None


def test_delete_and_get_missing(session):
    article, _ = submit_article(session, RecordingQueue(), Submission(body=BODY), 10_000)
    delete_article(session, article.id)
    assert count(session, Claim) == 0
    with pytest.raises(NotFound):
        get_article(session, article.id)
    with pytest.raises(NotFound):
        delete_article(session, article.id)
