"""Activation read back from the backup platform: an account activated there turns Active here.

With a platform that keeps its own accounts (Acronis), the user activates by following the
platform's own e-mail, which deskops never sees; the account's `activated` flag says so. Read
first (one short read transaction, then the platform call outside any transaction), then one
write transaction that turns each such user Active once, audits it and refreshes the card.
Used by `/backup users`, before reminders, and by the periodic `activation_sync` job.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.jobs import refresh_cards
from bot.accounts.models import BackupUser, UserStatus
from bot.audit.service import record
from bot.clock import Clock
from bot.db import Database
from bot.integrations.backup.port import BackupPlatform, PlatformAccount, PlatformError

log = logging.getLogger(__name__)
READ_BACK_ACTOR = "backup-platform"


@dataclass(frozen=True)
class PendingOnPlatform:
    """Users pending activation that have an account on the platform: provider id → user id."""

    users: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadBack:
    checked: int = 0
    activated: list[int] = field(default_factory=list)
    # Accounts the platform no longer has (deleted in its portal).
    missing: int = 0

    def summary(self) -> str:
        return f"{self.checked} pending checked, {len(self.activated)} activated, {self.missing} gone"


def pending_on_platform(
    session: Session, *, customer_id: int | None = None, user_ids: Collection[int] | None = None
) -> PendingOnPlatform:
    query = select(BackupUser.provider_id, BackupUser.id).where(
        BackupUser.status == UserStatus.PENDING_ACTIVATION, BackupUser.provider_id.is_not(None)
    )
    if customer_id is not None:
        query = query.where(BackupUser.customer_id == customer_id)
    if user_ids is not None:
        query = query.where(BackupUser.id.in_(list(user_ids)))
    return PendingOnPlatform(
        {str(provider_id): int(user_id) for provider_id, user_id in session.execute(query)}
    )


def apply_read_back(
    session: Session, pending: PendingOnPlatform, accounts: dict[str, PlatformAccount], *, now: datetime
) -> ReadBack:
    """Turn the users whose accounts are activated Active (once, whoever runs this concurrently)."""
    activated: list[int] = []
    for provider_id, user_id in pending.users.items():
        account = accounts.get(provider_id)
        if account is None or not account.activated:
            continue
        user = session.get(BackupUser, user_id, with_for_update=True)
        if (
            user is None
            or user.status is not UserStatus.PENDING_ACTIVATION
            or user.provider_id != provider_id
        ):
            continue  # activated, deleted or relinked meanwhile
        user.status = UserStatus.ACTIVE
        user.activated_at = now
        record(
            session,
            actor=READ_BACK_ACTOR,
            action="user.activated",
            target=user.email,
            now=now,
            customer_id=user.customer_id,
            details={"user_id": user.id, "read_back": True, "provider_id": provider_id},
        )
        refresh_cards(session, user.id, now=now)
        activated.append(user.id)
    missing = sum(1 for provider_id in pending.users if provider_id not in accounts)
    return ReadBack(checked=len(pending.users), activated=activated, missing=missing)


def read_back_activations(
    db: Database,
    platform: BackupPlatform,
    clock: Clock,
    *,
    customer_id: int | None = None,
    user_ids: Collection[int] | None = None,
) -> ReadBack:
    """Read the pending users' accounts from the platform and turn the activated ones Active.
    Raises PlatformError when the platform cannot be read (nothing changes then)."""
    if not platform.keeps_accounts:
        return ReadBack()
    with db.read() as session:
        pending = pending_on_platform(session, customer_id=customer_id, user_ids=user_ids)
    if not pending.users:
        return ReadBack()
    accounts = platform.read_accounts(list(pending.users))
    with db.transaction() as session:
        return apply_read_back(session, pending, accounts, now=clock.now())


def read_back_quietly(
    db: Database,
    platform: BackupPlatform,
    clock: Clock,
    *,
    customer_id: int | None = None,
    user_ids: Collection[int] | None = None,
) -> None:
    """`read_back_activations` before showing or acting on users: an unreachable platform is
    logged, and what deskops knows is shown."""
    try:
        read_back_activations(db, platform, clock, customer_id=customer_id, user_ids=user_ids)
    except PlatformError as error:
        log.warning("could not read activation back from the backup platform: %s", error)
