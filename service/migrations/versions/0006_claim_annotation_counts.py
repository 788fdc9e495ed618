"""claims.annotation_count: live annotations per claim, kept by the writes, so reading an article's
counts costs one row per claim rather than a count over every annotation

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('annotation_count', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE claims SET annotation_count = (SELECT count(*) FROM annotations "
               "WHERE annotations.claim_id = claims.id AND annotations.deleted_at IS NULL)")


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('annotation_count')
