"""The customers sync as a scheduled job (BACKUP_PROVIDER=acronis), against the Acronis emulator on
SQLite and PostgreSQL: it runs `deskops customers sync`'s service once per slot and records the run
in `scheduler_runs`, a failed platform read leaves no claim and changes nothing, racing replicas
read the platform once (PostgreSQL), and it is scheduled only with BACKUP_PROVIDER=acronis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.clock import ManualClock
from bot.config import ConfigError, Settings, load_settings
from bot.customers.models import Customer
from bot.db import Database
from bot.integrations.backup.acronis import AcronisBackupPlatform, RetryPolicy
from bot.integrations.backup.port import PlatformError
from bot.scheduler.jobs import JobId, build_jobs
from bot.scheduler.models import SchedulerRun
from bot.scheduler.runner import JobRunner, RunOutcome
from console import SlackEmulator
from tests.support.acronis import AcronisEmulator, acronis_emulator
from tests.support.app import run_app, run_app_on_acronis

__all__ = ["acronis_emulator"]
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SYNC = JobId.CUSTOMERS_SYNC
PARTNER_READS = r"/clients/.+"  # each listing of the customers starts by finding the partner tenant


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


def acronis_settings(emulator: AcronisEmulator, **overrides: object) -> Settings:
    return load_settings(_env_file=None, **{**emulator.settings(), **overrides})


@pytest.fixture
def platform(acronis_emulator: AcronisEmulator) -> Iterator[AcronisBackupPlatform]:
    made = AcronisBackupPlatform.from_settings(
        acronis_settings(acronis_emulator), retry=RetryPolicy(attempts=2, backoff_base=0.01, backoff_max=0.02)
    )
    yield made
    made.close()


def runner(db: Database, emulator: AcronisEmulator, platform: AcronisBackupPlatform, name: str) -> JobRunner:
    jobs = build_jobs(acronis_settings(emulator), platform=platform)
    return JobRunner(db, ManualClock(NOW), jobs, replica=name)


def customers(db: Database) -> dict[str, list[str]]:
    with db.read() as session:
        rows = session.scalars(select(Customer).options(selectinload(Customer.subscriptions))).all()
        return {c.name: [s.name for s in c.subscriptions] for c in rows}


def runs(db: Database) -> list[tuple[str, str, str | None]]:
    with db.read() as session:
        rows = session.scalars(select(SchedulerRun).where(SchedulerRun.job == SYNC).order_by(SchedulerRun.id))
        return [(r.slot, r.replica, r.result) for r in rows]


def test_a_customer_added_on_acronis_appears_after_the_job_runs(
    database: Database, platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    sync = runner(database, acronis_emulator, platform, "a")
    assert sync.run(SYNC, due_at=NOW) is RunOutcome.RAN
    assert customers(database) == {
        "Acme Corporation": ["PAYG", "Capped Storage", "Microsoft Office 365"],
        "Globex Logistics": ["PAYG"],
        "Initech Dental": ["PAYG", "Capped Storage"],
    }

    acronis_emulator.add_customer("Hooli Health", ["Capped Storage", "PAYG"])
    later = NOW + timedelta(hours=6)
    assert sync.run(SYNC, due_at=later) is RunOutcome.RAN
    assert customers(database)["Hooli Health"] == ["Capped Storage", "PAYG"]
    assert runs(database) == [
        (
            NOW.isoformat(timespec="seconds"),
            "a",
            "acronis: 3 customers listed; 3 created, 0 updated; 6 subscriptions added, 0 updated",
        ),
        (
            later.isoformat(timespec="seconds"),
            "a",
            "acronis: 4 customers listed; 1 created, 0 updated; 2 subscriptions added, 0 updated",
        ),
    ]

    # The slot ran: another replica (or a late tick) neither reads the platform nor writes.
    reads = len(acronis_emulator.requests("GET"))
    assert (
        runner(database, acronis_emulator, platform, "b").run(SYNC, due_at=later) is RunOutcome.ALREADY_DONE
    )
    assert len(acronis_emulator.requests("GET")) == reads
    assert len(runs(database)) == 2


def test_a_failed_platform_read_leaves_no_claim_and_the_next_tick_syncs(
    database: Database, platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    acronis_emulator.fail("GET", r"/tenants/.+/offering_items", status=503, times=None)
    sync = runner(database, acronis_emulator, platform, "a")
    with pytest.raises(PlatformError):
        sync.run(SYNC, due_at=NOW)
    assert customers(database) == {} and runs(database) == []
    acronis_emulator.clear_faults()
    assert sync.run(SYNC, due_at=NOW) is RunOutcome.RAN
    assert set(customers(database)) == {"Acme Corporation", "Globex Logistics", "Initech Dental"}


def test_replicas_racing_for_a_run_sync_once(
    database_url: str, platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    # A slow platform, so both replicas are at it at the same time.
    acronis_emulator.fail("GET", PARTNER_READS, status=None, delay=0.4, times=None)
    databases = [Database(database_url), Database(database_url)]
    runners = [runner(db, acronis_emulator, platform, name) for db, name in zip(databases, "ab", strict=True)]
    start = threading.Barrier(2)
    outcomes: list[RunOutcome] = []

    def run(one: JobRunner) -> None:
        start.wait()
        outcomes.append(one.run(SYNC, due_at=NOW))

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(outcomes, key=lambda o: o is not RunOutcome.RAN)[0] is RunOutcome.RAN
        assert outcomes.count(RunOutcome.RAN) == 1
        assert len(runs(databases[0])) == 1 and len(customers(databases[0])) == 3
        if databases[0].is_postgresql:
            # The other replica found the job's lock taken (or the run done) before reading.
            assert len(acronis_emulator.requests("GET", PARTNER_READS)) == 1
    finally:
        for db in databases:
            db.dispose()


def test_the_sync_is_scheduled_with_acronis_only_every_customers_sync_interval_hours(
    acronis_emulator: AcronisEmulator, platform: AcronisBackupPlatform
) -> None:
    local = load_settings(_env_file=None)
    assert SYNC not in {job.id for job in build_jobs(local)}
    assert SYNC not in {job.id for job in build_jobs(local, platform=platform)}

    [job] = [j for j in build_jobs(acronis_settings(acronis_emulator), platform=platform) if j.id == SYNC]
    assert isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == timedelta(hours=6)
    assert job.description == "customers and subscriptions from acronis every 6:00:00"
    every_two = acronis_settings(acronis_emulator, customers_sync_interval_hours="2")
    [job] = [j for j in build_jobs(every_two, platform=platform) if j.id == SYNC]
    assert job.trigger.interval == timedelta(hours=2)
    with pytest.raises(ValueError, match="needs the backup platform"):
        build_jobs(acronis_settings(acronis_emulator))
    with pytest.raises(ConfigError, match="CUSTOMERS_SYNC_INTERVAL_HOURS"):
        acronis_settings(acronis_emulator, customers_sync_interval_hours="0")


def test_deskops_serve_on_acronis_runs_the_sync_and_on_local_does_not_schedule_it(
    slack_emulator: SlackEmulator,
    acronis_emulator: AcronisEmulator,
    tmp_path: Path,
    migrated_sqlite_template: Path,
) -> None:
    database = tmp_path / "deskops.db"
    database.write_bytes(migrated_sqlite_template.read_bytes())
    url = f"sqlite:///{database}"
    with run_app_on_acronis(slack_emulator, url, tmp_path, acronis_emulator) as app:
        assert SYNC in app.service.scheduler.next_runs()
        acronis_emulator.add_customer("Hooli Health", ["PAYG"])
        assert "Hooli Health" not in customers(app.deps.db)
        assert app.service.scheduler.run_now(SYNC) is RunOutcome.RAN
        assert customers(app.deps.db)["Hooli Health"] == ["PAYG"]
    with run_app(slack_emulator, url, tmp_path, customers=None) as app:
        assert app.settings.backup_provider == "local"
        assert SYNC not in app.service.scheduler.next_runs()
        assert {JobId.APPROVALS, JobId.DIGEST} <= set(app.service.scheduler.next_runs())
        assert app.service.scheduler.run_now(SYNC) is RunOutcome.UNKNOWN
