"""Scheduled read-back of activation from the backup platform (BACKUP_PROVIDER=acronis).

Two jobs use it: `activation_sync`, every SCHEDULER_INTERVAL_SECONDS, reads every user still
pending activation; `reminders` reads the users due a reminder first, so nobody who activated on
the platform since the last sync is reminded. Each reads the database and the platform in
`prepare` (outside the write) and applies what it read in the run's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.accounts.platform_state import PendingOnPlatform, apply_read_back, pending_on_platform
from bot.config import Settings
from bot.db import Database
from bot.integrations.backup.port import BackupPlatform, PlatformAccount, PlatformError
from bot.reminders.models import ReminderKind
from bot.reminders.service import due_reminders

log = logging.getLogger(__name__)
Work = Callable[[Session, datetime], str]


def _read(
    db: Database, platform: BackupPlatform, pick: Callable[[Session], PendingOnPlatform]
) -> tuple[PendingOnPlatform, dict[str, PlatformAccount]]:
    with db.read() as session:
        pending = pick(session)
    if not pending.users:
        return pending, {}
    return pending, platform.read_accounts(list(pending.users))


def activation_sync(db: Database, platform: BackupPlatform) -> Callable[[datetime], Work]:
    """Every user pending activation, read back; a platform error fails the run (nothing changes)."""

    def prepare(now: datetime) -> Work:
        pending, accounts = _read(db, platform, pending_on_platform)

        def work(session: Session, now: datetime) -> str:
            return apply_read_back(session, pending, accounts, now=now).summary()

        return work

    return prepare


def reminders_with_read_back(
    settings: Settings, db: Database, platform: BackupPlatform, reminders: Work
) -> Callable[[datetime], Work]:
    """The reminders job, after reading back the users it would remind of activation. An
    unreachable platform does not hold reminders up: they go out as they would have."""
    pending_days = settings.reminder_pending_activation_days
    window = timedelta(hours=settings.reminder_expiry_window_hours)

    def due_users(session: Session, now: datetime) -> PendingOnPlatform:
        due = due_reminders(session, now=now, expiry_window=window, pending_days=pending_days)
        ids = [int(row["subject_id"]) for row in due if row["kind"] is ReminderKind.ACTIVATION_PENDING]
        return pending_on_platform(session, user_ids=ids) if ids else PendingOnPlatform()

    def prepare(now: datetime) -> Work:
        try:
            pending, accounts = _read(db, platform, lambda session: due_users(session, now))
        except PlatformError as error:
            log.warning("reminders: activation not read back from %s: %s", platform.name, error)
            pending, accounts = PendingOnPlatform(), {}

        def work(session: Session, now: datetime) -> str:
            read = apply_read_back(session, pending, accounts, now=now)
            return f"{reminders(session, now)}; {len(read.activated)} found activated on {platform.name}"

        return work

    return prepare
