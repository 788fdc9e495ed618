"""Alembic revisions: they match the models, and upgrading a database in use keeps its rows."""
from __future__ import annotations

import sqlite3

from alembic import command

from service.storage.migrate import alembic_config, upgrade


def test_the_revisions_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'claimdesk.db'}"
    upgrade(url)
    command.check(alembic_config(url))  # raises if autogenerate would find anything to add


def test_adding_batches_keeps_claims_flags_and_annotations(tmp_path):
    # SQLite rebuilds `articles` to add its foreign key; with foreign keys on, dropping the old copy
    # would cascade into every claim, flag and annotation.
    path = tmp_path / "claimdesk.db"
    upgrade(f"sqlite:///{path}", "0001")
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO articles (id, body_hash, body, source_format, status, created_at, "
                   "updated_at) VALUES (1, 'h', 'Officials said 40.', 'text', 'flagged', '2026-01-01', "
                   "'2026-01-01')")
        db.execute("INSERT INTO claims (id, article_id, position, role, start, \"end\", text) "
                   "VALUES (1, 1, 0, 'body', 0, 18, 'Officials said 40.')")
        db.execute("INSERT INTO flags (article_id, claim_id, kind, start, \"end\", text, attrs, "
                   "detector_version) VALUES (1, 1, 'number', 15, 17, '40', '{}', 't1')")
        db.execute("INSERT INTO annotations (claim_id, evidence, reviewer, created_at, updated_at) "
                   "VALUES (1, '[]', 'amira', '2026-01-01', '2026-01-01')")
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        counts = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("articles", "claims", "flags", "annotations")]
        assert counts == [1, 1, 1, 1]
        assert db.execute("SELECT batch_id FROM articles").fetchall() == [(None,)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_every_update_of_an_article_bumps_its_revision(tmp_path):
    """The API's article cache is keyed by `revision`: ORM flushes and Core UPDATEs must both bump it."""
    from sqlalchemy import select, update

    from service.storage.db import Database
    from service.storage.models import Article

    url = f"sqlite:///{tmp_path / 'claimdesk.db'}"
    upgrade(url, "0004")
    with sqlite3.connect(tmp_path / "claimdesk.db") as db:
        db.execute("INSERT INTO articles (id, body_hash, body, source_format, status, created_at, "
                   "updated_at) VALUES (1, 'h', 'Officials said 40.', 'text', 'flagged', '2026-01-01', "
                   "'2026-01-01')")
    upgrade(url)
    database = Database(url)
    try:
        with database.sessionmaker() as session:
            article = session.get(Article, 1)
            assert article.revision == 1, "rows stored before the revision column start at 1"
            article.review_status = "in-review"
            session.commit()
            session.execute(update(Article).where(Article.id == 1).values(status="queued"))
            session.commit()
            assert session.scalar(select(Article.revision).where(Article.id == 1)) == 3
    finally:
        database.dispose()


def test_claim_annotation_counts_are_filled_in_from_the_live_annotations(tmp_path):
    path = tmp_path / "claimdesk.db"
    upgrade(f"sqlite:///{path}", "0005")
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO articles (id, body_hash, body, source_format, status, created_at, "
                   "updated_at) VALUES (1, 'h', 'One. Two.', 'text', 'flagged', '2026-01-01', '2026-01-01')")
        for claim_id, start in ((1, 0), (2, 5)):
            db.execute("INSERT INTO claims (id, article_id, position, role, start, \"end\", text) "
                       f"VALUES ({claim_id}, 1, {claim_id - 1}, 'body', {start}, {start + 4}, 'x')")
        for deleted in ("NULL", "NULL", "'2026-01-02'"):
            db.execute("INSERT INTO annotations (claim_id, evidence, reviewer, created_at, updated_at, "
                       f"deleted_at) VALUES (1, '[]', 'amira', '2026-01-01', '2026-01-01', {deleted})")
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        counts = db.execute("SELECT id, annotation_count FROM claims ORDER BY id").fetchall()
        assert counts == [(1, 2), (2, 0)]


def test_any_update_of_an_article_moves_its_revision_on(tmp_path):
    """The API's article copies are keyed by the revision: a hand-written UPDATE must move it too (a
    trigger), and an UPDATE that moves it already (SQLAlchemy's) must move it by exactly one."""
    path = tmp_path / "claimdesk.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO articles (id, body_hash, body, source_format, status, created_at, "
                   "updated_at) VALUES (1, 'h', 'Officials said 40.', 'text', 'flagged', '2026-01-01', "
                   "'2026-01-01')")
        db.execute("UPDATE articles SET title = 'By hand' WHERE id = 1")
        assert db.execute("SELECT revision FROM articles").fetchone() == (2,)
        db.execute("UPDATE articles SET title = 'As SQLAlchemy does', revision = revision + 1 WHERE id = 1")
        assert db.execute("SELECT revision FROM articles").fetchone() == (3,)


