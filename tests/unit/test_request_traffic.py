"""Background work waits for a lull in Slack requests: not while any request waits for its ack,
soon after the last one is acked, and never longer than its patience."""

from __future__ import annotations

import threading
import time

from bot.traffic import RequestTraffic

QUIET = 0.05


def _request_for(traffic: RequestTraffic, seconds: float) -> threading.Thread:
    """A request waiting `seconds` for its ack, on a thread of its own (started, in flight)."""
    entered = threading.Event()

    def run() -> None:
        with traffic.request():
            entered.set()
            time.sleep(seconds)

    thread = threading.Thread(target=run)
    thread.start()
    entered.wait()
    return thread


def test_with_no_request_in_flight_work_goes_on_at_once() -> None:
    traffic = RequestTraffic(quiet=QUIET)
    started = time.monotonic()
    assert traffic.lull(timeout=1.0)
    assert time.monotonic() - started < QUIET


def test_work_waits_until_the_last_ack_is_out_and_the_quiet_period_has_passed() -> None:
    traffic = RequestTraffic(quiet=QUIET)
    first, second = _request_for(traffic, 0.2), _request_for(traffic, 0.3)
    started = time.monotonic()
    assert traffic.lull(timeout=2.0)
    waited = time.monotonic() - started
    assert 0.3 + QUIET * 0.9 <= waited < 1.0
    first.join()
    second.join()


def test_requests_that_never_stop_hold_a_run_of_work_no_longer_than_its_patience() -> None:
    traffic = RequestTraffic(quiet=QUIET, patience=0.2)
    busy = _request_for(traffic, 1.0)
    lulls = traffic.lulls()
    started = time.monotonic()
    for _ in range(5):  # every wait of the run shares the one patience
        lulls()
    assert 0.18 <= time.monotonic() - started < 0.5
    busy.join()
