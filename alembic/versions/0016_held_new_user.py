"""held new user: Administrator approvals hold the one new-user record

An approval of a new Administrator holds the Add New User record as-is: `{"new_user": {…, "backup":
{…} | null}, "request_key", "channel_id"}`. Requests written before held the same values flat (the
Backup settings as four top-level keys); they are rewritten here, so one still waiting for an
approver is approved as it was asked.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:10:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = "administrator"
USER_KEYS = (
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "role",
    "address",
    "phone",
    "notification_email",
)
BACKUP_KEYS = ("subscription_id", "notification_level", "backup_role", "quotas")

requests = sa.table(
    "approval_requests",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("payload", sa.JSON),
)


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    backup = None
    if all(flat.get(key) is not None for key in BACKUP_KEYS[:3]):
        backup = {key: flat.get(key) for key in BACKUP_KEYS}
        backup["quotas"] = backup["quotas"] or {}
    new_user = {key: flat.get(key) for key in USER_KEYS} | {"backup": backup}
    return {"new_user": new_user, "request_key": flat["request_key"], "channel_id": flat.get("channel_id")}


def flattened(held: dict[str, Any]) -> dict[str, Any]:
    new_user = dict(held["new_user"])
    backup = new_user.pop("backup", None) or {}
    return new_user | backup | {"request_key": held["request_key"], "channel_id": held.get("channel_id")}


def _rewrite(is_old: bool, rewrite: Any) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(requests.c.id, requests.c.payload).where(requests.c.kind == KIND))
    for id_, stored in rows.all():
        payload = json.loads(stored) if isinstance(stored, str) else stored
        if ("new_user" not in payload) == is_old:
            connection.execute(requests.update().where(requests.c.id == id_).values(payload=rewrite(payload)))


def upgrade() -> None:
    _rewrite(True, nested)


def downgrade() -> None:
    _rewrite(False, flattened)
