"""The scheduler: each replica runs APScheduler 3 with its own in-memory job store, and every due
run goes through `JobRunner`, whose claim in `scheduler_runs` makes each slot run once across
replicas.

APScheduler 3's user guide says a job store "must never be shared between schedulers"
(https://apscheduler.readthedocs.io/en/3.x/userguide.html, Basic concepts), so no schedule is
kept in the database: the schedule is the triggers' (interval jobs count from one fixed instant,
see bot/scheduler/jobs.py), which every replica computes alike, and the database only records
which runs happened. A run of a job that has run before, missed while no replica was up, is
caught up when one starts if it is still within the job's grace time and nobody ran it: the job
is added with that due time as its first `next_run_time` (an `add_job` option), and APScheduler's
coalescing and misfire grace time (user guide, "Missed job executions and coalescing") then run
the latest due time once. A job that never ran waits for its first due time.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import Clock
from bot.db import Database
from bot.scheduler.runner import JobRunner, RunOutcome, ScheduledJob, last_successes

log = logging.getLogger(__name__)


def replica_name() -> str:
    """Who ran a job, in `scheduler_runs` and the log: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def latest_due_time(job: ScheduledJob, now: datetime) -> datetime | None:
    """The last time the job's trigger fired at or before `now`, if that is within its grace.

    Walks the trigger's public `get_next_fire_time(previous, now)` from `now - grace`; every
    replica gets the same answer, which is what makes a due time a slot they can agree on."""
    fire = job.trigger.get_next_fire_time(None, now - job.grace)
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        fire = job.trigger.get_next_fire_time(fire, fire)
    return latest


class JobScheduler:
    """This replica's scheduler for the jobs the composition root gives it."""

    def __init__(
        self, db: Database, clock: Clock, jobs: Sequence[ScheduledJob], *, replica: str, workers: int = 2
    ) -> None:
        self.db = db
        self.jobs = list(jobs)
        self.runner = JobRunner(db, clock, jobs, replica=replica)
        self.workers = workers
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.workers)},
            # One run at a time per job, and runs missed together run once (the latest).
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        now = datetime.now(UTC)
        with self.db.read() as session:
            ran_before = last_successes(session, [job.id for job in self.jobs])
        for job in self.jobs:
            missed = latest_due_time(job, now) if job.id in ran_before else None
            options = {"next_run_time": missed} if missed is not None else {}
            scheduler.add_job(
                self._run_due,
                trigger=job.trigger,
                args=[job],
                id=job.id,
                name=job.description,
                misfire_grace_time=int(job.grace.total_seconds()),
                **options,
            )
            log.info("scheduler: %s scheduled (%s)", job.id, job.description)
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        """Stop after the runs under way. The jobs are removed first, so that the scheduler's loop,
        which looks at due jobs once more as it shuts down, finds none to hand to the stopped pool
        (nothing is lost: another replica, or the next start within the grace time, runs them)."""
        if self._scheduler is not None:
            self._scheduler.remove_all_jobs()
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

    def next_runs(self) -> dict[str, datetime]:
        """When each job is next due on this replica (empty when stopped)."""
        if self._scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs() if job.next_run_time}

    def run_now(self, job_id: str) -> RunOutcome:
        """Run a job here and now, as a due run would (the digest still runs once per day)."""
        return self.runner.run(job_id)

    def _run_due(self, job: ScheduledJob) -> None:
        """A due run, handed over by APScheduler: for the latest due time, once across replicas."""
        due = latest_due_time(job, datetime.now(UTC))
        if due is None:
            log.warning("scheduler: %s started beyond its grace time; skipped", job.id)
            return
        try:
            self.runner.run(job.id, due_at=due)
        except Exception:
            log.exception("scheduler: %s due at %s failed; the next run tries again", job.id, due)
