"""The scheduler on SQLite and PostgreSQL: a slot runs once (also when two runners race), a failed
run leaves no claim, APScheduler fires jobs from the job store in the database, keeps their
schedule across restarts and catches up a run missed within its grace time, the digest fires at
08:30 Amsterdam time across the daylight-saving changes, and housekeeping forgets old rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import ManualClock, SystemClock
from bot.config import load_settings
from bot.db import Database
from bot.enrollment.models import InviteDraft
from bot.request_keys import claim
from bot.scheduler.jobs import JobId, build_jobs, housekeeping
from bot.scheduler.models import SchedulerRun, scheduled_jobs
from bot.scheduler.runner import JobRunner, RunOutcome, ScheduledJob
from bot.scheduler.service import JobScheduler, JobStore, RunnerExecutor, Scheduler

NOW = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


class Counter:
    """A job's work that counts its runs (and can be made slow or failing)."""

    def __init__(self, *, pause: float = 0.0, fail: bool = False) -> None:
        self.runs: list[datetime] = []
        self.pause = pause
        self.fail = fail
        self._lock = threading.Lock()

    def __call__(self, session: Session, now: datetime) -> str:
        time.sleep(self.pause)
        if self.fail:
            raise RuntimeError("the job failed")
        with self._lock:
            self.runs.append(now)
        return f"run {len(self.runs)}"


def job(work: Counter, *, every: float = 3600, description: str = "counting") -> ScheduledJob:
    return ScheduledJob(
        id="count", description=description, trigger=IntervalTrigger(seconds=every), work=work
    )


