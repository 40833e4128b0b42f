"""The scheduler as the service runs it: its jobs for this configuration, and who this replica is."""

from __future__ import annotations

import os
import socket

from bot.deps import Deps
from bot.scheduler.jobs import JobId, build_jobs
from bot.scheduler.service import JobScheduler


def replica_name() -> str:
    """Who ran a job, in `scheduler_runs` and the log: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def build_scheduler(deps: Deps) -> JobScheduler:
    jobs = build_jobs(deps.settings, platform=deps.platform, db=deps.db, executors=deps.executors)
    # Jobs of this version that this configuration does not run (e.g. the customers sync after a
    # switch to BACKUP_PROVIDER=local) leave the shared job store.
    switched_off = [job_id for job_id in JobId if job_id not in {job.id for job in jobs}]
    return JobScheduler(deps.db, deps.clock, jobs, replica=replica_name(), switched_off=switched_off)
