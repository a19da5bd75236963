"""The per-user setting to keep a decrypted copy of sent secure messages in Outlook

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('save_sent_unencrypted', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('save_sent_unencrypted')
