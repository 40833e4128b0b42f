"""one invitation, one device: devices per person on drafts and batches

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:45:00.000000

Invitations already sent keep working under the new rules:
- an invitation sent for one platform (every invitation before this version was: `Both` sent two
  e-mails, an iOS one and an Android one) keeps its link, its expiry and its platform; its
  `platform` column now holds the platform choice, whose `ios` and `android` values are the
  same words, so no row changes;
- a batch gets the devices per person it amounted to: its invitations divided by its people
  (a `Both` batch of before is 2 devices per person, one iOS and one Android);
- a link that has already enrolled a device is spent from now on: the devices it enrolled stay
  enrolled and counted, but a further device is refused (410) like any spent link, however
  long ago the invitation expired; **Invite another device** sends that person a new one.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invitation_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('devices_per_person', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('invite_drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('devices_per_person', sa.Integer(), nullable=False, server_default='1'))
    op.execute(
        "UPDATE invitation_batches SET devices_per_person = invitations / invitees "
        "WHERE invitees > 0 AND invitations >= invitees"
    )


def downgrade() -> None:
    with op.batch_alter_table('invite_drafts', schema=None) as batch_op:
        batch_op.drop_column('devices_per_person')
    with op.batch_alter_table('invitation_batches', schema=None) as batch_op:
        batch_op.drop_column('devices_per_person')
