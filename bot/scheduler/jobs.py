"""deskops' scheduled jobs: approvals (expiry, re-notification), invitation expiry and reminders,
the daily digest, and housekeeping. Each does its work in one transaction, with `now` from the
clock (a ManualClock in tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from bot.approvals import service as approvals
from bot.config import Settings
from bot.digest.schedule import digest_period, due_day
from bot.digest.service import queue_digest
from bot.enrollment.drafts import forget_old_drafts
from bot.enrollment.invitations import expire_due as expire_invitations
from bot.reminders.service import queue_due_reminders
from bot.scheduler.runner import ScheduledJob, forget_old_runs
from bot.slack.dedupe import forget_older_than

HOUSEKEEPING_EVERY = timedelta(hours=1)
DIGEST_GRACE = timedelta(hours=6)


class JobId(StrEnum):
    APPROVALS = "approvals"
    REMINDERS = "reminders"
    DIGEST = "digest"
    HOUSEKEEPING = "housekeeping"


def approvals_work(settings: Settings) -> Callable[[Session, datetime], str]:
    def work(session: Session, now: datetime) -> str:
        expired = approvals.expire_due(session, now=now)
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


def build_jobs(settings: Settings) -> list[ScheduledJob]:
    every = timedelta(seconds=settings.scheduler_interval_seconds)
    at = settings.digest_time
    return [
        ScheduledJob(
            id=JobId.APPROVALS,
            description=f"approval expiry and re-notification every {every}",
            trigger=IntervalTrigger(seconds=settings.scheduler_interval_seconds),
            work=approvals_work(settings),
            grace=every * 2,
        ),
        ScheduledJob(
            id=JobId.REMINDERS,
            description=f"invitation expiry and reminders every {every}",
            trigger=IntervalTrigger(seconds=settings.scheduler_interval_seconds),
            work=reminders_work(settings),
            grace=every * 2,
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
            trigger=IntervalTrigger(seconds=int(HOUSEKEEPING_EVERY.total_seconds())),
            work=housekeeping,
            grace=HOUSEKEEPING_EVERY,
        ),
    ]
