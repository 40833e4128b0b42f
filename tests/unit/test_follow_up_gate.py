"""The follow-up gate: a click that comes after the previous request was done goes on at once,
however soon after it; one that comes close behind a request still in flight waits for the
dispatcher to be quiet (a burst's acks go out first)."""

from __future__ import annotations

import threading
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
        assert _request(gate) > QUIET / 2


def test_a_request_alone_at_the_web_server_goes_on_at_once() -> None:
    traffic = RequestTraffic(quiet=QUIET)
    gate = FollowUpGate(threads=4, quiet=QUIET, max_wait=1.0, traffic=traffic)
    with traffic.answering():
        assert _request(gate) < QUIET / 4


def test_when_a_burst_is_acked_every_waiting_follow_up_goes_on_as_few_at_a_time_as_allowed() -> None:
    """Waking only as many as may run must lose no one: the rest go on as the first finish,
    long before the gate's own time limit."""
    gate = FollowUpGate(threads=16, concurrency=2, quiet=0.02, max_wait=30.0)
    running, most, done = 0, 0, []
    lock = threading.Lock()
    burst = gate.dispatching()
    burst.__enter__()  # a request of the burst still waiting for its ack

    def listener(number: int) -> None:
        nonlocal running, most
        gate.listener_started()
        gate.follow_up()
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.03)
        with lock:
            running -= 1
            done.append(number)
        gate.finished()

    threads = []
    for number in range(8):
        with gate.dispatching():
            gate.listener_queued()
        threads.append(threading.Thread(target=listener, args=(number,)))
        threads[-1].start()
    time.sleep(0.1)
    assert done == []  # all waiting while the burst's last ack is due
    started = time.monotonic()
    burst.__exit__(None, None, None)
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(done) == list(range(8)) and time.monotonic() - started < 5
    assert most <= 2
