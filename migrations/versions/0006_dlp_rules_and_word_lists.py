"""DLP rules and word lists; the shipped default rules for existing organisations

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
import uuid
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import zegel.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# A copy of zegel.dlp.rules.DEFAULT_RULES as it was when this migration was written.
DEFAULTS = (
    ("BSN", "bsn", "high", "warning", "body,attachment_name,attachment"),
    ("Gevoelig in onderwerp", "sensitive", "low", "warning", "subject"),
    ("Medische termen", "list:medical", "low", "info", "body,attachment"),
    ("Persoonsgegevens", "list:personal", "low", "info", "body,attachment"),
    ("IBAN", "iban", "high", "info", "body,attachment"),
)


def upgrade() -> None:
    rules = op.create_table(
        'dlp_rules',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('organisation_id', sa.String(length=36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('detector', sa.String(length=120), nullable=False),
        sa.Column('pattern', sa.Text(), nullable=True),
        sa.Column('min_confidence', sa.String(length=10), nullable=False),
        sa.Column('locations', sa.String(length=100), nullable=False),
        sa.Column('level', sa.String(length=10), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', zegel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_dlp_rules_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dlp_rules')),
    )
    op.create_index(op.f('ix_dlp_rules_organisation_id'), 'dlp_rules', ['organisation_id'], unique=False)
    op.create_table(
        'dlp_word_lists',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('organisation_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('terms', sa.Text(), nullable=False),
        sa.Column('updated_at', zegel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_dlp_word_lists_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dlp_word_lists')),
        sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_dlp_word_lists_organisation_id')),
    )
    op.create_index(op.f('ix_dlp_word_lists_organisation_id'), 'dlp_word_lists', ['organisation_id'], unique=False)
    now = datetime.now(timezone.utc)
    organisations = op.get_bind().execute(sa.text("SELECT id FROM organisations")).scalars().all()
    op.bulk_insert(rules, [
        {"id": str(uuid.uuid4()), "organisation_id": org, "position": i, "name": name, "detector": detector,
         "pattern": None, "min_confidence": confidence, "locations": locations, "level": level, "enabled": True,
         "created_at": now}
        for org in organisations for i, (name, detector, confidence, level, locations) in enumerate(DEFAULTS)])


def downgrade() -> None:
    op.drop_index(op.f('ix_dlp_word_lists_organisation_id'), table_name='dlp_word_lists')
    op.drop_table('dlp_word_lists')
    op.drop_index(op.f('ix_dlp_rules_organisation_id'), table_name='dlp_rules')
    op.drop_table('dlp_rules')
