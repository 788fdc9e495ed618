"""`claimdesk import` as a user runs it: a JSONL file into the local database, then again to resume."""
from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import run

STORIES = [{"title": f"Bridge repairs, part {i}", "outlet": "Harbour Herald", "external_id": f"hh-{i}",
            "body": f"The council said repairs would cost £{i + 2} million. \"It is overdue,\" she said."}
           for i in range(5)]


def write_jsonl(folder: Path, lines: list[str]) -> Path:
    path = folder / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored(folder: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(folder / "instance" / "claimdesk.db") as db:
        return db.execute(sql).fetchall()


def broker_messages(folder: Path) -> int:
    return len(list((folder / "instance" / "broker" / "messages").iterdir()))


def test_import_stores_queues_and_summarises_then_a_second_run_skips_everything(migrated):
    lines = [json.dumps(s) for s in STORIES[:3]] + ["", "{not json"] + [json.dumps(s) for s in STORIES[3:]]
    write_jsonl(migrated, lines)
    first = run(migrated, "import", "articles.jsonl")
    assert first.returncode == 0, first.stderr
    assert "importing articles.jsonl" in first.stderr
    assert first.stdout.splitlines() == [
        "batch 1 (running): 6 lines read; new articles queued for flagging: 5; "
        "already imported, skipped: 0; lines with errors: 1",
        "  line 5: not valid JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)"]
    assert stored(migrated, "SELECT external_id, batch_id, status FROM articles ORDER BY id") == [
        (s["external_id"], 1, "queued") for s in STORIES]
    # One flagging message carries the five articles (a batch sends a message per slice of a chunk).
    assert broker_messages(migrated) == 1

    again = run(migrated, "import", "articles.jsonl")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == (
        "batch 2 (finished): 6 lines read; new articles queued for flagging: 0; "
        "already imported, skipped: 5; lines with errors: 1")
    assert len(stored(migrated, "SELECT id FROM articles")) == 5
    assert broker_messages(migrated) == 1


def test_a_file_over_the_line_limit_keeps_what_was_read_and_fails(migrated):
    write_jsonl(migrated, [json.dumps(s) for s in STORIES])
    result = run(migrated, "import", "articles.jsonl", env={"CLAIMDESK_MAX_BATCH_LINES": "2"})
    assert result.returncode == 1
    assert ("Error: A batch holds at most 2 lines and 209,715,200 bytes; the lines before line 3 were "
            "imported as batch 1, the rest was not read.") in result.stderr
    assert len(stored(migrated, "SELECT id FROM articles WHERE batch_id = 1")) == 2


def test_import_asks_for_a_migration_first(tmp_path):
    write_jsonl(tmp_path, [json.dumps(STORIES[0])])
    result = run(tmp_path, "import", "articles.jsonl")
    assert result.returncode == 1
    assert "run `claimdesk migrate` first" in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_server_is_reported_without_a_traceback(tmp_path):
    write_jsonl(tmp_path, [json.dumps(STORIES[0])])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(tmp_path, "import", "articles.jsonl", "--server", f"http://127.0.0.1:{port}", "--token", "t")
    assert result.returncode == 1
    assert f"Error: could not send the file to http://127.0.0.1:{port}/api/v1/batches" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.both_backends
def test_lines_the_database_could_not_store_are_listed_and_a_second_run_resumes(tmp_path, database_env):
    migrate = run(tmp_path, "migrate", env=database_env)
    assert migrate.returncode == 0, migrate.stderr
    # A date-time in year 0 once in UTC, and a headline (25 long words) over the title column's 1,000.
    headline = " ".join(f"{'Supercalifragilistic' * 3}{i:02d}" for i in range(25))
    bad = {2: {**STORIES[2], "published_at": "0001-01-01T00:30:00+01:00"},
           3: {**STORIES[3], "title": None, "body": f"{headline}\n\n{STORIES[3]['body']}"}}
    write_jsonl(tmp_path, [json.dumps(bad.get(i, s)) for i, s in enumerate(STORIES)])
    # The second run stores nothing new (so its batch is finished at once) and names the same line.
    for batch, status, new, skipped in [(1, "running", 4, 0), (2, "finished", 0, 4)]:
        result = run(tmp_path, "import", "articles.jsonl", env=database_env)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert result.stdout.splitlines() == [
            f"batch {batch} ({status}): 5 lines read; new articles queued for flagging: {new}; "
            f"already imported, skipped: {skipped}; lines with errors: 1",
            "  line 3: published_at: Out of range: in UTC it falls before 0001-01-01 or after 9999-12-31."]
