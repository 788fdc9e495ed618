"""PostgreSQL: NOTIFY claimdesk_auth when a token's scopes, expiry or revocation, or a user's name, role or
disabling changes, or either is deleted; web processes empty their token caches on it

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Per statement, with an empty payload: PostgreSQL folds a transaction's identical notifications into one.
FUNCTION = """
CREATE FUNCTION claimdesk_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('claimdesk_auth', '');
    RETURN NULL;
END
$$
"""
TRIGGERS = {
    "api_tokens": "UPDATE OF user_id, prefix, secret_hash, scopes, expires_at, revoked_at OR DELETE OR TRUNCATE",
    "users": "UPDATE OF username, role, disabled OR DELETE OR TRUNCATE",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: no other process to tell; web processes keep no token cache there
    op.execute(FUNCTION)
    for table, events in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {table}_auth_changed AFTER {events} ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION claimdesk_auth_changed()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TRIGGERS:
        op.execute(f"DROP TRIGGER {table}_auth_changed ON {table}")
    op.execute("DROP FUNCTION claimdesk_auth_changed()")
