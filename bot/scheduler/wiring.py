"""What the service runs for the channel features: their outbox handlers and the scheduler."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from bot.approvals.delivery import ApprovalDelivery
from bot.deps import Deps
from bot.digest.delivery import DigestDelivery
from bot.outbox.worker import OutboxHandler
from bot.reminders.delivery import ReminderDelivery
from bot.scheduler.jobs import JobId, build_jobs
from bot.scheduler.service import JobScheduler


def channel_handlers(deps: Deps) -> dict[str, OutboxHandler]:
    settings = deps.settings
    approvals = ApprovalDelivery(
        db=deps.db,
        clock=deps.clock,
        slack=deps.slack,
        approvals_channel=settings.approvals_channel,
        approvers=tuple(settings.approvers),
    )
    reminders = ReminderDelivery(
        db=deps.db,
        slack=deps.slack,
        window_hours=settings.reminder_expiry_window_hours,
        pending_days=settings.reminder_pending_activation_days,
    )
    return {**approvals.handlers(), **reminders.handlers(), **digest_delivery(deps).handlers()}


def digest_delivery(deps: Deps) -> DigestDelivery:
    return DigestDelivery(
        db=deps.db,
        slack=deps.slack,
        expiring_window=timedelta(hours=deps.settings.reminder_expiry_window_hours),
        per_licence=deps.settings.devices_per_licence,
        timezone=deps.settings.timezone,
    )


def replica_name() -> str:
    """Who ran a job, in `scheduler_runs` and the log: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def build_scheduler(deps: Deps) -> JobScheduler:
    jobs = build_jobs(deps.settings, platform=deps.platform, db=deps.db)
    # Jobs of this version that this configuration does not run (e.g. the customers sync after a
    # switch to BACKUP_PROVIDER=local) leave the shared job store.
    switched_off = [job_id for job_id in JobId if job_id not in {job.id for job in jobs}]
    return JobScheduler(deps.db, deps.clock, jobs, replica=replica_name(), switched_off=switched_off)
