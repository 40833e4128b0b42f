"""The follow-up gate: a click that comes after the previous request was done goes on at once,
however soon after it; one that comes close behind a request still in flight waits for the
dispatcher to be quiet (a burst's acks go out first)."""

from __future__ import annotations

import time

from bot.slack.acks import FollowUpGate
from bot.traffic import RequestTraffic

QUIET = 0.2  # long enough that "at once" and "after the quiet period" cannot be confused


def _request(gate: FollowUpGate) -> float:
    """One request through the gate, its listener acking then following up; seconds waited."""
    with gate.dispatching():
        gate.listener_queued()
    gate.listener_started()
    started = time.monotonic()
    gate.follow_up()
    waited = time.monotonic() - started
    gate.finished()
    return waited


def test_a_request_after_the_previous_one_was_done_goes_on_at_once() -> None:
    gate = FollowUpGate(threads=4, quiet=QUIET, max_wait=1.0)
    _request(gate)
    assert _request(gate) < QUIET / 4  # well inside the quiet period since the first


def test_a_request_close_behind_one_still_in_flight_waits_for_the_quiet_period() -> None:
    gate = FollowUpGate(threads=4, quiet=QUIET, max_wait=1.0)
    with gate.dispatching():
        gate.listener_queued()
    gate.listener_started()  # the first request's listener has acked and is still working
    with gate.dispatching():
        gate.listener_queued()
    gate.finished()  # the first is done just before the second's listener asks
    gate.listener_started()
    started = time.monotonic()
    gate.follow_up()
    assert time.monotonic() - started > QUIET / 2
    gate.finished()


def test_the_first_request_of_a_burst_still_being_read_waits_for_the_others() -> None:
    """Fifty requests reach the web server within milliseconds, but the first is dispatched while
    the others are still being read: it must not look like a request that came alone."""
    traffic = RequestTraffic(quiet=QUIET)
    gate = FollowUpGate(threads=4, quiet=QUIET, max_wait=1.0, traffic=traffic)
    with traffic.answering(), traffic.answering():  # its own request, and one still being read
        with gate.dispatching():
            gate.listener_queued()
        gate.listener_started()
        started = time.monotonic()
        gate.follow_up()
        waited = time.monotonic() - started
        gate.finished()
    assert waited > QUIET / 2


def test_a_request_alone_at_the_web_server_goes_on_at_once() -> None:
    traffic = RequestTraffic(quiet=QUIET)
    gate = FollowUpGate(threads=4, quiet=QUIET, max_wait=1.0, traffic=traffic)
    with traffic.answering():
        assert _request(gate) < QUIET / 4
