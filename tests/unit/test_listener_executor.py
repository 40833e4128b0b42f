"""The listener executor hands Bolt's dispatcher the ack as soon as the listener sets it: the
dispatcher returns it without waiting out Bolt's 10 ms look-again, and never waits on a listener
that fails before acking."""

from __future__ import annotations

import threading

from bot.app import TimedExecutor
from bot.slack.acks import GatedAck
from bot.web.metrics import Metrics


def test_submitting_a_listener_returns_once_it_has_acked_while_its_work_goes_on() -> None:
    executor = TimedExecutor(Metrics(), max_workers=4)
    ack = GatedAck(executor.gate)
    working, finish = threading.Event(), threading.Event()

    def listener() -> None:
        ack(text="on it")
        working.set()
        finish.wait(5)

    executor.await_ack(ack)
    future = executor.submit(listener)
    assert ack.response is not None and ack.response.status == 200  # the answer is ready to return
    assert not future.done()  # the listener's work after its ack goes on
    finish.set()
    future.result(timeout=5)
    executor.shutdown()


def test_a_listener_failing_before_its_ack_does_not_hold_the_dispatcher() -> None:
    executor = TimedExecutor(Metrics(), max_workers=4)
    ack = GatedAck(executor.gate)

    def listener() -> None:
        raise RuntimeError("the database is gone")

    executor.await_ack(ack)
    future = executor.submit(listener)
    assert future.done() and ack.response is None  # back at once: Bolt answers the failure
    executor.shutdown()


def test_only_the_listener_of_the_request_being_dispatched_is_awaited() -> None:
    executor = TimedExecutor(Metrics(), max_workers=4)
    finish = threading.Event()
    executor.await_ack(None)
    future = executor.submit(lambda: finish.wait(5))
    assert not future.done()  # a submission with no ack to wait for returns at once
    finish.set()
    future.result(timeout=5)
    executor.shutdown()
