"""Measure the export endpoints at scale: time, size and peak memory with 100,000 annotations.

    .venv/bin/python bench/exports.py [--annotations 100000] [--formats claimreview,w3c,csv]

Seeds a fresh SQLite database (Alembic-migrated, in a temporary folder) with articles of 100 claims,
each claim with two current flags and `--annotations / claims` annotations, then streams
GET /api/v1/exports?format=... through the Flask test client, reading the body chunk by chunk as a
client would. Each format is run twice: once for wall time, once under tracemalloc for the peak of
Python allocations. Exits 1 when a peak exceeds the bar, which would mean the export is no longer
streamed.
"""
from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from service.app import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from service.storage.migrate import upgrade  # noqa: E402
from service.storage.models import Annotation, Article, Claim, Flag  # noqa: E402

CLAIMS_PER_ARTICLE = 100
ANNOTATIONS_PER_CLAIM = 2
MAX_PEAK_MIB = 32
SENTENCE = "Officials said 40 homes were flooded."


class NoQueue:
    """Nothing is flagged here; the seed writes its own flags."""

    def flag_article(self, article_id: int) -> bool:
        return False


def seed(sessionmaker, annotations: int) -> None:
    per_article = CLAIMS_PER_ARTICLE * ANNOTATIONS_PER_CLAIM
    body = " ".join([SENTENCE] * CLAIMS_PER_ARTICLE)
    now = datetime.now(UTC)
    with sessionmaker() as session:
        for a in range(-(-annotations // per_article)):
            article_id = session.execute(insert(Article).returning(Article.id), {
                "body": body, "body_hash": f"bench-{a}", "status": "flagged", "source_format": "text",
                "url": f"https://news.example/{a}", "title": f"Floods, part {a}", "detector_version": "bench",
                "created_at": now, "updated_at": now, "flagged_at": now}).scalar_one()
            starts = [p * (len(SENTENCE) + 1) for p in range(CLAIMS_PER_ARTICLE)]
            claim_ids = session.execute(insert(Claim).returning(Claim.id), [
                {"article_id": article_id, "position": p, "role": "body", "start": s,
                 "end": s + len(SENTENCE), "text": SENTENCE} for p, s in enumerate(starts)]).scalars().all()
            session.execute(insert(Flag), [
                {"article_id": article_id, "claim_id": c, "kind": kind, "subtype": subtype, "start": s + at,
                 "end": s + at + length, "text": SENTENCE[at:at + length], "attrs": {},
                 "detector_version": "bench"}
                for c, s in zip(claim_ids, starts, strict=True)
                for kind, subtype, at, length in (("sourcing", "vague", 0, 14), ("number", "count", 15, 2))])
            session.execute(insert(Annotation), [
                {"claim_id": c, "reviewer": "ana", "verdict": "misleading", "note": "Thirty, not forty.",
                 "evidence": [{"url": "https://gov.example/floods", "title": "Flood figures"}],
                 "selector": {"start": 15, "end": 17, "exact": "40", "prefix": "Officials said ",
                              "suffix": " homes were flooded."},
                 "created_at": now, "updated_at": now}
                for c in claim_ids for _ in range(ANNOTATIONS_PER_CLAIM)])
        session.commit()


def stream(client, format_name: str) -> int:
    response = client.get(f"/api/v1/exports?format={format_name}", buffered=False)
    assert response.status_code == 200 and response.is_streamed, response.status_code
    size = sum(len(chunk) for chunk in response.iter_encoded())
    response.close()
    return size


def measure(client, format_name: str) -> tuple[float, int, int]:
    """Seconds, bytes out, and traced peak bytes of one streamed export."""
    gc.collect()
    started = time.perf_counter()
    size = stream(client, format_name)
    seconds = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    stream(client, format_name)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, size, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--formats", default="claimreview,w3c,csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": folder})
        settings.prepare_instance()
        upgrade(settings.database_url)
        app = create_app(settings, NoQueue())
        started = time.perf_counter()
        seed(app.extensions["claimdesk"].database.sessionmaker, args.annotations)
        print(f"seeded {args.annotations:,} annotations in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        stream(client, "csv")  # warm the statement caches once, as a running service has them
        worst = 0
        print(f"{'format':<12} {'seconds':>8} {'MiB out':>8} {'peak MiB':>9}")
        for format_name in args.formats.split(","):
            seconds, size, peak = measure(client, format_name)
            worst = max(worst, peak)
            print(f"{format_name:<12} {seconds:>8.1f} {size / 2**20:>8.1f} {peak / 2**20:>9.2f}")
        app.extensions["claimdesk"].database.dispose()
    if worst > MAX_PEAK_MIB * 2**20:
        print(f"FAIL: a peak above {MAX_PEAK_MIB} MiB; the export is no longer streamed")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
