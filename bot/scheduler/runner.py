"""Running one scheduled job, once per slot across every replica.

A run is one transaction: on PostgreSQL it first takes a transaction-level advisory lock for the
job (`pg_try_advisory_xact_lock`: a replica that finds it taken skips at once instead of waiting),
then claims the slot in `scheduler_runs` (unique per job and slot), then does the job's work. The
claim commits with the work or not at all. On SQLite one process is assumed; the claim still
holds across restarts.

A job that must read over the network first (the customers sync reads the backup platform) says
so with `prepare`, which reads and returns the work to do with what it read. No write waits on
that read: on PostgreSQL it runs under the job's lock before the claim (the transaction holds
only the lock then, and one replica reads; a replica that comes later finds the slot taken before
reading); on SQLite, where a transaction holds the process's write lock, it runs before the
transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.db import Database
from bot.scheduler.models import SchedulerRun

log = logging.getLogger(__name__)


def due_time_slot(now: datetime, due_at: datetime | None) -> str | None:
    """The default slot: the time the run was due (the same on every replica, which compute it
    from the same trigger), or now for a run started by hand."""
    return (due_at or now).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    # Says what runs when, for the log (e.g. "daily digest at 08:30 Europe/Amsterdam").
    description: str
    trigger: BaseTrigger
    # The work, in the run's transaction; returns a short summary for the log.
    work: Callable[[Session, datetime], str] | None = None
    # (now, due_at) → the slot this run is for, or None when nothing is due yet.
    slot: Callable[[datetime, datetime | None], str | None] = due_time_slot
    # How late a run may still start (after a restart, say); later runs are skipped.
    grace: timedelta = timedelta(minutes=10)
    # Instead of `work`: reads what the work needs over the network, outside any write (see the
    # module's docstring), and returns the work to run in the transaction with what it read.
    prepare: Callable[[datetime], Callable[[Session, datetime], str]] | None = None

    def __post_init__(self) -> None:
        if (self.work is None) == (self.prepare is None):
            raise ValueError(f"scheduled job {self.id}: give it either work or prepare")


class RunOutcome(StrEnum):
    RAN = "ran"
    NOT_DUE = "not_due"
    BUSY = "busy"  # another replica is running this job right now
    ALREADY_DONE = "already_done"  # this slot ran already (here or on another replica)
    UNKNOWN = "unknown"


def advisory_key(job_id: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_xact_lock."""
    digest = hashlib.sha256(f"deskops.scheduler.{job_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def try_job_lock(session: Session, job_id: str) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: one process, whose writers are serialised anyway
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": advisory_key(job_id)}))


def claim_slot(session: Session, *, job: str, slot: str, replica: str, now: datetime) -> SchedulerRun | None:
    """The claim for this slot, or None when it is taken."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(SchedulerRun)
        .values(job=job, slot=slot, replica=replica, started_at=now)
        .on_conflict_do_nothing(index_elements=["job", "slot"])
        .returning(SchedulerRun.id)
    )
    run_id = session.scalar(statement)
    return session.get(SchedulerRun, run_id) if run_id is not None else None


def slot_claimed(session: Session, *, job: str, slot: str) -> bool:
    statement = select(SchedulerRun.id).where(SchedulerRun.job == job, SchedulerRun.slot == slot)
    return session.scalar(statement) is not None


def last_successes(session: Session, jobs: Sequence[str]) -> dict[str, datetime]:
    """When each job last ran to the end, on any replica (a failed run leaves no claim)."""
    found = session.execute(
        select(SchedulerRun.job, func.max(SchedulerRun.started_at))
        .where(SchedulerRun.job.in_(list(jobs)))
        .group_by(SchedulerRun.job)
    ).all()
    return {job: started for job, started in found if started is not None}


def forget_old_runs(session: Session, *, now: datetime, age: timedelta = timedelta(days=7)) -> int:
    result = session.execute(delete(SchedulerRun).where(SchedulerRun.started_at < now - age))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class JobRunner:
    def __init__(self, db: Database, clock: Clock, jobs: Sequence[ScheduledJob], *, replica: str) -> None:
        self.db = db
        self.clock = clock
        self.jobs = {job.id: job for job in jobs}
        self.replica = replica

    def run(self, job_id: str, *, due_at: datetime | None = None) -> RunOutcome:
        job = self.jobs.get(job_id)
        if job is None:
            log.warning("scheduler: no job %r with this configuration; skipped", job_id)
            return RunOutcome.UNKNOWN
        now = self.clock.now()
        slot = job.slot(now, due_at)
        if slot is None:
            log.debug("scheduler: %s is not due yet", job_id)
            return RunOutcome.NOT_DUE
        work, prepare = job.work, job.prepare
        if prepare is not None and not self.db.is_postgresql:
            # SQLite: a transaction holds this process's write lock, so read before it begins.
            with self.db.read() as session:
                if slot_claimed(session, job=job_id, slot=slot):
                    return self._already_done(job_id, slot)
            work, prepare = prepare(now), None
        with self.db.transaction() as session:
            if not try_job_lock(session, job_id):
                log.info("scheduler: %s %s is running on another replica; skipped here", job_id, slot)
                return RunOutcome.BUSY
            if prepare is not None:
                # PostgreSQL: under the job's lock, before this transaction writes anything.
                if slot_claimed(session, job=job_id, slot=slot):
                    return self._already_done(job_id, slot)
                work = prepare(now)
            claim = claim_slot(session, job=job_id, slot=slot, replica=self.replica, now=now)
            if claim is None:
                return self._already_done(job_id, slot)
            if work is None:  # pragma: no cover - ScheduledJob has work or prepare
                raise ValueError(f"scheduled job {job_id} has nothing to do")
            summary = work(session, now)
            claim.result = summary[:500]
        log.info("scheduler: %s %s ran on %s: %s", job_id, slot, self.replica, summary)
        return RunOutcome.RAN

    def _already_done(self, job_id: str, slot: str) -> RunOutcome:
        log.info("scheduler: %s %s already ran; skipped on %s", job_id, slot, self.replica)
        return RunOutcome.ALREADY_DONE
