"""articles.revision moves on with any UPDATE, one written by hand too: SQLAlchemy's onupdate covers only
the UPDATEs it issues, and the web processes' article copies are keyed by the revision

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# An UPDATE that already moves the revision on (every one SQLAlchemy issues) is left alone.
POSTGRESQL = ["""
CREATE FUNCTION claimdesk_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.revision IS NOT DISTINCT FROM OLD.revision THEN
        NEW.revision := OLD.revision + 1;
    END IF;
    RETURN NEW;
END
$$
""", """
CREATE TRIGGER articles_bump_revision BEFORE UPDATE ON articles
FOR EACH ROW EXECUTE FUNCTION claimdesk_bump_revision()
"""]
# SQLite has no BEFORE trigger that can change the row; its triggers do not fire themselves again.
SQLITE = ["""
CREATE TRIGGER articles_bump_revision AFTER UPDATE ON articles
FOR EACH ROW WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE articles SET revision = OLD.revision + 1 WHERE id = NEW.id;
END
"""]


def upgrade() -> None:
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER articles_bump_revision" +
               (" ON articles" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION claimdesk_bump_revision()")
