"""performance: indexes for the daily digest and the reminder job over years of invitations and users

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 00:45:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ('ix_invitations_sent_at', 'invitations', 'sent_at'),
    ('ix_invitations_opened_at', 'invitations', 'opened_at'),
    ('ix_invitations_enrolled_at', 'invitations', 'enrolled_at'),
    ('ix_backup_users_created_at', 'backup_users', 'created_at'),
    ('ix_backup_users_activated_at', 'backup_users', 'activated_at'),
    ('ix_backup_users_provisioning', 'backup_users', 'provisioning'),
]
# For the reminder job: when each user pending activation was last sent an activation e-mail.
COMPOSITE = ('ix_activation_tokens_user_id_created_at', 'activation_tokens', ['user_id', 'created_at'])


def upgrade() -> None:
    for name, table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(name), [column], unique=False)
    name, table, columns = COMPOSITE
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    name, table, _columns = COMPOSITE
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(name)
    for name, table, _column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(name))
