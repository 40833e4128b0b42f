"""customer search name: customers.search_name (the name folded) for the type-ahead Customer field

An options request must answer well inside Slack's 3 s with thousands of customers: the database
picks the names holding what was typed, already folded, instead of every request folding every
name in Python.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:20:00.000000
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fold(text: str) -> str:
    # The same folding as bot/folding.py at the time of writing: a migration never imports the app.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_name", sa.String(length=200), nullable=False, server_default="")
        )
    connection = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("search_name", sa.String),
    )
    for customer_id, name in connection.execute(sa.select(customers.c.id, customers.c.name)).all():
        connection.execute(
            sa.update(customers).where(customers.c.id == customer_id).values(search_name=_fold(name))
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("search_name")
