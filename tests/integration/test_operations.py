"""What an operator reads: `deskops serve` with LOG_FORMAT=json writes one JSON object per line
holding no secret; /metrics has the alerting metrics and only labels from closed sets, whatever
outsiders send; `deskops doctor --json`; the outbox and job gauges read the database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.clock import ManualClock
from bot.config import load_settings
from bot.db import Database
from bot.integrations.calls import CallOutcome, Integration
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.scheduler.models import SchedulerRun
from bot.web.edge import UNKNOWN_ROUTE
from bot.web.operator_metrics import OTHER_KIND, DeploymentState
from bot.web.server import SLACK_KINDS
from bot.wiring import build_deps, build_service, deployment_reading
from console import SlackEmulator
from tests.support.net import free_port
from tests.support.slack import bot_environment

SECRET_KEY = "0123456789abcdef" * 3
LINE_KEYS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "slack_user",
    "slack_team",
    "error_reference",
}
OPERATOR_METRICS = {
    "deskops_outbox_oldest_undelivered_age_seconds",
    "deskops_outbox_given_up",
    "deskops_mail_relay_pauses",
    "deskops_integration_call_seconds",
    "deskops_scheduled_job_seconds_since_success",
}


@dataclass
class Served:
    base: str
    env: dict[str, str]
    process: subprocess.Popen[str]


@pytest.fixture
def served(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Served]:
    port = free_port()
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    env = {
        **keep,
        **bot_environment(slack_emulator),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}",
        "SMTP_URL": f"smtp://helpdesk:smtp-pass-5e1f@127.0.0.1:{free_port()}",
        "SECRET_KEY": SECRET_KEY,
        "LOG_FORMAT": "json",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], env=env, cwd=tmp_path, check=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"deskops serve did not come up: {process.communicate(timeout=10)[0]}")
    served = Served(base, env, process)
    try:
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def stop(served: Served) -> str:
    served.process.send_signal(signal.SIGTERM)
    output, _ = served.process.communicate(timeout=30)
    return output


def closed_label_sets(env: dict[str, str]) -> dict[str, set[str]]:
    """Every value each label may take, from the app itself (its routes, outbox kinds and jobs)."""
    settings = load_settings(
        _env_file=None,
        **{
            k.lower(): v
            for k, v in env.items()
            if k.isupper() and k not in ("PATH", "HOME", "LANG", "PYTHONPATH")
        },
    )
    service = build_service(build_deps(settings))
    try:
        routes = {str(getattr(route, "path", "")) for route in service.web.routes} | {UNKNOWN_ROUTE}
        return {
            "route": routes,
            "status": {str(code) for code in range(100, 600)},
            "slack_kind": set(SLACK_KINDS) | {"other"},
            "outbox_kind": set(service.worker.handlers) | {OTHER_KIND},
            "outcome": {"delivered", "failed"} | {outcome.value for outcome in CallOutcome},
            "integration": {integration.value for integration in Integration},
            "job": {job.id for job in service.scheduler.jobs},
        }
    finally:
        service.deps.db.dispose()


def test_json_logs_and_bounded_metrics_of_a_running_server(
    served: Served, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.events_url = f"{served.base}/slack/events"
    slack_emulator.add_user("U0OPS0001", name="operator")
    slack_emulator.add_channel("C0OPS0001", name="ops", members=["U0OPS0001"])
    assert slack_emulator.person("U0OPS0001").slash("/backup", "help", channel="C0OPS0001").status == 200
    slack_emulator.wait_until(lambda: slack_emulator.ephemerals(user="U0OPS0001"))
    # Outsiders: forged Slack requests, made-up paths and links, odd request ids.
    marker = uuid.uuid4().hex
    for path in (f"/activate/{marker}", f"/enroll/{marker}/open", f"/{marker}", f"/slack/events/{marker}"):
        httpx.get(f"{served.base}{path}", headers={"X-Request-ID": f"{marker}\u00e9".encode("latin-1")})
    forged = httpx.post(
        f"{served.base}/slack/events",
        content=f"command=/{marker}&text=x",
        headers={"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": str(int(time.time()))},
    )
    assert forged.status_code == 401
    exposition = httpx.get(f"{served.base}/metrics").text
    doctor = subprocess.run(
        [sys.executable, "-m", "bot.cli", "doctor", "--json"],
        env=served.env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = stop(served)

    # Logs: every line one object with the same keys; the command's line names who asked.
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert all(set(line) >= LINE_KEYS for line in lines), output[:2000]
    [asked] = [line for line in lines if line["message"] == "slack request: /backup"]
    assert asked["slack_user"] == "U0OPS0001" and asked["slack_team"] == slack_emulator.identity.team_id
    assert asked["request_id"] and len(str(asked["request_id"])) >= 8
    access = [line for line in lines if line["logger"] == "deskops.access"]
    assert len({line["request_id"] for line in access}) == len(access) >= 5
    for secret in (
        slack_emulator.signing_secret,
        slack_emulator.bot_token,
        SECRET_KEY,
        "smtp-pass-5e1f",
    ):
        assert secret not in output
    assert f"/activate/{marker}" not in output and f"/enroll/{marker}" not in output  # link tokens

    # Metrics: the operator's are there, and no label value comes from outside a closed set.
    families = {family.name: family for family in text_string_to_metric_families(exposition)}
    assert OPERATOR_METRICS - {"deskops_scheduled_job_seconds_since_success"} <= set(families)
    allowed = closed_label_sets(served.env)
    for family in families.values():
        for sample in family.samples:
            for label, value in sample.labels.items():
                if label == "le":
                    float(value)
                    continue
                key = label
                if label == "kind":
                    key = "slack_kind" if family.name.startswith("deskops_slack_requests") else "outbox_kind"
                assert key in allowed, f"{family.name} has the unexpected label {label}"
                assert value in allowed[key], f"{family.name}{{{label}={value!r}}} is not from its closed set"
    assert marker not in exposition

    # doctor --json: one document, each check with a status; the SMTP server is down, so not ok.
    report = json.loads(doctor.stdout)
    assert doctor.returncode == 1 and report["ok"] is False
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses["database"] == "ok" and statuses["slack"] == "ok" and statuses["mail"] == "fail"
    assert "smtp-pass-5e1f" not in doctor.stdout and slack_emulator.bot_token not in doctor.stdout


def test_outbox_age_and_job_success_come_from_the_database(database_url: str) -> None:
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    db = Database(database_url)
    try:
        jobs = ["reminders", "digest"]
        state = DeploymentState(lambda: deployment_reading(db, jobs), ManualClock(now), jobs)
        assert values(state) == {"deskops_outbox_oldest_undelivered_age_seconds": {(): 0.0}}
        with db.transaction() as session:
            for status, age in (
                (OutboxStatus.PENDING, 300),
                (OutboxStatus.DELIVERED, 900),
                (OutboxStatus.FAILED, 800),
            ):
                session.add(
                    OutboxMessage(
                        kind="send_activation_email",
                        payload={},
                        status=status,
                        next_attempt_at=now,
                        created_at=now - timedelta(seconds=age),
                    )
                )
            session.add(
                SchedulerRun(job="reminders", slot="a", replica="r1", started_at=now - timedelta(seconds=90))
            )
            session.add(
                SchedulerRun(job="reminders", slot="b", replica="r2", started_at=now - timedelta(seconds=30))
            )
            session.add(SchedulerRun(job="retired", slot="c", replica="r1", started_at=now))
        assert values(state) == {
            "deskops_outbox_oldest_undelivered_age_seconds": {(): 300.0},
            "deskops_scheduled_job_seconds_since_success": {(("job", "reminders"),): 30.0},
        }
    finally:
        db.dispose()


def values(state: DeploymentState) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in state.collect():
        for sample in family.samples:
            found.setdefault(family.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found
