"""Calls to Acronis and LDAP are timed and classified for /metrics by closed outcomes, and the
request's log context follows a listener onto Bolt's worker thread."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.app import TimedExecutor
from bot.integrations.calls import (
    CallOutcome,
    Integration,
    IntegrationCalls,
    ObservedDirectory,
    ObservedTransport,
)
from bot.integrations.directory.file import FileDirectory
from bot.integrations.directory.port import DirectoryError, DirectoryUser, MatchMode, SearchResult
from bot.log_context import REQUEST_ID, SLACK_USER, request_context, slack_context
from bot.web.metrics import Metrics


def recorded(calls: IntegrationCalls) -> list[tuple[Integration, CallOutcome]]:
    seen: list[tuple[Integration, CallOutcome]] = []
    calls.subscribe(lambda integration, seconds, outcome: seen.append((integration, outcome)))
    return seen


def answering(status: int) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status))


def refusing(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


def test_each_http_call_is_classified() -> None:
    calls = IntegrationCalls()
    seen = recorded(calls)
    for status in (200, 404, 429, 503):
        with httpx.Client(
            transport=ObservedTransport(answering(status), calls, Integration.ACRONIS)
        ) as client:
            client.get("https://eu2-cloud.acronis.example/api/2/users")
    with (
        httpx.Client(
            transport=ObservedTransport(httpx.MockTransport(refusing), calls, Integration.ACRONIS)
        ) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get("https://eu2-cloud.acronis.example/api/2/users")
    assert [outcome for _, outcome in seen] == [
        CallOutcome.OK,
        CallOutcome.CLIENT_ERROR,
        CallOutcome.SERVER_ERROR,
        CallOutcome.SERVER_ERROR,
        CallOutcome.UNREACHABLE,
    ]
    assert {integration for integration, _ in seen} == {Integration.ACRONIS}


class BrokenDirectory:
    def search(self, text: str, mode: MatchMode = MatchMode.BEGINS_WITH, limit: int = 20) -> SearchResult:
        raise DirectoryError("the directory at 127.0.0.1:389 refused the bind")

    def expand_group(self, group_id: str) -> Iterator[DirectoryUser]:
        raise DirectoryError("the directory at 127.0.0.1:389 did not answer")
        yield  # a generator, as LdapDirectory's

    def get_user(self, user_id: str) -> DirectoryUser | None:
        return None

    def check(self) -> str:
        return "ok"

    def close(self) -> None:
        pass


def test_directory_operations_are_timed_when_they_end() -> None:
    calls = IntegrationCalls()
    seen = recorded(calls)
    sample = ObservedDirectory(FileDirectory.sample(), calls)
    assert sample.search("Jo").users
    group = sample.search("", limit=1)
    assert group.users == []
    broken = ObservedDirectory(BrokenDirectory(), calls)
    with pytest.raises(DirectoryError):
        broken.search("Jo")
    members = broken.expand_group("cn=all")
    assert seen[-1:] == [(Integration.LDAP, CallOutcome.SERVER_ERROR)]  # not yet iterated: nothing new
    with pytest.raises(DirectoryError):
        list(members)
    assert [outcome for _, outcome in seen] == [
        CallOutcome.OK,
        CallOutcome.OK,
        CallOutcome.SERVER_ERROR,
        CallOutcome.SERVER_ERROR,
    ]


def test_metrics_keep_one_series_per_integration_and_outcome() -> None:
    metrics = Metrics()
    calls = IntegrationCalls()
    calls.subscribe(metrics.operator.record_call)
    calls.record(Integration.LDAP, 0.02, CallOutcome.OK)
    metrics.operator.know_outbox_kinds(["send_activation_email"])
    metrics.operator.record_given_up("send_activation_email")
    metrics.operator.record_given_up("anything a row could say")
    samples = [s for family in metrics.registry.collect() for s in family.samples]
    calls_counted = {
        (s.labels["integration"], s.labels["outcome"]): s.value
        for s in samples
        if s.name == "deskops_integration_call_seconds_count"
    }
    assert len(calls_counted) == len(Integration) * len(CallOutcome)
    assert calls_counted[("ldap", "ok")] == 1 and calls_counted[("acronis", "ok")] == 0
    given_up = {s.labels["kind"]: s.value for s in samples if s.name == "deskops_outbox_given_up_total"}
    assert given_up == {"send_activation_email": 1, "other": 1}


def test_a_listener_logs_under_its_requests_context() -> None:
    executor = TimedExecutor(Metrics(), max_workers=2)
    try:
        with request_context("req-abcdef123456"), slack_context("U0HELEN01", "T0MSP0001"):
            future = executor.submit(lambda: (REQUEST_ID.get(), SLACK_USER.get()))
        assert future.result(timeout=5) == ("req-abcdef123456", "U0HELEN01")
        assert executor.submit(REQUEST_ID.get).result(timeout=5) is None
    finally:
        executor.shutdown(wait=True)
