"""The scheduler on SQLite and PostgreSQL: a slot runs once (also when two runners or two
schedulers race), a failed run leaves no claim, APScheduler fires due jobs, a start catches up a
run missed within its grace time (once) and skips one missed beyond it, the digest fires at 08:30
Amsterdam time across the daylight-saving changes, and housekeeping forgets old rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import ManualClock, SystemClock
from bot.config import load_settings
from bot.db import Database
from bot.enrollment.models import InviteDraft
from bot.request_keys import claim
from bot.scheduler.jobs import JobId, build_jobs, housekeeping
from bot.scheduler.models import SchedulerRun
from bot.scheduler.runner import JobRunner, RunOutcome, ScheduledJob
from bot.scheduler.service import JobScheduler, latest_due_time

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


def job(
    work: Counter, *, every: float = 3600, first_due: datetime | None = None, grace: float = 600
) -> ScheduledJob:
    """A counting job every `every` seconds, counted from `first_due` (default: one interval from
    now, APScheduler's own default)."""
    return ScheduledJob(
        id="count",
        description="counting",
        trigger=IntervalTrigger(seconds=every, start_date=first_due, timezone=UTC),
        work=work,
        grace=timedelta(seconds=grace),
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


def test_apscheduler_runs_due_jobs(database: Database) -> None:
    work = Counter()
    scheduler = JobScheduler(database, SystemClock(), [job(work, every=1)], replica="here")
    scheduler.start()
    try:
        wait_for(lambda: len(work.runs) >= 2)
    finally:
        scheduler.stop()
    assert {replica for _, replica in runs_in_database(database)} == {"here"}
    assert scheduler.next_runs() == {}


def test_two_schedulers_ticking_together_run_each_due_time_once(database_url: str) -> None:
    """Two replicas' schedulers (separate engines), each with the job in its own memory, due every
    second from the same instant: every due time runs on one of them only."""
    work = Counter()
    anchor = datetime.now(UTC).replace(microsecond=0)
    databases = [Database(database_url), Database(database_url)]
    schedulers = [
        JobScheduler(db, SystemClock(), [job(work, every=1, first_due=anchor, grace=2)], replica=name)
        for db, name in zip(databases, "ab", strict=True)
    ]
    for scheduler in schedulers:
        scheduler.start()
    try:
        wait_for(lambda: len(work.runs) >= 3)
    finally:
        for scheduler in schedulers:
            scheduler.stop()
    runs = runs_in_database(databases[0])
    for db in databases:
        db.dispose()
    slots = [slot for slot, _ in runs]
    assert len(work.runs) == len(runs) >= 3
    assert len(set(slots)) == len(slots), slots


def claim_run(db: Database, due: datetime, replica: str) -> None:
    with db.transaction() as session:
        session.add(
            SchedulerRun(job="count", slot=due.isoformat(timespec="seconds"), replica=replica, started_at=due)
        )


def test_a_start_catches_up_a_run_missed_within_its_grace_once(database: Database) -> None:
    # It ran an hour ago; due again a minute ago while no replica was up, with ten minutes'
    # grace: it runs at the start.
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    claim_run(database, due - timedelta(hours=1), "before")
    work = Counter()
    scheduler = JobScheduler(database, SystemClock(), [job(work, first_due=due)], replica="after")
    scheduler.start()
    try:
        wait_for(lambda: len(work.runs) == 1 and scheduler.next_runs()["count"] == due + timedelta(hours=1))
    finally:
        scheduler.stop()
    assert runs_in_database(database)[-1] == (due.isoformat(timespec="seconds"), "after")
    # Another start (a second replica, or a restart) does not run that due time again.
    again = JobScheduler(database, SystemClock(), [job(work, first_due=due)], replica="again")
    again.start()
    time.sleep(1)
    again.stop()
    assert len(work.runs) == 1


def test_a_start_skips_a_run_missed_beyond_its_grace(database: Database) -> None:
    # A daily job that ran yesterday, due three hours ago, with ten minutes' grace: skipped, and
    # next due in 21 hours.
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    claim_run(database, due - timedelta(days=1), "before")
    work = Counter()
    scheduler = JobScheduler(database, SystemClock(), [job(work, every=86400, first_due=due)], replica="c")
    scheduler.start()
    try:
        time.sleep(1)
        assert scheduler.next_runs()["count"] == due + timedelta(days=1)
    finally:
        scheduler.stop()
    assert work.runs == []


def test_a_job_that_never_ran_waits_for_its_first_due_time(database: Database) -> None:
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    work = Counter()
    scheduler = JobScheduler(database, SystemClock(), [job(work, first_due=due)], replica="new")
    scheduler.start()
    try:
        time.sleep(1)
        assert scheduler.next_runs()["count"] == due + timedelta(hours=1)
    finally:
        scheduler.stop()
    assert work.runs == []


def test_the_latest_due_time_is_the_same_for_every_replica_within_the_grace() -> None:
    due = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    hourly = job(Counter(), first_due=due, grace=600)
    assert latest_due_time(hourly, due) == due
    assert latest_due_time(hourly, due + timedelta(minutes=9)) == due
    assert latest_due_time(hourly, due + timedelta(minutes=11)) is None
    assert latest_due_time(hourly, due + timedelta(hours=2, seconds=1)) == due + timedelta(hours=2)
    assert latest_due_time(hourly, due - timedelta(seconds=1)) is None


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
