"""Deleting a backup user: gone from the platform, kept in deskops' records as *Deleted*.
Deleting waits for approval when APPROVAL_DELETIONS says so (with APPROVALS_CHANNEL set), as
creating an Administrator does: the platform's delete cannot be undone.

The sign-in e-mail is freed for a new user of the customer (its uniqueness key gets the row's id),
while the record, its audit events and its cards keep the address for the audit trail. The
platform follows through the outbox (Acronis: disable, then delete).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from bot.accounts.actions import UserAction
from bot.accounts.activation import revoke_open_links
from bot.accounts.jobs import AccountJob, FollowUp, follow_up_in_thread, refresh_cards
from bot.accounts.models import BackupUser, UserStatus
from bot.accounts.queries import live_user
from bot.approvals.models import ApprovalRequest
from bot.approvals.policy import ApprovalKind, SentForApproval, needs_approval
from bot.approvals.service import request_approval
from bot.audit.service import record
from bot.config import Settings
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope
from bot.db import Database
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


class HeldDeletion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    user_id: int


def delete_user_or_request_approval(
    session: Session,
    *,
    settings: Settings,
    user_id: int,
    actor: str,
    now: datetime,
    scope: CustomerScope,
    request_key: str,
    channel_id: str | None,
) -> Deleted | ApprovalRequest:
    user = live_user(session, user_id, scope)
    if not needs_approval(settings, ApprovalKind.USER_DELETION):
        return delete_user(session, user_id=user_id, actor=actor, now=now, scope=scope)
    return request_approval(
        session,
        settings=settings,
        kind=ApprovalKind.USER_DELETION,
        payload=HeldDeletion(user_id=user.id).model_dump(mode="json"),
        requester=actor,
        summary=f"Delete {user.full_name} ({user.email}) at {user.customer.name}",
        details=[
            ("Name", user.full_name),
            ("Email", user.email),
            ("Customer", user.customer.name),
            ("Role", user.role.label),
            ("Status", user.status.label),
        ],
        customer_id=user.customer_id,
        channel_id=channel_id,
        request_key=f"backup.delete_user:{request_key}",
        now=now,
    )


def delete_held_user(session: Session, request: ApprovalRequest, *, now: datetime) -> str:
    """The executor: delete as the requester asked (the approver may see every customer)."""
    held = HeldDeletion.model_validate(request.payload)
    deleted = delete_user(
        session, user_id=held.user_id, actor=request.requester, now=now, scope=EVERY_CUSTOMER
    )
    return f"{deleted.full_name} ({deleted.email}) was deleted."


@dataclass(frozen=True)
class DeleteUser:
    """The Delete User modal, submitted."""

    action: UserAction
    # What the person typed to confirm: the user's sign-in e-mail.
    typed_email: str | None
    # The modal's: a double-clicked Delete deletes, or asks for approval, once.
    request_key: str
    channel_id: str | None


def delete_or_request_approval(
    db: Database, settings: Settings, command: DeleteUser, *, now: datetime
) -> Deleted | SentForApproval:
    """Delete the user, or hold the deletion for approval when the policy says so, in one
    transaction, after the typed confirmation matches."""
    action = command.action
    with db.transaction() as session:
        check_confirmation(live_user(session, action.user_id, action.scope), command.typed_email)
        result = delete_user_or_request_approval(
            session,
            settings=settings,
            user_id=action.user_id,
            actor=action.actor,
            now=now,
            scope=action.scope,
            request_key=command.request_key,
            channel_id=command.channel_id,
        )
        if isinstance(result, ApprovalRequest):
            return SentForApproval(result.summary)
        return result
