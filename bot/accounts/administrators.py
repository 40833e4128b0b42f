"""Creating an Administrator waits for approval (APPROVAL_ADMINISTRATORS, with APPROVALS_CHANNEL set).

The approval holds the Add New User request as it is (`AddNewUser`, one JSON document); once an
approver approves, `create_held_user` creates it with the requester as the actor, and the card
goes to the channel where the command was typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.orm import Session

from bot.accounts.forms import NewUser
from bot.accounts.users import CreatedUser, check_email_unused, create_user
from bot.approvals.models import ApprovalRequest
from bot.approvals.policy import ApprovalKind, needs_approval
from bot.approvals.service import request_approval
from bot.config import SLACK_CHANNEL_ID, SLACK_USER_ID, Settings
from bot.customers.models import Subscription
from bot.customers.service import CustomerSummary, get_customer


class AddNewUser(BaseModel):
    """A new user asked for: what the Backup settings step carries and an approval holds, as-is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    new_user: NewUser
    # The modal's: a double-clicked submit, a Slack retry, creates (or asks) once.
    request_key: str
    # The channel the command was typed in, where the card goes; a person's user id when the modal
    # came from a global shortcut (no channel): the card then goes to their direct messages.
    channel_id: str | None

    @field_validator("channel_id")
    @classmethod
    def _a_channel(cls, value: str | None) -> str | None:
        if value is not None and not (SLACK_CHANNEL_ID.match(value) or SLACK_USER_ID.match(value)):
            raise ValueError("not a Slack channel id")
        return value


def _details(session: Session, new_user: NewUser) -> list[tuple[str, str]]:
    """What the approver is shown of the new user."""
    details = [("Name", new_user.full_name), ("Email", new_user.email), ("Role", new_user.role.label)]
    if new_user.notification_email:
        details.append(("Notification email", new_user.notification_email))
    if new_user.phone:
        details.append(("Phone", new_user.phone))
    if new_user.address:
        details.append(("Address", new_user.address))
    backup = new_user.backup
    if backup is None:
        details.append(("Services", "None"))
    else:
        subscription = session.get(Subscription, backup.subscription_id)
        name = subscription.name if subscription is not None else f"#{backup.subscription_id}"
        details.append(("Backup", f"{name} · {backup.backup_role.label} · {backup.notification_level.label}"))
    return details


def create_or_hold(
    session: Session,
    settings: Settings,
    request: AddNewUser,
    *,
    actor: str,
    now: datetime,
    notify_channels: Sequence[str],
    customer: CustomerSummary | None = None,
) -> CreatedUser | ApprovalRequest:
    """`create_user`, unless the policy holds this user for approval: then the approval request
    (the same `request_key` again returns the first one). `customer`: as for create_user."""
    new_user = request.new_user
    if not needs_approval(settings, ApprovalKind.ADMINISTRATOR, role=new_user.role):
        return create_user(
            session,
            new_user=new_user,
            actor=actor,
            now=now,
            request_key=request.request_key,
            notify_channels=notify_channels,
            customer=customer,
        )
    check_email_unused(session, new_user)
    held_for = get_customer(session, new_user.customer_id)
    return request_approval(
        session,
        settings=settings,
        kind=ApprovalKind.ADMINISTRATOR,
        payload=request.model_dump(mode="json"),
        requester=actor,
        summary=f"Create Administrator {new_user.full_name} ({new_user.email}) for {held_for.name}",
        details=_details(session, new_user),
        customer_id=held_for.id,
        channel_id=request.channel_id,
        request_key=f"backup.add_user:{request.request_key}",
        now=now,
    )


def create_held_user(
    session: Session, request: ApprovalRequest, *, now: datetime, audit_channel: str | None
) -> str:
    """The executor: create the user as the requester asked, card to their channel. No remote
    call (this runs in the deciding transaction): the platform's own refusal, when provisioning
    makes the account, is shown on the card."""
    held = AddNewUser.model_validate(request.payload)
    created = create_user(
        session,
        new_user=held.new_user,
        actor=request.requester,
        now=now,
        request_key=held.request_key,
        notify_channels=[c for c in dict.fromkeys((held.channel_id, audit_channel)) if c],
    )
    return f"{created.full_name} was created."
