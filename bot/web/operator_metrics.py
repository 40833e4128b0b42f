"""The metrics an operator alerts on (docs/operations.md, "Alerts"): mail and cards stuck in the
outbox, deliveries given up, scheduled jobs that stopped succeeding, a mail relay asking deskops
to slow down, and how the Acronis and LDAP calls go.

Read from the database at scrape time where the answer is the whole deployment's (every replica
reports the same oldest outbox row and the same last successful job run); counted in process
where it is an event. Every label comes from a closed set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.clock import Clock
from bot.db import Database
from bot.integrations.calls import CallOutcome, Integration
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.scheduler.models import SchedulerRun

CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OTHER_KIND = "other"


class DeploymentState(Collector):
    """Gauges read from the database on each scrape."""

    def __init__(self, db: Database, clock: Clock, jobs: Sequence[str]) -> None:
        self.db, self.clock, self.jobs = db, clock, list(jobs)

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterable[Metric]:
        now = self.clock.now()
        with self.db.read() as session:
            oldest = session.scalar(
                select(func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
                )
            )
            runs = dict(
                session.execute(
                    select(SchedulerRun.job, func.max(SchedulerRun.started_at))
                    .where(SchedulerRun.job.in_(self.jobs))
                    .group_by(SchedulerRun.job)
                ).all()
            )
        age = GaugeMetricFamily(
            "deskops_outbox_oldest_undelivered_age_seconds",
            "Age of the oldest outbox row (e-mail, Slack post, platform call) not delivered yet; 0 when none waits",
        )
        age.add_metric([], _seconds_between(oldest, now))
        yield age
        since = GaugeMetricFamily(
            "deskops_scheduled_job_seconds_since_success",
            "Seconds since the scheduled job last succeeded on any replica (absent until it has run once)",
            labels=["job"],
        )
        for job in self.jobs:
            if runs.get(job) is not None:
                since.add_metric([job], _seconds_between(runs[job], now))
        yield since


def _seconds_between(earlier: datetime | None, now: datetime) -> float:
    if earlier is None:
        return 0.0
    if earlier.tzinfo is None:  # an aggregate the column type did not convert: stored as UTC
        earlier = earlier.replace(tzinfo=UTC)
    return max(0.0, (now - earlier).total_seconds())


class OperatorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.outbox_given_up = Counter(
            "deskops_outbox_given_up",
            "Outbox deliveries given up (a permanent error, or every attempt failed): someone must look",
            ["kind"],
            registry=registry,
        )
        self.mail_relay_pauses = Counter(
            "deskops_mail_relay_pauses",
            "Times sending paused because the mail relay asked to slow down (421, 4.3.2, 4.7.x, quota)",
            registry=registry,
        )
        self.integration_call_seconds = Histogram(
            "deskops_integration_call_seconds",
            "Calls to Acronis (each HTTP request) and LDAP (each search, user read or group expansion)",
            ["integration", "outcome"],
            buckets=CALL_BUCKETS,
            registry=registry,
        )
        self._known_kinds: frozenset[str] = frozenset()
        # Every series exists from the start, so rate() and absent-based alerts work before the first call.
        for integration in Integration:
            for outcome in CallOutcome:
                self.integration_call_seconds.labels(integration=integration.value, outcome=outcome.value)

    def watch_deployment(self, db: Database, clock: Clock, jobs: Sequence[str]) -> None:
        self.registry.register(DeploymentState(db, clock, jobs))

    def know_outbox_kinds(self, kinds: Iterable[str]) -> None:
        self._known_kinds = frozenset(kinds)
        for kind in (*self._known_kinds, OTHER_KIND):
            self.outbox_given_up.labels(kind=kind)

    def record_given_up(self, kind: str) -> None:
        self.outbox_given_up.labels(kind=kind if kind in self._known_kinds else OTHER_KIND).inc()

    def record_relay_pause(self, reason: str) -> None:
        """The relay asked us to slow down, or said its daily quota is used up (bot.mailrelay)."""
        self.mail_relay_pauses.inc()

    def record_call(self, integration: Integration, seconds: float, outcome: CallOutcome) -> None:
        self.integration_call_seconds.labels(integration=integration.value, outcome=outcome.value).observe(
            seconds
        )
