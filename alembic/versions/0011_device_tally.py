"""device tally: devices per person and people per device count, kept as devices are recorded,
so the licence total reads a few rows instead of counting every device

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'device_owners',
        sa.Column('owner_email', sa.String(length=320), nullable=False),
        sa.Column('devices', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('owner_email', name=op.f('pk_device_owners')),
    )
    op.create_table(
        'device_tally',
        sa.Column('devices', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('owners', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('devices', name=op.f('pk_device_tally')),
    )
    # The devices recorded so far.
    op.execute(
        'INSERT INTO device_owners (owner_email, devices) '
        'SELECT owner_email, count(*) FROM devices GROUP BY owner_email'
    )
    op.execute(
        'INSERT INTO device_tally (devices, owners) '
        'SELECT devices, count(*) FROM device_owners GROUP BY devices'
    )


def downgrade() -> None:
    op.drop_table('device_tally')
    op.drop_table('device_owners')
