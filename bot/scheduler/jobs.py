"""deskops' scheduled jobs: approvals (expiry, re-notification), invitation expiry and reminders,
the daily digest, housekeeping, and with BACKUP_PROVIDER=acronis the customers sync. Each does its
work in one transaction, with `now` from the clock (a ManualClock in tests)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from bot.approvals import service as approvals
from bot.approvals.executors import Executors
from bot.config import BackupProviderName, Settings
from bot.customers.sync import apply_customers
from bot.db import Database
from bot.digest.schedule import digest_period, due_day
from bot.digest.service import queue_digest
from bot.enrollment.drafts import forget_old_drafts
from bot.enrollment.invitations import expire_due as expire_invitations
from bot.integrations.backup.port import BackupPlatform
from bot.reminders.service import queue_due_reminders
from bot.request_keys import forget_older_than
from bot.scheduler.activation import activation_sync, reminders_with_read_back
from bot.scheduler.runner import ScheduledJob, forget_old_runs

log = logging.getLogger(__name__)
HOUSEKEEPING_EVERY = timedelta(hours=1)
DIGEST_GRACE = timedelta(hours=6)


class JobId(StrEnum):
    APPROVALS = "approvals"
    REMINDERS = "reminders"
    DIGEST = "digest"
    HOUSEKEEPING = "housekeeping"
    CUSTOMERS_SYNC = "customers_sync"
    ACTIVATION_SYNC = "activation_sync"


def approvals_work(settings: Settings, executors: Executors) -> Callable[[Session, datetime], str]:
    def work(session: Session, now: datetime) -> str:
        expired = approvals.expire_due(session, executors=executors, now=now)
        reminded = approvals.remind_due(session, reminder_hours=settings.approval_reminder_hours, now=now)
        return f"{expired} expired, {reminded} re-notified"

    return work


def reminders_work(settings: Settings) -> Callable[[Session, datetime], str]:
    def work(session: Session, now: datetime) -> str:
        expired = expire_invitations(session, now=now)
        if settings.helpdesk_channel is None:
            return f"{expired} invitations expired; no reminders (HELPDESK_CHANNEL is not set)"
        queued = queue_due_reminders(
            session,
            channel=settings.helpdesk_channel,
            now=now,
            expiry_window=timedelta(hours=settings.reminder_expiry_window_hours),
            pending_days=settings.reminder_pending_activation_days,
        )
        return f"{expired} invitations expired, {queued} reminders queued"

    return work


def digest_slot(settings: Settings) -> Callable[[datetime, datetime | None], str | None]:
    """The digest's slot is the local day it is due for: one digest per day, whenever it runs."""

    def slot(now: datetime, due_at: datetime | None) -> str | None:
        day = due_day(now, settings.digest_time, settings.zone)
        return day.isoformat() if day is not None else None

    return slot


def digest_work(settings: Settings) -> Callable[[Session, datetime], str]:
    def work(session: Session, now: datetime) -> str:
        day = due_day(now, settings.digest_time, settings.zone)
        if day is None:  # pragma: no cover - the slot says so first
            return "not due"
        if settings.digest_channel is None:
            return "no digest (DIGEST_CHANNEL is not set)"
        start, end = digest_period(day, settings.digest_time, settings.zone)
        queue_digest(session, channel=settings.digest_channel, day=day, start=start, end=end, now=now)
        return f"digest for {day} queued"

    return work


def housekeeping(session: Session, now: datetime) -> str:
    requests = forget_older_than(session, now=now)
    drafts = forget_old_drafts(session, now=now)
    runs = forget_old_runs(session, now=now)
    return f"forgot {requests} Slack request keys, {drafts} drafts, {runs} job runs"


def customers_sync(platform: BackupPlatform) -> Callable[[datetime], Callable[[Session, datetime], str]]:
    """`deskops customers sync` as a job: the platform is read first (outside any write; a
    PlatformError fails the run, which leaves no claim and changes nothing), then applied."""

    def prepare(now: datetime) -> Callable[[Session, datetime], str]:
        listed = platform.list_customers()

        def work(session: Session, now: datetime) -> str:
            report = apply_customers(session, listed, platform=platform.name, now=now, actor="scheduler")
            for line in report.lines()[1:]:
                log.info("customers sync: %s", line.strip())
            return report.summary()

        return work

    return prepare


