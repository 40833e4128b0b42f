"""user imports: a checked CSV file's rows, kept for Import and created one by one

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:57:33.231027
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    op.create_table('user_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', bot.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.String(length=40), nullable=True),
    sa.Column('finished_at', bot.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('request_key', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_user_imports_customer_id_customers'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_imports')),
    sa.UniqueConstraint('request_key', name=op.f('uq_user_imports_request_key'))
    )
    with op.batch_alter_table('user_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_imports_customer_id'), ['customer_id'], unique=False)

    op.create_table('user_import_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'created', 'waiting_for_approval', 'failed', name='import_row_state', native_enum=False, length=40), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['user_imports.id'], name=op.f('fk_user_import_rows_import_id_user_imports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['backup_users.id'], name=op.f('fk_user_import_rows_user_id_backup_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_import_rows')),
    sa.UniqueConstraint('import_id', 'row_number', name=op.f('uq_user_import_rows_import_id_row_number'))
    )
    with op.batch_alter_table('user_import_rows', schema=None) as batch_op:
        batch_op.create_index('ix_user_import_rows_import_id_state', ['import_id', 'state'], unique=False)

    # ### end Alembic commands ###

def downgrade() -> None:
    with op.batch_alter_table('user_import_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_user_import_rows_import_id_state')

    op.drop_table('user_import_rows')
    with op.batch_alter_table('user_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_imports_customer_id'))

    op.drop_table('user_imports')
