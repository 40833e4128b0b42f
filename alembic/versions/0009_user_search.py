"""user search: backup_users.search_text (names and e-mails folded) for /backup find

On PostgreSQL a trigram index (pg_trgm) answers "contains" searches without reading every user;
where the extension cannot be created (no privilege) the column works unindexed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000
"""
from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _fold(text: str) -> str:
    # The same folding as bot/folding.py at the time of writing: a migration never imports the app.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def upgrade() -> None:
    with op.batch_alter_table('backup_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=1400), nullable=False, server_default=''))
    connection = op.get_bind()
    users = sa.table(
        'backup_users',
        sa.column('id', sa.Integer),
        sa.column('first_name', sa.String),
        sa.column('last_name', sa.String),
        sa.column('email', sa.String),
        sa.column('notification_email', sa.String),
        sa.column('search_text', sa.String),
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(users.c.id, users.c.first_name, users.c.last_name, users.c.email, users.c.notification_email)
            .where(users.c.id > last)
            .order_by(users.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            text = " ".join(part for part in (row.first_name, row.last_name, row.email, row.notification_email) if part)
            connection.execute(sa.update(users).where(users.c.id == row.id).values(search_text=_fold(text)))
        last = rows[-1].id
    if connection.dialect.name == 'postgresql':
        savepoint = connection.begin_nested()
        try:
            connection.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
        except sa.exc.DBAPIError:
            savepoint.rollback()
            return
        savepoint.commit()
        op.create_index(
            'ix_backup_users_search_text_trgm',
            'backup_users',
            ['search_text'],
            postgresql_using='gin',
            postgresql_ops={'search_text': 'gin_trgm_ops'},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_backup_users_search_text_trgm')
    with op.batch_alter_table('backup_users', schema=None) as batch_op:
        batch_op.drop_column('search_text')