def _history(db, entity: str, entity_id: int, claim_id: int | None) -> None:
    db.execute("INSERT INTO history (entity, entity_id, claim_id, action, username, at) "
               "VALUES (?, ?, ?, 'create', 'amira', '2026-01-01')", (entity, entity_id, claim_id))


def test_history_left_by_deleted_claims_goes_and_their_ids_are_not_handed_out_again(tmp_path):
    """0009: history is tied to its claim or article; rows whose subject is gone are deleted, and SQLite's
    id counters move past every id they mention (before it, the newest article's ids were reused)."""
    path = tmp_path / "claimdesk.db"
    upgrade(f"sqlite:///{path}", "0008")
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO articles (id, body_hash, body, source_format, status, created_at, "
                   "updated_at) VALUES (1, 'h', 'One.', 'text', 'flagged', '2026-01-01', '2026-01-01')")
        db.execute("INSERT INTO claims (id, article_id, position, role, start, \"end\", text) "
                   "VALUES (1, 1, 0, 'body', 0, 4, 'One.')")
        _history(db, "annotation", 3, 1)  # kept: claim 1 exists
        _history(db, "claim", 1, 1)
        _history(db, "article", 1, None)
        _history(db, "annotation", 8, 7)  # article 2 with claim 7 and annotation 8 was deleted
        _history(db, "claim", 7, 7)
        _history(db, "article", 2, None)
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=ON")
        query = "SELECT entity, entity_id, claim_id, article_id FROM history ORDER BY id"
        kept = db.execute(query).fetchall()
        assert kept == [("annotation", 3, 1, None), ("claim", 1, 1, None), ("article", 1, None, 1)]
        assert dict(db.execute("SELECT name, seq FROM sqlite_sequence WHERE name IN "
                               "('articles', 'claims', 'annotations')").fetchall()) \
            == {"articles": 2, "claims": 7, "annotations": 8}
        db.execute("INSERT INTO articles (body_hash, body, source_format, status, created_at, updated_at) "
                   "VALUES ('h2', 'Two.', 'text', 'queued', '2026-01-02', '2026-01-02')")
        assert db.execute("SELECT max(id) FROM articles").fetchone() == (3,)
        db.execute("UPDATE articles SET title = 'By hand' WHERE id = 1")
        assert db.execute("SELECT revision FROM articles WHERE id = 1").fetchone() == (2,), \
            "rebuilding articles kept its revision trigger"
        db.execute("DELETE FROM articles WHERE id = 1")
        assert db.execute("SELECT count(*) FROM history").fetchone() == (0,)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_every_table_is_made_with_autoincrement_on_sqlite(tmp_path):
    path = tmp_path / "claimdesk.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        tables = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                 "AND name NOT IN ('alembic_version', 'sqlite_sequence')").fetchall())
    assert "articles" in tables and "browser_sessions" in tables
    assert [name for name, sql in tables.items() if "AUTOINCREMENT" not in sql] == []


def test_0009_downgrades_and_upgrades_again_keeping_rows(tmp_path):
    path = tmp_path / "claimdesk.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO articles (id, body_hash, body, source_format, status, created_at, "
                   "updated_at) VALUES (1, 'h', 'One.', 'text', 'flagged', '2026-01-01', '2026-01-01')")
    command.downgrade(alembic_config(url), "0008")
    upgrade(url)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT id FROM articles").fetchall() == [(1,)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_postgresql_upgrades_to_the_models_with_browser_sessions_and_history_tied_to_its_subject():
    """0009 on PostgreSQL: the browser_sessions table (server-side logout) and history's foreign keys are
    made there too, and the result matches the models."""
    from sqlalchemy import create_engine, inspect

    from tests.integration.conftest import postgres_database

    with postgres_database() as url:
        upgrade(url, "0008")
        engine = create_engine(url)
        try:
            with engine.begin() as db:
                db.exec_driver_sql("INSERT INTO articles (id, body_hash, body, source_format, status, "
                                   "created_at, updated_at) VALUES (1, 'h', 'One.', 'text', 'flagged', "
                                   "now(), now())")
                db.exec_driver_sql("INSERT INTO history (entity, entity_id, claim_id, action, username, at) "
                                   "VALUES ('article', 1, NULL, 'create', 'amira', now()), "
                                   "('article', 2, NULL, 'create', 'amira', now())")
            upgrade(url)
            command.check(alembic_config(url))
            schema = inspect(engine)
            assert {column["name"] for column in schema.get_columns("browser_sessions")} \
                == {"id", "user_id", "secret_hash", "created_at", "last_seen_at"}
            assert [key["referred_table"] for key in schema.get_foreign_keys("browser_sessions")] == ["users"]
            with engine.begin() as db:
                assert db.exec_driver_sql("SELECT entity_id, article_id FROM history").fetchall() == [(1, 1)]
                db.exec_driver_sql("DELETE FROM articles WHERE id = 1")
                assert db.exec_driver_sql("SELECT count(*) FROM history").scalar() == 0
        finally:
            engine.dispose()
