"""Two `deskops serve` processes on one PostgreSQL database, as two replicas behind a load
balancer: a due scheduled job runs once, jobs ticking every second on both run once per slot, and
every outbox row is delivered once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.config import load_settings
from bot.db import Database
from bot.digest.schedule import digest_period
from bot.digest.service import queue_digest
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.scheduler.models import SchedulerRun
from console import SlackEmulator
from tests.support.channels import DIGEST_CHANNEL, add_invitation_rows, seed_channels
from tests.support.database import create_postgres_database, drop_postgres_database
from tests.support.log_secrets import check_process_log
from tests.support.net import free_port
from tests.support.slack import HELPDESK_CHANNEL, bot_environment

PAST_DIGESTS = 30
pytestmark = pytest.mark.postgres


@pytest.fixture
def shared_database() -> Iterator[str]:
    name = f"deskops_replicas_{uuid.uuid4().hex[:10]}"
    url = create_postgres_database(name)
    yield url
    drop_postgres_database(name)


# Today's digest was due a minute ago, while both replicas were down.
DIGEST_DUE = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)


def replica_environment(emulator: SlackEmulator, url: str, tmp_path: Path, port: int) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return {
        **keep,
        **bot_environment(emulator),
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SMTP_URL": str(tmp_path / "outbox"),
        "SECRET_KEY": "test-secret-key-for-link-tokens-0123456789",
        "HELPDESK_CHANNEL": HELPDESK_CHANNEL,
        "DIGEST_CHANNEL": DIGEST_CHANNEL,
        "DIGEST_TIME": f"{DIGEST_DUE:%H:%M}",
        "TIMEZONE": "UTC",
        "SCHEDULER_INTERVAL_SECONDS": "1",
        "LOG_LEVEL": "INFO",
    }


def start_replica(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "deskops", "serve"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_healthy(port: int, replica: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica.poll() is not None:
            raise AssertionError(
                f"replica on {port} exited: {replica.stdout.read() if replica.stdout else ''}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"replica on {port} did not come up")


def stop(replica: subprocess.Popen[str]) -> str:
    if replica.poll() is None:
        replica.send_signal(signal.SIGINT)
        try:
            replica.wait(timeout=20)
        except subprocess.TimeoutExpired:
            replica.kill()
            replica.wait()
    return replica.stdout.read() if replica.stdout else ""


def seed(url: str, emulator: SlackEmulator, tmp_path: Path) -> None:
    """Thirty digests of past days waiting in the outbox, yesterday's digest run, and an invitation
    expiring tomorrow."""
    settings = load_settings(
        _env_file=None, **{k.lower(): v for k, v in replica_environment(emulator, url, tmp_path, 1).items()}
    )
    db = Database(url)
    try:
        now = datetime.now(UTC)
        with db.transaction() as session:
            for offset in range(PAST_DIGESTS):
                day = date(2020, 1, 1) + timedelta(days=offset)
                start, end = digest_period(day, settings.digest_time, settings.zone)
                queue_digest(session, channel=DIGEST_CHANNEL, day=day, start=start, end=end, now=now)
            # The digest ran yesterday (so a missed run is caught up at the next start).
            yesterday = DIGEST_DUE.date() - timedelta(days=1)
            session.add(
                SchedulerRun(job="digest", slot=yesterday.isoformat(), replica="before", started_at=now)
            )
        add_invitation_rows(
            db, email="sara@acme.example", name="Sara Soon", now=now, expires_in=timedelta(hours=10)
        )
    finally:
        db.dispose()


def test_two_replicas_run_a_due_job_once_and_deliver_each_outbox_row_once(
    slack_emulator: SlackEmulator, shared_database: str, tmp_path: Path
) -> None:
    seed_channels(slack_emulator)
    seed(shared_database, slack_emulator, tmp_path)
    ports = [free_port(), free_port()]
    replicas = [
        start_replica(replica_environment(slack_emulator, shared_database, tmp_path, p), tmp_path)
        for p in ports
    ]
    logs: list[str] = []
    try:
        for port, replica in zip(ports, replicas, strict=True):
            wait_healthy(port, replica)
        digest = slack_emulator.channel(DIGEST_CHANNEL)
        slack_emulator.wait_until(lambda: len(digest.messages()) >= PAST_DIGESTS + 1, timeout=30)
        slack_emulator.wait_until(lambda: slack_emulator.channel(HELPDESK_CHANNEL).messages(), timeout=10)
        time.sleep(3)  # both replicas keep ticking every second: nothing may come twice
    finally:
        logs = [check_process_log(stop(replica), source="deskops serve (replica)") for replica in replicas]

    days = Counter(m.text for m in slack_emulator.channel(DIGEST_CHANNEL).messages())
    assert len(days) == PAST_DIGESTS + 1, days
    assert set(days.values()) == {1}, [d for d, n in days.items() if n > 1]
    today = DIGEST_DUE.date()
    assert any(f"{today.day} {today:%B %Y}" in text for text in days)
    [reminder] = slack_emulator.channel(HELPDESK_CHANNEL).messages()
    assert "Sara Soon" in reminder.all_text()
    db = Database(shared_database)
    try:
        with db.read() as session:
            statuses = Counter(session.scalars(select(OutboxMessage.status)))
    finally:
        db.dispose()
    assert statuses == {OutboxStatus.DELIVERED: sum(statuses.values())}
    # Both replicas ran their schedulers, and found runs taken by the other.
    for log in logs:
        assert "scheduler:" in log, log[-3000:]
    skipped = sum(log.count("already ran; skipped") + log.count("running on another replica") for log in logs)
    for log in logs:
        assert "Traceback" not in log, log[-4000:]
    assert skipped >= 1, "the replicas never raced for a run: " + "\n".join(log[-2000:] for log in logs)
