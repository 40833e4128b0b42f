"""The scheduler: APScheduler 3 keeps each job's next run time in the application database
(`apscheduler_jobs`, created by Alembic), and deskops' executor runs a due job through
`JobRunner`, which makes each slot run once across replicas.

Replicas share the job store, so they share each job's schedule: after a restart (or a deploy at
08:30) a job whose run was missed starts late, within its grace time. Every replica runs a
scheduler; whichever gets to a due run first does the work, the others find it taken.
"""

from __future__ import annotations

import concurrent.futures
import logging
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import BasePoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from sqlalchemy import Engine, MetaData

from bot.clock import Clock
from bot.db import Database
from bot.scheduler.models import scheduled_jobs
from bot.scheduler.runner import JobRunner, RunOutcome, ScheduledJob

log = logging.getLogger(__name__)


def run_by_deskops(job_id: str) -> None:
    """What the job store records as every job's function. deskops' executor runs the job by its
    id instead (it holds this process's database and clock, which cannot be stored)."""
    raise RuntimeError(f"scheduled job {job_id!r} must be run by deskops' scheduler executor")


class JobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """APScheduler's SQLAlchemy store on our engine and our Alembic-managed table."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine=engine, metadata=MetaData())
        self.jobs_t = scheduled_jobs

    def start(self, scheduler: Any, alias: str) -> None:
        BaseJobStore.start(self, scheduler, alias)  # no CREATE TABLE: Alembic owns the schema

    def shutdown(self) -> None:
        pass  # the engine belongs to bot.db.Database


class RunnerExecutor(BasePoolExecutor):  # type: ignore[misc]
    """Runs due jobs on a small thread pool through `JobRunner` (misfires skipped, as APScheduler does)."""

    def __init__(self, runner: JobRunner, *, workers: int = 2) -> None:
        super().__init__(concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="scheduler"))
        self.runner = runner

    def _run(self, job: Job, run_times: Sequence[datetime]) -> list[JobExecutionEvent]:
        events = []
        alias = job._jobstore_alias
        for run_time in run_times:
            late = datetime.now(UTC) - run_time
            if job.misfire_grace_time is not None and late > timedelta(seconds=job.misfire_grace_time):
                log.warning("scheduler: %s due at %s was missed by %s; skipped", job.id, run_time, late)
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, alias, run_time))
                continue
            try:
                outcome = self.runner.run(job.id, due_at=run_time)
            except Exception as error:
                log.exception("scheduler: %s due at %s failed; the next run tries again", job.id, run_time)
                events.append(
                    JobExecutionEvent(
                        EVENT_JOB_ERROR,
                        job.id,
                        alias,
                        run_time,
                        exception=error,
                        traceback="".join(traceback.format_tb(error.__traceback__)),
                    )
                )
            else:
                events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, alias, run_time, retval=outcome))
        return events

    def _do_submit_job(self, job: Job, run_times: Sequence[datetime]) -> None:
        def done(future: concurrent.futures.Future[list[JobExecutionEvent]]) -> None:
            error = future.exception()
            if error is not None:
                self._run_job_error(job.id, error, error.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        self._pool.submit(self._run, job, list(run_times)).add_done_callback(done)


class Scheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler's background scheduler, except that it processes no jobs once shutting down: its
    loop would otherwise look at due jobs once more, fail to hand them to the stopped executor and
    still move their next run time on (a run due at that moment would be lost for every replica)."""

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        wait: float | None = super()._process_jobs()
        return wait


class JobScheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        jobs: Sequence[ScheduledJob],
        *,
        replica: str,
        switched_off: Sequence[str] = (),
    ) -> None:
        self.db = db
        self.jobs = list(jobs)
        # Ids of jobs this configuration does not run: removed from the store when found there.
        self.switched_off = [job_id for job_id in switched_off if job_id not in {job.id for job in jobs}]
        self.runner = JobRunner(db, clock, jobs, replica=replica)
        self._scheduler: Scheduler | None = None

    def _build(self) -> Scheduler:
        return Scheduler(
            jobstores={"default": JobStore(self.db.engine)},
            executors={"default": RunnerExecutor(self.runner)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )

    def install(self, scheduler: BackgroundScheduler) -> None:
        """Put each job in the store, keeping a stored job (and its next run time, so a missed run
        is caught up) unless its schedule changed; take switched-off jobs out of it."""
        for job in self.jobs:
            stored = scheduler.get_job(job.id)
            if stored is not None and stored.name == job.description:
                continue
            scheduler.add_job(
                run_by_deskops,
                trigger=job.trigger,
                args=[job.id],
                id=job.id,
                name=job.description,
                misfire_grace_time=int(job.grace.total_seconds()),
                replace_existing=True,
            )
            log.info("scheduler: %s scheduled (%s)", job.id, job.description)
        for job_id in self.switched_off:
            if scheduler.get_job(job_id) is not None:
                scheduler.remove_job(job_id)
                log.info("scheduler: %s unscheduled (not run with this configuration)", job_id)

    def start(self) -> None:
        scheduler = self._build()
        scheduler.start(paused=True)
        try:
            self.install(scheduler)
        except Exception:
            scheduler.shutdown(wait=False)
            raise
        scheduler.resume()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

    def run_now(self, job_id: str) -> RunOutcome:
        """Run a job here and now, as a due run would (the digest still runs once per day)."""
        return self.runner.run(job_id)
