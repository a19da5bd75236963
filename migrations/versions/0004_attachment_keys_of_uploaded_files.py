"""attachment keys of uploaded files

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa
import zegel.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kek_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('wrapped_dek', sa.LargeBinary(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('wrapped_dek')
        batch_op.drop_column('kek_id')

