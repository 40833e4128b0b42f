"""Creating backup users (and their Backup service) from the checked Add New User form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.accounts.assignments import apply_backup
from bot.accounts.forms import BackupSettings, Field, NewUser
from bot.accounts.jobs import AccountJob, CardHeadline, post_cards
from bot.accounts.models import (
    BackupUser,
    ProvisioningState,
    UserStatus,
)
from bot.accounts.queries import email_taken, get_user
from bot.audit.service import record
from bot.customers.service import get_customer
from bot.errors import FieldErrors
from bot.integrations.backup.port import BackupPlatform, PlatformError
from bot.outbox.service import enqueue


@dataclass(frozen=True)
class CreatedUser:
    user: BackupUser
    # False when this request had already created the user (double-clicked submit).
    created: bool


def check_email_free(session: Session, new_user: NewUser, platform: BackupPlatform) -> None:
    customer = get_customer(session, new_user.customer_id)
    if email_taken(session, new_user.customer_id, new_user.email):
        raise FieldErrors({Field.EMAIL: f"A user with this email already exists for {customer.name}."})
    problem = platform.login_problem(new_user.email)
    if problem:  # the platform would refuse it: say so before asking it anything
        raise FieldErrors({Field.EMAIL: problem})
    try:
        available = platform.login_available(new_user.email)
    except PlatformError as error:
        raise FieldErrors(
            {Field.EMAIL: f"Could not check this sign-in name on the backup platform: {error}"}
        ) from None
    if not available:
        raise FieldErrors({Field.EMAIL: "This sign-in name is already taken on the backup platform."})


def create_user(
    session: Session,
    *,
    new_user: NewUser,
    backup: BackupSettings | None,
    actor: str,
    now: datetime,
    request_key: str,
    notify_channels: Sequence[str],
    platform: BackupPlatform,
) -> CreatedUser:
    """Create the account (and its Backup assignment) and queue provisioning and confirmations."""
    existing = session.scalar(select(BackupUser).where(BackupUser.request_key == request_key))
    if existing is not None:
        return CreatedUser(user=get_user(session, existing.id), created=False)
    check_email_free(session, new_user, platform)
    user = BackupUser(
        customer_id=new_user.customer_id,
        first_name=new_user.first_name,
        last_name=new_user.last_name,
        email=new_user.email,
        email_key=new_user.email.lower(),
        notification_email=new_user.notification_email,
        role=new_user.role,
        address=new_user.address,
        phone=new_user.phone,
        status=UserStatus.PENDING_ACTIVATION,
        provisioning=ProvisioningState.PENDING,
        created_by=actor,
        created_at=now,
        request_key=request_key,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        # A concurrent submit of the same modal, or of the same e-mail, won the race.
        existing = session.scalar(select(BackupUser).where(BackupUser.request_key == request_key))
        if existing is not None:
            return CreatedUser(user=get_user(session, existing.id), created=False)
        customer = get_customer(session, new_user.customer_id)
        raise FieldErrors(
            {Field.EMAIL: f"A user with this email already exists for {customer.name}."}
        ) from None
    if backup is not None:
        apply_backup(session, user, backup, actor=actor, now=now)
    record(
        session,
        actor=actor,
        action="user.created",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"role": user.role.value, "backup": backup is not None, "user_id": user.id},
    )
    enqueue(
        session,
        kind=AccountJob.PROVISION,
        payload={"user_id": user.id},
        now=now,
        dedupe_key=f"provision:{user.id}",
    )
    post_cards(
        session,
        user.id,
        channels=notify_channels,
        headline=CardHeadline.CREATED,
        actor=actor,
        now=now,
        change_key="created",
    )
    return CreatedUser(user=get_user(session, user.id), created=True)
