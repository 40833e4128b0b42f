"""How long calls to the remote systems take and how they end, for /metrics, without the adapters
knowing anything of Prometheus: adapters report to an `IntegrationCalls`, which /metrics listens to.

Every label comes from a closed set (the `Integration` and `CallOutcome` enums), whatever a remote
system answers: a status code or an error message never becomes a label.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from enum import StrEnum

import httpx

from bot.integrations.directory.port import Directory, DirectoryError, DirectoryUser, MatchMode, SearchResult


class Integration(StrEnum):
    ACRONIS = "acronis"
    LDAP = "ldap"


class CallOutcome(StrEnum):
    OK = "ok"  # answered, 1xx-3xx / an LDAP result
    CLIENT_ERROR = "client_error"  # answered 4xx (not 429): the request was refused, the system is up
    SERVER_ERROR = "server_error"  # answered 5xx or 429; for the directory any DirectoryError
    # (unreachable, bind refused, timed out: the LDAP adapter tells them apart only in words)
    UNREACHABLE = "unreachable"  # no answer: refused connection, timeout, broken connection


CallListener = Callable[[Integration, float, CallOutcome], None]


class IntegrationCalls:
    """Where adapters report each call; listeners (the metrics) subscribe after wiring."""

    def __init__(self) -> None:
        self._listeners: list[CallListener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: CallListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def record(self, integration: Integration, seconds: float, outcome: CallOutcome) -> None:
        for listener in list(self._listeners):
            listener(integration, seconds, outcome)


def outcome_of_status(status: int) -> CallOutcome:
    if status == 429 or status >= 500:
        return CallOutcome.SERVER_ERROR
    if status >= 400:
        return CallOutcome.CLIENT_ERROR
    return CallOutcome.OK


class ObservedTransport(httpx.BaseTransport):
    """An httpx transport that times every request (each retry and token request counts as one)."""

    def __init__(self, inner: httpx.BaseTransport, calls: IntegrationCalls, integration: Integration) -> None:
        self.inner, self.calls, self.integration = inner, calls, integration

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError:
            self.calls.record(self.integration, time.perf_counter() - started, CallOutcome.UNREACHABLE)
            raise
        self.calls.record(
            self.integration, time.perf_counter() - started, outcome_of_status(response.status_code)
        )
        return response

    def close(self) -> None:
        self.inner.close()


class ObservedDirectory:
    """A Directory whose operations (a search, a user read, a whole group expansion) are timed."""

    def __init__(
        self, inner: Directory, calls: IntegrationCalls, integration: Integration = Integration.LDAP
    ):
        self.inner, self.calls, self.integration = inner, calls, integration

    def _timed(self, started: float, outcome: CallOutcome) -> None:
        self.calls.record(self.integration, time.perf_counter() - started, outcome)

    def search(self, text: str, mode: MatchMode = MatchMode.BEGINS_WITH, limit: int = 20) -> SearchResult:
        started = time.perf_counter()
        try:
            result = self.inner.search(text, mode, limit)
        except DirectoryError:
            self._timed(started, CallOutcome.SERVER_ERROR)
            raise
        self._timed(started, CallOutcome.OK)
        return result

    def expand_group(self, group_id: str) -> Iterator[DirectoryUser]:
        started = time.perf_counter()
        try:
            yield from self.inner.expand_group(group_id)
        except DirectoryError:
            self._timed(started, CallOutcome.SERVER_ERROR)
            raise
        self._timed(started, CallOutcome.OK)

    def get_user(self, user_id: str) -> DirectoryUser | None:
        started = time.perf_counter()
        try:
            user = self.inner.get_user(user_id)
        except DirectoryError:
            self._timed(started, CallOutcome.SERVER_ERROR)
            raise
        self._timed(started, CallOutcome.OK)
        return user

    def check(self) -> str:
        return self.inner.check()

    def close(self) -> None:
        self.inner.close()
