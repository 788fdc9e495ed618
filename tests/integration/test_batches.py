"""Batches over real HTTP with a real worker: a JSONL upload flagged once per article, then re-flagged."""
from __future__ import annotations

import json
import random
import subprocess
import time
import uuid

import pytest

from tests.integration.conftest import CLAIMDESK

pytestmark = pytest.mark.integration

PLACES = ["Westbridge", "Harrowgate", "Lower Marsh", "Kingsferry", "Eastholme", "Millbrook"]
OFFICIALS = [("Councillor Dana Reyes", "leader of the council"), ("Tom Okafor", "the transport secretary"),
             ("Dr Priya Nair", "a public health director"), ("Helen Moss", "the chief executive")]
TOPICS = [("bus fares", "passengers"), ("school places", "pupils"), ("flood defences", "homes"),
          ("hospital beds", "patients"), ("road repairs", "potholes")]
VAGUE = ["according to sources inside the council", "critics say", "officials said privately",
         "a report seen by this newspaper suggests", "people familiar with the plans said"]


def story(i: int, outlet: str, tag: str, rng: random.Random) -> dict:
    """A short news story with a headline, quotes, figures and attributions; every one different."""
    place, (name, role), (topic, unit) = rng.choice(PLACES), rng.choice(OFFICIALS), rng.choice(TOPICS)
    count, percent, money = rng.randint(120, 9800), rng.randint(3, 61), rng.randint(2, 90)
    paragraphs = [
        f"{place} plans {percent}% rise in spending on {topic}",
        f"{place} will spend £{money} million more on {topic} next year, {name}, {role}, announced on "
        f"Tuesday, a rise of {percent} per cent on last year.",
        f"\"We cannot keep asking {count:,} {unit} to wait,\" {name.split()[-1]} told the meeting. "
        f"\"This is the money we promised.\"",
        f"The plan was drawn up in {rng.randint(3, 11)} weeks, {rng.choice(VAGUE)}, and about "
        f"{rng.randint(2, 40)} staff will be hired.",
        f"Opposition members said the figure was closer to £{money // 2 + 1} million once inflation was "
        f"counted. Story {tag}-{i} was filed by the {outlet} newsdesk.",
    ]
    return {"title": paragraphs[0], "body": "\n\n".join(paragraphs[1:]), "outlet": outlet,
            "external_id": f"{tag}-{i}", "published_at": f"2026-03-{1 + i % 28:02d}T08:00:00Z"}


