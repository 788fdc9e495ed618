"""The real `claimdesk` console script, run as a user would on the embedded SQLite and filesystem broker."""
from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys

import pytest

from tests.cli.conftest import CLAIMDESK, run

ARTICLE = "Peskov said 60 servicemen died. Officials said it was fewer.\n"


def test_the_console_script_is_installed():
    assert CLAIMDESK.is_file(), f"{CLAIMDESK} is missing: install the project (pip install -e .)"


def test_migrate_creates_the_schema(migrated):
    with sqlite3.connect(migrated / "instance" / "claimdesk.db") as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"articles", "claims", "flags", "annotations", "alembic_version"} <= tables


def test_add_article_stores_it_and_sends_one_message_to_the_broker(migrated):
    (migrated / "story.txt").write_text(ARTICLE, encoding="utf-8")
    result = run(migrated, "add-article", "story.txt", "--outlet", "Sky News", "--title", "Troops lost")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["created"] is True and printed["status"] == "queued" and printed["title"] == "Troops lost"

    with sqlite3.connect(migrated / "instance" / "claimdesk.db") as db:
        stored = db.execute("SELECT id, outlet, status, source_format, body FROM articles").fetchall()
        claims = db.execute("SELECT count(*) FROM claims WHERE article_id = ?",
                            (printed["id"],)).fetchone()[0]
    assert [row[:4] for row in stored] == [(printed["id"], "Sky News", "queued", "text")]
    assert "Peskov said 60 servicemen died." in stored[0][4]
    assert claims == printed["claims"] >= 1

    messages = list((migrated / "instance" / "broker" / "messages").iterdir())
    assert len(messages) == 1
    message = json.loads(messages[0].read_text())
    assert message["headers"]["task"] == "claimdesk.flag_article"
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert (args, kwargs) == ([printed["id"]], {})

    again = run(migrated, "add-article", "story.txt", "--title", "Troops lost")
    assert again.returncode == 0 and json.loads(again.stdout)["created"] is False
    assert len(list((migrated / "instance" / "broker" / "messages").iterdir())) == 1


def test_add_article_with_nothing_to_store_fails_clearly(migrated):
    (migrated / "empty.txt").write_text("   \n", encoding="utf-8")
    result = run(migrated, "add-article", "empty.txt")
    assert result.returncode == 1
    assert "Error: The body holds no article text once cleaned." in result.stderr


LINES = [{"id": 1, "text": 'Peskov said: "We lost 60 men." Officials said 12% were hurt.'},
         {"id": "b-2", "text": "Nothing much."}]


def check_flag_output(stdout: str) -> None:
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert [row["id"] for row in rows] == [1, "b-2"]
    for row, sent in zip(rows, LINES, strict=True):
        assert set(row) == {"id", "flags"}
        for flag in row["flags"]:
            assert set(flag) == {"kind", "subtype", "start", "end", "text", "attrs"}
            assert sent["text"][flag["start"]:flag["end"]] == flag["text"]
            assert flag["kind"] in ("quote", "number", "sourcing")


def test_flag_reads_jsonl_from_a_file(tmp_path):
    jsonl = "\n".join(json.dumps(line) for line in LINES) + "\n\n"  # a blank line is skipped
    (tmp_path / "in.jsonl").write_text(jsonl, encoding="utf-8")
    result = run(tmp_path, "flag", "in.jsonl", "--output", "out.jsonl")
    assert result.returncode == 0, result.stderr
    check_flag_output((tmp_path / "out.jsonl").read_text(encoding="utf-8"))


def test_flag_loads_no_database_or_web_stack(tmp_path):
    """`claimdesk flag` runs in pipelines over thousands of files: it starts without SQLAlchemy or Flask."""
    script = ("import sys; from service.cli import main; sys.argv = ['claimdesk', 'flag']\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "loaded = sorted(m for m in ('sqlalchemy', 'flask', 'celery') if m in sys.modules)\n"
              "print(loaded, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", script], input=json.dumps({"id": "a", "text": ARTICLE}),
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0 and json.loads(result.stdout)["flags"], result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_flag_reads_jsonl_from_stdin(tmp_path):
    result = run(tmp_path, "flag", stdin="\n".join(json.dumps(line) for line in LINES) + "\n")
    assert result.returncode == 0, result.stderr
    check_flag_output(result.stdout)


def test_flag_answers_an_oversized_text_with_an_error_line_and_goes_on(tmp_path):
    lines = [LINES[0], {"id": "big", "text": "x " * 40}, LINES[1]]
    result = run(tmp_path, "flag", stdin="".join(json.dumps(line) + "\n" for line in lines),
                 env={"CLAIMDESK_MAX_FLAG_CHARS": "60"})
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == [1, "big", "b-2"]
    assert rows[1]["error"].startswith("The text is 80 characters; the limit for flagging on demand is 60.")
    assert set(rows[1]) == {"id", "error"}
    assert "flags" in rows[0] and "flags" in rows[2]


@pytest.mark.parametrize("bad", ["not json", '{"id": 1}', '{"id": 1, "text": 3}', "[1, 2]"])
def test_flag_names_the_bad_line_and_fails(tmp_path, bad):
    result = run(tmp_path, "flag", stdin=json.dumps(LINES[0]) + "\n" + bad + "\n")
    assert result.returncode != 0
    assert 'Error: line 2: expected a JSON object with "id" and "text"' in result.stderr
    assert "Traceback" not in result.stderr
