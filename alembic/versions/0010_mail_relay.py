"""mail relay: the pacing, daily count and pauses every replica shares, and connection slots

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:40:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'mail_relay_slots',
        sa.Column('relay', sa.String(length=300), nullable=False),
        sa.Column('slot', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=True),
        sa.Column('expires_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('relay', 'slot', name=op.f('pk_mail_relay_slots')),
    )
    op.create_table(
        'mail_relay_state',
        sa.Column('relay', sa.String(length=300), nullable=False),
        sa.Column('next_send_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('day', sa.String(length=10), nullable=True),
        sa.Column('sent_on_day', sa.Integer(), nullable=False),
        sa.Column('paused_until', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('pause_reason', sa.String(length=40), nullable=True),
        sa.Column('pause_detail', sa.String(length=500), nullable=True),
        sa.Column('pauses', sa.Integer(), nullable=False),
        sa.Column('pause_streak', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('relay', name=op.f('pk_mail_relay_state')),
    )


def downgrade() -> None:
    op.drop_table('mail_relay_state')
    op.drop_table('mail_relay_slots')
