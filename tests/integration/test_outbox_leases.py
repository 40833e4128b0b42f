"""A claim that outlives its lease (a stalled thread) loses its rows to the next claim, in the same
process too: what the stalled claim answers afterwards changes nothing, so the row is not
delivered a third time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.db import Database
from bot.outbox.handlers import Delivery, DeliveryDeferred, DeliveryFailed, OutboxHandler
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.outbox.service import enqueue
from bot.outbox.worker import OutboxWorker

LEASE = timedelta(seconds=2)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.mark.parametrize(
    "stalled_answer",
    [
        DeliveryDeferred(
            "the relay asked us to slow down", until=datetime(2026, 12, 3, 12, 0, 5, tzinfo=UTC)
        ),
        DeliveryFailed("connection reset"),
    ],
    ids=["deferred", "failed"],
)
def test_a_stalled_claim_does_not_undo_the_claim_that_took_its_row_over(
    database: Database, stalled_answer: Exception
) -> None:
    clock = ManualClock(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    stalled, resume = threading.Event(), threading.Event()
    calls: list[int] = []

    def deliver(delivery: Delivery) -> None:
        calls.append(delivery.id)
        if len(calls) == 1:  # the first claim stalls past its lease, then answers
            stalled.set()
            resume.wait(10)
            raise stalled_answer

    worker = OutboxWorker(database, {"test.note": OutboxHandler(deliver)}, clock, threads=2, lease=LEASE)
    with database.transaction() as session:
        enqueue(session, kind="test.note", payload={}, now=clock.now())

    first = threading.Thread(target=worker.run_once)
    first.start()
    assert stalled.wait(10)
    clock.advance(LEASE + timedelta(seconds=1))
    assert worker.run_once() == 1  # the lease ran out: another claim of this process delivers it
    resume.set()
    first.join(10)

    clock.advance(timedelta(minutes=10))
    assert worker.drain() == 0, "the stalled claim's answer put the row back in line"
    assert len(calls) == 2
    with database.read() as session:
        assert session.scalars(select(OutboxMessage.status)).one() is OutboxStatus.DELIVERED