def wait_for_batch(live, batch_id: int, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = live.http.get(live.api(f"/batches/{batch_id}"), timeout=10).json()
        if batch["status"] in ("finished", "cancelled"):
            return batch
        time.sleep(0.5)
    raise AssertionError(f"batch {batch_id} still {batch['status']} after {timeout}s: {batch}; "
                         f"log:\n{live.log.read_text()[-3000:]}")


def outlet_articles(live, outlet: str) -> list[dict]:
    response = live.http.get(live.api("/articles"), params={"outlet": outlet, "limit": 200}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def assert_one_set_of_flags(live, summary: dict) -> dict:
    """The article as served: flagged, every flag from its one detector version, none twice."""
    article = live.http.get(live.api(f"/articles/{summary['id']}"), timeout=10).json()
    assert article["status"] == "flagged", article["status_reason"]
    flags = [f for claim in article["claims"] for f in claim["flags"]]
    assert flags, f"article {article['id']} has no flags"
    assert {f["detector_version"] for f in flags} == {article["detector_version"]}
    spans = [(f["kind"], f["subtype"], f["start"], f["end"]) for f in flags]
    assert len(spans) == len(set(spans)), f"article {article['id']} has a flag twice"
    return article


def test_a_jsonl_batch_is_flagged_once_per_article_then_reflagged_keeping_annotations(live):
    tag = uuid.uuid4().hex[:8]
    outlet = f"Batch Courier {tag}"
    rng = random.Random(tag)
    stories = [story(i, outlet, tag, rng) for i in range(200)]
    assert len({s["body"] for s in stories}) == 200
    body = "".join(json.dumps(s) + "\n" for s in stories).encode()

    response = live.http.post(live.api("/batches"), data=body, timeout=120,
                             headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 202, response.text
    assert response.headers["Location"].endswith(f"/api/v1/batches/{response.json()['id']}")
    batch = wait_for_batch(live, response.json()["id"])
    assert {k: batch[k] for k in ("status", "kind", "total", "articles", "queued", "flagging", "flagged",
                                  "failed", "duplicates", "error_count")} == {
        "status": "finished", "kind": "import", "total": 200, "articles": 200, "queued": 0, "flagging": 0,
        "flagged": 200, "failed": 0, "duplicates": 0, "error_count": 0}
    assert batch["finished_at"] >= batch["started_at"] and batch["articles_per_second"] > 0

    summaries = outlet_articles(live, outlet)
    assert len(summaries) == 200 and {a["status"] for a in summaries} == {"flagged"}
    flag_counts = {a["id"]: a["flag_counts"] for a in summaries}
    served = {a["id"]: assert_one_set_of_flags(live, a) for a in summaries}

    first = served[min(served)]
    claim = next(c for c in first["claims"] if c["flags"])
    annotation = live.http.post(live.api(f"/claims/{claim['id']}/annotations"), timeout=10, json={
        "verdict": "needs-context", "note": "Inflation-adjusted figure differs."})
    assert annotation.status_code == 201, annotation.text

    again = live.http.post(live.api("/batches"), data=body[: body.index(b"\n") + 1], timeout=30,
                          headers={"Content-Type": "application/x-ndjson"})
    assert (again.json()["duplicates"], again.json()["articles"]) == (1, 0)

    reflag = live.http.post(live.api("/reflag"), json={"outlet": outlet}, timeout=60)
    assert reflag.status_code == 202, reflag.text
    assert (reflag.json()["kind"], reflag.json()["total"]) == ("reflag", 200)
    rerun = wait_for_batch(live, reflag.json()["id"])
    assert (rerun["status"], rerun["flagged"], rerun["failed"], rerun["queued"]) == ("finished", 200, 0, 0)

    after = outlet_articles(live, outlet)
    assert {a["id"]: a["flag_counts"] for a in after} == flag_counts
    for summary in after:
        article = assert_one_set_of_flags(live, summary)
        assert [(c["id"], c["text"]) for c in article["claims"]] == [
            (c["id"], c["text"]) for c in served[summary["id"]]["claims"]]
    kept = live.http.get(live.api(f"/claims/{claim['id']}"), timeout=10).json()["annotations"]
    assert [(a["id"], a["note"]) for a in kept] == [
        (annotation.json()["id"], "Inflation-adjusted figure differs.")]


def test_claimdesk_import_sends_a_file_to_the_server_and_resumes(live, tmp_path):
    tag = uuid.uuid4().hex[:8]
    rng = random.Random(tag)
    path = tmp_path / "nightly.jsonl"
    path.write_text("".join(json.dumps(story(i, f"CLI Courier {tag}", tag, rng)) + "\n" for i in range(12)),
                    encoding="utf-8")

    def run_import(*token: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in live.env.items() if k != "CLAIMDESK_TOKEN"}
        return subprocess.run([CLAIMDESK, "import", str(path), "--server", live.url, *token],
                              capture_output=True, text=True, timeout=120, env=env)

    refused = run_import()
    assert refused.returncode != 0
    assert "answered 401" in refused.stderr, refused.stderr
    first = run_import("--token", live.token)
    assert first.returncode == 0, first.stderr
    assert "12 lines read; new articles queued for flagging: 12; already imported, skipped: 0" in first.stdout
    second = run_import("--token", live.token)
    assert second.returncode == 0, second.stderr
    assert "new articles queued for flagging: 0; already imported, skipped: 12" in second.stdout
