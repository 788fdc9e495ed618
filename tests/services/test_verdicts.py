"""The current verdict: the most recently updated live annotation with a verdict, the same in Python and SQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from service.services.verdicts import current_annotation, current_verdict, current_verdicts
from service.storage.models import Annotation
from tests.services.articles import article_with_claims

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _store(session, claim_id: int, verdict: str | None, minutes: int, deleted: bool = False) -> None:
    at = T0 + timedelta(minutes=minutes)
    session.execute(insert(Annotation).values(
        claim_id=claim_id, verdict=verdict, note=None if verdict else "n", evidence=[], reviewer="ana",
        created_at=T0, updated_at=at, deleted_at=at if deleted else None, version=1))


def test_python_and_sql_pick_the_same_verdict(session):
    body = "One. Two. Three. Four. Five."
    article = article_with_claims(session, body, ["One.", "Two.", "Three.", "Four.", "Five."])
    one, two, three, four, five = (c.id for c in article.claims)
    _store(session, one, "accurate", 5)  # updated last: current, though created first
    _store(session, one, "misleading", 1)
    _store(session, two, "accurate", 3)
    _store(session, two, "inaccurate", 3)  # the same moment: the higher id wins
    _store(session, three, "accurate", 1)
    _store(session, three, "opinion", 9, deleted=True)  # deleted: does not count
    _store(session, three, None, 10)  # a note only: no verdict to give
    _store(session, four, None, 1)
    session.commit()
    expected = {one: "accurate", two: "inaccurate", three: "accurate"}

    assert current_verdicts(session, [one, two, three, four, five]) == expected
    session.expire_all()
    for claim in article.claims:
        assert current_verdict(claim.annotations) == expected.get(claim.id)
    assert current_annotation(article.claims[3].annotations) is None
    assert current_verdicts(session, []) == {}
