"""The follow-up gate: a click that comes after the previous request was done goes on at once,
however soon after it; one that comes close behind a request still in flight waits for the
dispatcher to be quiet (a burst's acks go out first)."""

from __future__ import annotations

import time

from bot.slack.acks import FollowUpGate

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
