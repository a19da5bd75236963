"""blob deletion queue; attachments whose data was removed after expiry

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa
import zegel.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'blob_deletions',
        sa.Column('blob_key', sa.String(length=200), nullable=False),
        sa.Column('created_at', zegel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('blob_key', name=op.f('pk_blob_deletions')),
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', zegel.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_attachments_removed_at'), ['removed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_removed_at'))
        batch_op.drop_column('removed_at')
    op.drop_table('blob_deletions')