def runs_in_database(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        return [(r.slot, r.replica) for r in session.scalars(select(SchedulerRun).order_by(SchedulerRun.id))]


def test_a_slot_runs_once_and_a_failed_run_leaves_no_claim(database: Database) -> None:
    work = Counter()
    runner = JobRunner(database, ManualClock(NOW), [job(work)], replica="a")
    assert runner.run("count", due_at=NOW) is RunOutcome.RAN
    assert runner.run("count", due_at=NOW) is RunOutcome.ALREADY_DONE
    assert runner.run("count", due_at=NOW + timedelta(hours=1)) is RunOutcome.RAN
    assert len(work.runs) == 2

    failing = JobRunner(database, ManualClock(NOW), [job(Counter(fail=True))], replica="b")
    later = NOW + timedelta(hours=2)
    with pytest.raises(RuntimeError):
        failing.run("count", due_at=later)
    assert runner.run("count", due_at=later) is RunOutcome.RAN
    assert [slot for slot, _ in runs_in_database(database)] == [
        NOW.isoformat(timespec="seconds"),
        (NOW + timedelta(hours=1)).isoformat(timespec="seconds"),
        later.isoformat(timespec="seconds"),
    ]


def test_two_replicas_racing_for_the_same_slot_run_it_once(database_url: str) -> None:
    # Two processes' worth of everything: separate engines, connections and runners.
    work = Counter(pause=0.5)
    databases = [Database(database_url), Database(database_url)]
    runners = [
        JobRunner(db, ManualClock(NOW), [job(work)], replica=name)
        for db, name in zip(databases, "ab", strict=True)
    ]
    start = threading.Barrier(2)
    outcomes: list[RunOutcome] = []

    def run(runner: JobRunner) -> None:
        start.wait()
        outcomes.append(runner.run("count", due_at=NOW))

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for db in databases:
        db.dispose()
    assert len(work.runs) == 1
    ran, skipped = sorted(outcomes, key=lambda o: o is not RunOutcome.RAN)
    assert ran is RunOutcome.RAN
    # PostgreSQL: the advisory lock is taken, so the other skips at once; SQLite: it waits for the
    # write lock and then finds the slot claimed.
    assert skipped in (RunOutcome.BUSY, RunOutcome.ALREADY_DONE)


def wait_for(predicate: object, timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def set_next_run(db: Database, job_id: str, when: datetime) -> None:
    """Move a stored job's next run in the job store (no scheduler running here)."""
    store = JobStore(db.engine)
    store.start(BackgroundScheduler(timezone=UTC), "default")
    stored = store.lookup_job(job_id)
    stored.next_run_time = when
    store.update_job(stored)


def stored_next_run(db: Database) -> float | None:
    with db.read() as session:
        return session.scalar(select(scheduled_jobs.c.next_run_time).where(scheduled_jobs.c.id == "count"))


def test_apscheduler_runs_due_jobs_from_the_job_store_in_the_database(database: Database) -> None:
    work = Counter()
    scheduler = JobScheduler(database, SystemClock(), [job(work, every=1)], replica="here")
    scheduler.start()
    try:
        wait_for(lambda: len(work.runs) >= 2)
    finally:
        scheduler.stop()
    assert stored_next_run(database) is not None
    assert {replica for _, replica in runs_in_database(database)} == {"here"}


def test_a_restart_keeps_the_schedule_and_catches_up_a_run_missed_within_its_grace(
    database: Database,
) -> None:
    first = JobScheduler(database, SystemClock(), [job(Counter())], replica="before")
    first.start()
    first.stop()
    scheduled = stored_next_run(database)
    assert scheduled is not None and scheduled > time.time() + 3000  # an hour from now
    # Pretend the process was down when the job was due a minute ago.
    set_next_run(database, "count", datetime.now(UTC) - timedelta(minutes=1))
    work = Counter()
    second = JobScheduler(database, SystemClock(), [job(work)], replica="after")
    second.start()
    try:
        wait_for(lambda: len(work.runs) == 1)
    finally:
        second.stop()
    assert (stored_next_run(database) or 0) > time.time() + 3000
    # A changed schedule replaces the stored job.
    changed = JobScheduler(
        database, SystemClock(), [job(Counter(), every=7200, description="every 2 h")], replica="c"
    )
    changed.start()
    changed.stop()
    assert (stored_next_run(database) or 0) > time.time() + 7000


def test_a_daily_run_missed_beyond_its_grace_is_skipped(database: Database) -> None:
    before = JobScheduler(database, SystemClock(), [job(Counter(), every=86400)], replica="before")
    before.start()
    before.stop()
    # Due three hours ago, with ten minutes' grace: skipped, and next due in 21 hours.
    set_next_run(database, "count", datetime.now(UTC) - timedelta(hours=3))
    work = Counter()
    scheduler = JobScheduler(database, SystemClock(), [job(work, every=86400)], replica="after")
    scheduler.start()
    try:
        wait_for(lambda: (stored_next_run(database) or 0) > time.time())
    finally:
        scheduler.stop()
    assert work.runs == []


def test_the_digest_fires_at_0830_amsterdam_time_on_both_sides_of_the_changes() -> None:
    settings = load_settings(_env_file=None, digest_time="08:30", timezone="Europe/Amsterdam")
    [digest] = [j for j in build_jobs(settings) if j.id == JobId.DIGEST]
    fire, fired = datetime(2026, 3, 27, 12, 0, tzinfo=UTC), []
    for _ in range(4):
        fire = digest.trigger.get_next_fire_time(None, fire + timedelta(minutes=1))
        fired.append(fire.astimezone(UTC))
    assert fired == [
        datetime(2026, 3, 28, 7, 30, tzinfo=UTC),  # Saturday, winter time
        datetime(2026, 3, 29, 6, 30, tzinfo=UTC),  # Sunday, summer time from 02:00
        datetime(2026, 3, 30, 6, 30, tzinfo=UTC),
        datetime(2026, 3, 31, 6, 30, tzinfo=UTC),
    ]
    october = digest.trigger.get_next_fire_time(None, datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    assert october.astimezone(UTC) == datetime(2026, 10, 25, 7, 30, tzinfo=UTC)


def test_housekeeping_forgets_old_request_keys_drafts_and_job_runs(database: Database) -> None:
    old, recent = NOW - timedelta(days=8), NOW - timedelta(minutes=5)
    with database.transaction() as session:
        claim(session, "body:old", now=old)
        claim(session, "body:recent", now=recent)
        for name, when in (("old", old), ("recent", recent)):
            session.add(InviteDraft(id=f"draft-{name}", owner="U0HELP01", created_at=when, updated_at=when))
            session.add(SchedulerRun(job="count", slot=name, replica="x", started_at=when))
    with database.transaction() as session:
        summary = housekeeping(session, NOW)
    assert summary == "forgot 1 Slack request keys, 1 drafts, 1 job runs"
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(InviteDraft)) == 1
        assert session.scalar(select(func.count()).select_from(SchedulerRun)) == 1


def test_a_run_due_while_shutting_down_is_kept_for_the_next_start(database: Database) -> None:
    work = Counter()
    installer = JobScheduler(database, SystemClock(), [job(work)], replica="installer")
    installer.start()
    installer.stop()
    due = datetime.now(UTC) - timedelta(seconds=5)
    scheduler = Scheduler(
        jobstores={"default": JobStore(database.engine)},
        executors={"default": RunnerExecutor(installer.runner)},
        timezone=UTC,
    )
    scheduler.start(paused=True)
    set_next_run(database, "count", due)
    # APScheduler's loop wakes up once more on shutdown; it must not consume the due run.
    scheduler.shutdown(wait=True)
    assert stored_next_run(database) == pytest.approx(due.timestamp())
    assert work.runs == []
