"""PostgreSQL: NOTIFY when rows web processes keep copies of change. claimdesk_auth: a token's scopes,
expiry or revocation, a user's name, role or disabling, or a deletion of either (the token cache).
claimdesk_articles: any UPDATE or DELETE of an article, or a change of a claim's annotation count (the
article cache). See service/storage/changes.py

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The channel is the trigger's argument. Per statement, with an empty payload: PostgreSQL folds a
# transaction's identical notifications into one.
FUNCTION = """
CREATE FUNCTION claimdesk_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$$
"""
TRIGGERS = {  # table: (events, channel)
    "api_tokens": ("UPDATE OF user_id, prefix, secret_hash, scopes, expires_at, revoked_at OR DELETE OR TRUNCATE",
                   "claimdesk_auth"),
    "users": ("UPDATE OF username, role, disabled OR DELETE OR TRUNCATE", "claimdesk_auth"),
    # Claims and flags change only together with their article's row (which bumps its revision); the
    # annotation counts are the one part of an article's representation that changes without it.
    "articles": ("UPDATE OR DELETE OR TRUNCATE", "claimdesk_articles"),
    "claims": ("UPDATE OF annotation_count", "claimdesk_articles"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: no other process to tell; web processes keep no copies they could not check
    op.execute(FUNCTION)
    for table, (events, channel) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {table}_notify AFTER {events} ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION claimdesk_notify('{channel}')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TRIGGERS:
        op.execute(f"DROP TRIGGER {table}_notify ON {table}")
    op.execute("DROP FUNCTION claimdesk_notify()")
