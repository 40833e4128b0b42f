"""The metrics an operator alerts on (docs/operations.md, "Alerts"): mail and cards stuck in the
outbox, deliveries given up, scheduled jobs that stopped succeeding, a mail relay asking deskops
to slow down, and how the Acronis and LDAP calls go.

Read from the database at scrape time (through the reader bot.wiring gives) where the answer is the whole deployment's (every replica
reports the same oldest outbox row and the same last successful job run); counted in process
where it is an event. Every label comes from a closed set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.clock import Clock
from bot.integrations.calls import CallOutcome, Integration

CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OTHER_KIND = "other"


@dataclass(frozen=True)
class DeploymentReading:
    """What the database says about the whole deployment, read at scrape time."""

    oldest_undelivered: datetime | None  # when the oldest outbox row still waiting was queued
    job_successes: dict[str, datetime]  # job -> when it last succeeded, on any replica


class DeploymentState(Collector):
    """Gauges read on each scrape (the composition root says how to read them)."""

    def __init__(self, read: Callable[[], DeploymentReading], clock: Clock, jobs: Sequence[str]) -> None:
        self.read, self.clock, self.jobs = read, clock, list(jobs)

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterable[Metric]:
        now = self.clock.now()
        reading = self.read()
        age = GaugeMetricFamily(
            "deskops_outbox_oldest_undelivered_age_seconds",
            "Age of the oldest outbox row (e-mail, Slack post, platform call) not delivered yet; 0 when none waits",
        )
        age.add_metric([], _seconds_between(reading.oldest_undelivered, now))
        yield age
        since = GaugeMetricFamily(
            "deskops_scheduled_job_seconds_since_success",
            "Seconds since the scheduled job last succeeded on any replica (absent until it has run once)",
            labels=["job"],
        )
        for job in self.jobs:
            if job in reading.job_successes:
                since.add_metric([job], _seconds_between(reading.job_successes[job], now))
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

    def watch_deployment(
        self, read: Callable[[], DeploymentReading], clock: Clock, jobs: Sequence[str]
    ) -> None:
        self.registry.register(DeploymentState(read, clock, jobs))

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
