"""Creating an Administrator waits for approval (APPROVAL_ADMINISTRATORS, with APPROVALS_CHANNEL set).

`/backup add` calls `create_user_or_request_approval`: with approvals on and Role Administrator,
the checked form is held as an approval request; once an approver approves, `create_user` runs
with the requester as the actor and the card goes to the channel where the command was typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from bot.accounts.forms import BackupSettings, NewUser
from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.accounts.users import CreatedUser, check_email_free, create_user
from bot.approvals.models import ApprovalRequest
from bot.approvals.policy import ApprovalKind, needs_approval
from bot.approvals.service import request_approval
from bot.config import Settings
from bot.customers.models import Subscription
from bot.customers.service import get_customer
from bot.integrations.backup.port import BackupPlatform, Quotas


class HeldUser(BaseModel):
    """The checked Add New User form (and Backup settings), kept in the request's payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: int
    first_name: str
    last_name: str
    email: str
    role: Role
    address: str | None
    phone: str | None
    notification_email: str | None
    subscription_id: int | None = None
    notification_level: NotificationLevel | None = None
    backup_role: BackupRole | None = None
    quotas: dict[str, int | None] | None = None
    # The modal's idempotency key and the channel the command was typed in.
    request_key: str
    channel_id: str | None

    def new_user(self) -> NewUser:
        return NewUser(
            customer_id=self.customer_id,
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            role=self.role,
            address=self.address,
            phone=self.phone,
            notification_email=self.notification_email,
        )

    def backup(self) -> BackupSettings | None:
        if self.subscription_id is None or self.notification_level is None or self.backup_role is None:
            return None
        return BackupSettings(
            subscription_id=self.subscription_id,
            notification_level=self.notification_level,
            backup_role=self.backup_role,
            quotas=Quotas(**(self.quotas or {})),
        )


def _held(
    new_user: NewUser, backup: BackupSettings | None, *, request_key: str, channel_id: str | None
) -> HeldUser:
    extra = {}
    if backup is not None:
        extra = {
            "subscription_id": backup.subscription_id,
            "notification_level": backup.notification_level,
            "backup_role": backup.backup_role,
            "quotas": asdict(backup.quotas),
        }
    return HeldUser(**vars(new_user), request_key=request_key, channel_id=channel_id, **extra)


def _details(session: Session, held: HeldUser) -> list[tuple[str, str]]:
    details = [
        ("Name", f"{held.first_name} {held.last_name}"),
        ("Email", held.email),
        ("Role", held.role.label),
    ]
    if held.notification_email:
        details.append(("Notification email", held.notification_email))
    if held.phone:
        details.append(("Phone", held.phone))
    if held.address:
        details.append(("Address", held.address))
    backup = held.backup()
    if backup is None:
        details.append(("Services", "None"))
    else:
        subscription = session.get(Subscription, backup.subscription_id)
        name = subscription.name if subscription is not None else f"#{backup.subscription_id}"
        details.append(("Backup", f"{name} · {backup.backup_role.label} · {backup.notification_level.label}"))
    return details


def create_user_or_request_approval(
    session: Session,
    *,
    settings: Settings,
    new_user: NewUser,
    backup: BackupSettings | None,
    actor: str,
    now: datetime,
    request_key: str,
    channel_id: str | None,
    notify_channels: Sequence[str],
    platform: BackupPlatform,
) -> CreatedUser | ApprovalRequest:
    """`create_user`, unless the policy holds this user for approval: then the approval request."""
    if not needs_approval(settings, ApprovalKind.ADMINISTRATOR, role=new_user.role):
        return create_user(
            session,
            new_user=new_user,
            backup=backup,
            actor=actor,
            now=now,
            request_key=request_key,
            notify_channels=notify_channels,
            platform=platform,
        )
    check_email_free(session, new_user, platform)
    held = _held(new_user, backup, request_key=request_key, channel_id=channel_id)
    customer = get_customer(session, new_user.customer_id)
    return request_approval(
        session,
        settings=settings,
        kind=ApprovalKind.ADMINISTRATOR,
        payload=held.model_dump(mode="json"),
        requester=actor,
        summary=f"Create Administrator {held.first_name} {held.last_name} ({held.email}) for {customer.name}",
        details=_details(session, held),
        customer_id=customer.id,
        channel_id=channel_id,
        request_key=f"backup.add_user:{request_key}",
        now=now,
    )


def create_held_user(
    session: Session,
    request: ApprovalRequest,
    *,
    now: datetime,
    platform: BackupPlatform,
    audit_channel: str | None,
) -> str:
    """The executor: create the user as the requester asked, card to their channel."""
    held = HeldUser.model_validate(request.payload)
    created = create_user(
        session,
        new_user=held.new_user(),
        backup=held.backup(),
        actor=request.requester,
        now=now,
        request_key=held.request_key,
        notify_channels=[c for c in dict.fromkeys((held.channel_id, audit_channel)) if c],
        platform=platform,
    )
    return f"{created.user.full_name} was created."
