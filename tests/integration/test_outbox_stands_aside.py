"""The outbox worker stands aside while a burst of Slack requests is being acknowledged (its
work shares the process's GIL with theirs), then delivers as soon as the acks are out."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from bot.clock import SystemClock
from bot.db import Database
from bot.outbox.handlers import Delivery, OutboxHandler
from bot.outbox.service import enqueue
from bot.outbox.worker import OutboxWorker
from bot.traffic import RequestTraffic


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _worker(database: Database, traffic: RequestTraffic, delivered: list[float]) -> OutboxWorker:
    def deliver(_: Delivery) -> None:
        delivered.append(time.monotonic())

    return OutboxWorker(database, {"test.note": OutboxHandler(deliver)}, SystemClock(), traffic=traffic)


def _queue(database: Database, count: int) -> None:
    with database.transaction() as session:
        for index in range(count):
            enqueue(session, kind="test.note", payload={"n": index}, now=SystemClock().now())


def _burst(traffic: RequestTraffic, seconds: float) -> tuple[threading.Thread, list[float]]:
    """A request waiting `seconds` for its ack; the list gets the time its ack went out."""
    acked: list[float] = []
    entered = threading.Event()

    def request() -> None:
        with traffic.request():
            entered.set()
            time.sleep(seconds)
            acked.append(time.monotonic())

    thread = threading.Thread(target=request)
    thread.start()
    entered.wait()
    return thread, acked


def test_the_worker_delivers_nothing_while_acks_are_awaited_and_everything_right_after(
    database: Database,
) -> None:
    traffic = RequestTraffic(quiet=0.02, patience=5.0)
    delivered: list[float] = []
    worker = _worker(database, traffic, delivered)
    _queue(database, 3)
    request, acked = _burst(traffic, 0.4)
    assert worker.run_once() == 3
    request.join()
    assert len(delivered) == 3
    assert min(delivered) >= acked[0]
    assert max(delivered) - acked[0] < 1.0  # soon after the ack


def test_requests_that_never_stop_do_not_starve_the_worker(database: Database) -> None:
    traffic = RequestTraffic(quiet=0.02, patience=0.3)
    delivered: list[float] = []
    worker = _worker(database, traffic, delivered)
    _queue(database, 2)
    request, _ = _burst(traffic, 3.0)
    started = time.monotonic()
    assert worker.run_once() == 2
    assert time.monotonic() - started < 1.5
    request.join()
