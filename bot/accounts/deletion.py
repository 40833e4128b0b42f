"""Deleting a backup user: gone from the platform, kept in deskops' records as *Deleted*.

The sign-in e-mail is freed for a new user of the customer (its uniqueness key gets the row's id),
while the record, its audit events and its cards keep the address for the audit trail. The
platform follows through the outbox (Acronis: disable, then delete).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.accounts.activation import revoke_open_links
from bot.accounts.jobs import AccountJob, FollowUp, follow_up_in_thread, refresh_cards
from bot.accounts.models import BackupUser, UserStatus
from bot.accounts.queries import live_user
from bot.audit.service import record
from bot.customers.scope import CustomerScope
from bot.errors import FieldErrors
from bot.outbox.service import enqueue

CONFIRM_FIELD = "confirm_email"


@dataclass(frozen=True)
class Deleted:
    full_name: str
    email: str
    customer: str


def check_confirmation(user: BackupUser, typed: str | None) -> None:
    """The helpdesk types the user's sign-in e-mail: a deletion is not undone by a slip."""
    if (typed or "").strip().lower() != user.email.lower():
        raise FieldErrors({CONFIRM_FIELD: f"Type {user.email} exactly to delete this user."})


def delete_user(
    session: Session, *, user_id: int, actor: str, now: datetime, scope: CustomerScope
) -> Deleted:
    user = live_user(session, user_id, scope)
    user.status = UserStatus.DELETED
    user.email_key = f"{user.email_key}#deleted-{user.id}"[:320]
    revoke_open_links(session, user.id, now=now)
    event = record(
        session,
        actor=actor,
        action="user.deleted",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={
            "user_id": user.id,
            "name": user.full_name,
            "customer": user.customer.name,
            "role": user.role.value,
            "provider_id": user.provider_id,
            "activated_at": user.activated_at.isoformat() if user.activated_at else None,
        },
    )
    session.flush()
    enqueue(
        session,
        kind=AccountJob.DELETE_ACCOUNT,
        payload={"user_id": user.id},
        now=now,
        dedupe_key=f"delete-account:{user.id}",
    )
    follow_up_in_thread(
        session, user.id, change=FollowUp.DELETED, actor=actor, now=now, change_key=f"deleted:{event.id}"
    )
    refresh_cards(session, user.id, now=now)
    return Deleted(full_name=user.full_name, email=user.email, customer=user.customer.name)
