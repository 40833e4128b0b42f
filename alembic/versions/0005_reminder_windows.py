"""reminder windows: reminders record their window, so the reminder job anti-joins what was reminded

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 02:30:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = 'ix_reminders_kind_subject_id_window_at'


def _window(key: str) -> datetime:
    """The window written into the key, e.g. "invitation_expiring:42:2026-03-30T08:00:00+00:00"."""
    window = datetime.fromisoformat(key.split(':', 2)[2])
    return window if window.tzinfo else window.replace(tzinfo=UTC)


def upgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_at', bot.db.UTCDateTime(timezone=True), nullable=True))
    reminders = sa.table(
        'reminders',
        sa.column('id', sa.Integer()),
        sa.column('key', sa.String()),
        sa.column('window_at', bot.db.UTCDateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(reminders.c.id, reminders.c.key)).all()
    for reminder_id, key in rows:
        connection.execute(
            reminders.update().where(reminders.c.id == reminder_id).values(window_at=_window(key))
        )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.alter_column('window_at', existing_type=bot.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.create_index(INDEX, ['kind', 'subject_id', 'window_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column('window_at')
