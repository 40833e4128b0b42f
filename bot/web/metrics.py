"""Prometheus metrics, in a registry of the app's own (tests build many apps in one process)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.web.operator_metrics import OperatorMetrics

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "deskops_http_requests", "HTTP requests served", ["route", "status"], registry=self.registry
        )
        self.slack_requests = Counter(
            "deskops_slack_requests", "Requests from Slack by kind", ["kind"], registry=self.registry
        )
        self.ack_seconds = Histogram(
            "deskops_slack_ack_seconds",
            "Time to answer (ack) a Slack request",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "deskops_slack_handler_seconds",
            "Time a listener takes, ack and follow-up work included",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.slack_retries_dropped = Counter(
            "deskops_slack_retries_dropped",
            "Repeated Slack requests recognised and dropped",
            registry=self.registry,
        )
        self.slack_replays_refused = Counter(
            "deskops_slack_replays_refused",
            "Signed Slack requests sent again word for word (not Slack's retries), refused with 401",
            registry=self.registry,
        )
        self.outbox_deliveries = Counter(
            "deskops_outbox_deliveries",
            "Outbox delivery attempts",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "deskops_outbox_depth", "Side effects waiting in the outbox", registry=self.registry
        )

        # What an operator alerts on (outbox age, given up, jobs, relay pauses, Acronis and LDAP calls).
        self.operator = OperatorMetrics(self.registry)

    def watch_outbox_depth(self, read: Callable[[], int]) -> None:
        self.outbox_depth.set_function(lambda: float(read()))

    def record_delivery(self, kind: str, ok: bool) -> None:
        self.outbox_deliveries.labels(kind=kind, outcome="delivered" if ok else "failed").inc()
