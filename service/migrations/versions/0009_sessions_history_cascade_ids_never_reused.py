"""browser sessions kept server-side (logout revokes one); history tied to its claim or article (deleted
with it); on SQLite, AUTOINCREMENT on every table, so a deleted row's id is never handed out again

History rows whose claim or article no longer exists are deleted: they describe something no one can
read any more, and they are exactly what a new claim with the old id was shown (the bug this fixes).
Before they go, SQLite's id counters are moved past every id the history mentions, so those ids are not
reused either. PostgreSQL's sequences never went back, so there only the history changes.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLES = ("batches", "articles", "claims", "flags", "annotations", "users", "api_tokens", "history",
          "webhooks", "webhook_deliveries")
# Dropping `articles` to rebuild it drops its trigger (migration 0008); it is made again afterwards.
SQLITE_REVISION_TRIGGER = """
CREATE TRIGGER articles_bump_revision AFTER UPDATE ON articles
FOR EACH ROW WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE articles SET revision = OLD.revision + 1 WHERE id = NEW.id;
END
"""
# What the history mentions, per table whose ids it holds.
MENTIONED = {
    "articles": "SELECT max(entity_id) FROM history WHERE entity = 'article'",
    "claims": "SELECT max(coalesce(claim_id, 0)) FROM history",
    "annotations": "SELECT max(entity_id) FROM history WHERE entity = 'annotation'",
}
ORPHANS = """
DELETE FROM history
WHERE (claim_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM claims WHERE claims.id = history.claim_id))
   OR (entity = 'article' AND NOT EXISTS (SELECT 1 FROM articles WHERE articles.id = history.entity_id))
"""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _rebuild(table: str, autoincrement: bool) -> None:
    """SQLite: copy the table into one made with (or without) AUTOINCREMENT; rows, ids, indexes kept."""
    with op.batch_alter_table(table, recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def _seed_sqlite_counters(mentioned: dict[str, int]) -> None:
    bind = op.get_bind()
    for table, highest in mentioned.items():
        seq = bind.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).first()
        if seq is None:
            bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, highest))
        elif seq[0] < highest:
            bind.exec_driver_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (highest, table))


def upgrade() -> None:
    bind = op.get_bind()
    mentioned = {table: bind.exec_driver_sql(query).scalar() or 0 for table, query in MENTIONED.items()}
    op.execute(ORPHANS)

    op.create_table('browser_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_browser_sessions_user_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('secret_hash'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_browser_sessions_user_id'), ['user_id'], unique=False)

    sqlite = _sqlite()
    with op.batch_alter_table('history', schema=None, recreate="always" if sqlite else "auto",
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('article_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_history_article', ['article_id'], unique=False)
        batch_op.create_foreign_key('fk_history_claim_id', 'claims', ['claim_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key('fk_history_article_id', 'articles', ['article_id'], ['id'],
                                    ondelete='CASCADE')
    op.execute("UPDATE history SET article_id = entity_id WHERE entity = 'article'")

    if sqlite:
        for table in TABLES:
            if table != "history":
                _rebuild(table, autoincrement=True)
        op.execute(SQLITE_REVISION_TRIGGER)
        _seed_sqlite_counters(mentioned)


def downgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_constraint('fk_history_article_id', type_='foreignkey')
        batch_op.drop_constraint('fk_history_claim_id', type_='foreignkey')
        batch_op.drop_index('ix_history_article')
        batch_op.drop_column('article_id')

    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_browser_sessions_user_id'))
    op.drop_table('browser_sessions')

    if _sqlite():
        for table in TABLES:
            _rebuild(table, autoincrement=False)
        op.execute(SQLITE_REVISION_TRIGGER)
