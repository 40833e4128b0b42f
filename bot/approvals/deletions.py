"""Deleting a backup user waits for approval (APPROVAL_DELETIONS, with APPROVALS_CHANNEL set), as
creating an Administrator does: the platform's delete cannot be undone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from bot.accounts.actions import UserAction
from bot.accounts.deletion import Deleted, check_confirmation, delete_user
from bot.accounts.queries import live_user
from bot.approvals.models import ApprovalRequest
from bot.approvals.policy import ApprovalKind, SentForApproval, needs_approval
from bot.approvals.service import request_approval
from bot.config import Settings
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope
from bot.db import Database


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