# Interval jobs count from this instant on every replica, so replicas agree on each due time
# (which is the slot a run claims); a trigger's default start, its creation plus one interval,
# would differ from one process to the next.
INTERVALS_FROM = datetime(2026, 1, 1, tzinfo=UTC)


def every(interval: timedelta) -> IntervalTrigger:
    return IntervalTrigger(seconds=int(interval.total_seconds()), start_date=INTERVALS_FROM, timezone=UTC)


def helpdesk_jobs(settings: Settings, executors: Executors) -> list[ScheduledJob]:
    """Approvals, reminders, the digest and housekeeping: what every configuration runs."""
    tick = timedelta(seconds=settings.scheduler_interval_seconds)
    at = settings.digest_time
    return [
        ScheduledJob(
            id=JobId.APPROVALS,
            description=f"approval expiry and re-notification every {tick}",
            trigger=every(tick),
            work=approvals_work(settings, executors),
            grace=tick * 2,
        ),
        ScheduledJob(
            id=JobId.REMINDERS,
            description=f"invitation expiry and reminders every {tick}",
            trigger=every(tick),
            work=reminders_work(settings),
            grace=tick * 2,
        ),
        ScheduledJob(
            id=JobId.DIGEST,
            description=f"daily digest at {at:%H:%M} {settings.timezone}",
            trigger=CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.zone),
            work=digest_work(settings),
            slot=digest_slot(settings),
            grace=DIGEST_GRACE,
        ),
        ScheduledJob(
            id=JobId.HOUSEKEEPING,
            description=f"housekeeping every {HOUSEKEEPING_EVERY}",
            trigger=every(HOUSEKEEPING_EVERY),
            work=housekeeping,
            grace=HOUSEKEEPING_EVERY,
        ),
    ]


def customers_sync_job(settings: Settings, platform: BackupPlatform) -> ScheduledJob:
    sync_every = timedelta(hours=settings.customers_sync_interval_hours)
    return ScheduledJob(
        id=JobId.CUSTOMERS_SYNC,
        description=f"customers and subscriptions from {platform.name} every {sync_every}",
        trigger=every(sync_every),
        prepare=customers_sync(platform),
        grace=sync_every,
    )


def with_activation_read_back(
    settings: Settings, jobs: list[ScheduledJob], db: Database, platform: BackupPlatform
) -> list[ScheduledJob]:
    """With a platform that keeps its own accounts: the activation sync, and reminders that read
    back the users they would remind first."""
    tick = timedelta(seconds=settings.scheduler_interval_seconds)
    read_first = reminders_with_read_back(settings, db, platform, reminders_work(settings))
    return [
        replace(job, work=None, prepare=read_first) if job.id == JobId.REMINDERS else job for job in jobs
    ] + [
        ScheduledJob(
            id=JobId.ACTIVATION_SYNC,
            description=f"activation read back from {platform.name} every {tick}",
            trigger=every(tick),
            prepare=activation_sync(db, platform),
            grace=tick * 2,
        )
    ]


def build_jobs(
    settings: Settings,
    *,
    platform: BackupPlatform | None = None,
    db: Database | None = None,
    executors: Executors | None = None,
) -> list[ScheduledJob]:
    """The jobs this configuration runs; `platform` is the backup platform (needed with
    BACKUP_PROVIDER=acronis, whose customers are synced) and `db` the database the activation
    read-back reads before it asks the platform (with a platform that keeps its own accounts)."""
    jobs = helpdesk_jobs(settings, executors or Executors())
    if settings.backup_provider is BackupProviderName.ACRONIS:
        if platform is None:
            raise ValueError("BACKUP_PROVIDER=acronis: the customers sync job needs the backup platform")
        jobs.append(customers_sync_job(settings, platform))
    if platform is not None and platform.keeps_accounts and db is not None:
        jobs = with_activation_read_back(settings, jobs, db, platform)
    return jobs
