"""replaced invitation links: a link Resend replaced answers 410 (replaced), not 404 (unknown)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 03:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'replaced_invitation_links',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=False),
        sa.Column('replaced_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['invitation_id'],
            ['invitations.id'],
            name=op.f('fk_replaced_invitation_links_invitation_id_invitations'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_replaced_invitation_links')),
    )
    with op.batch_alter_table('replaced_invitation_links', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_replaced_invitation_links_invitation_id'), ['invitation_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('replaced_invitation_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replaced_invitation_links_invitation_id'))
    op.drop_table('replaced_invitation_links')
