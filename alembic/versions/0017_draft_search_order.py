"""draft search order: invite_drafts.search_at, when the kept search was pressed

The Send Enrollment Invitation modal shows a search's results before they are kept with the
draft; the write that keeps them checks this so that a search finishing after a newer one never
replaces the newer results.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invite_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invite_drafts", schema=None) as batch_op:
        batch_op.drop_column("search_at")
