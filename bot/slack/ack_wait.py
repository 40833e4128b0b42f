"""The thread dispatching a Slack request waits for its listener's ack on an event, not by polling.

Bolt's thread runner hands the listener to the listener executor, then checks `ack.response`
every 10 ms until the listener acks (slack_bolt/listener/thread_runner.py). A view submission is
acked only after its checks and database work, so under a burst of 50 submissions that is
thousands of wake-ups a second, each taking the GIL from the listeners doing that work and
delaying every ack of the burst. Inside `waiting_for`, the runner's sleep waits on the ack's
event instead and wakes the moment the listener acks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from slack_bolt.listener import thread_runner

# Bolt answers a listener's error by setting `ack.response` itself, without calling the ack (so
# the event is never set): the runner still sees that answer within this many seconds.
RECHECK_SECONDS = 0.1

_dispatching = threading.local()


class _AckClock:
    """What Bolt's thread runner uses of the `time` module: `time()`, and a `sleep()` that, on a
    thread dispatching inside `waiting_for`, waits for that request's ack."""

    time = staticmethod(time.time)

    @staticmethod
    def sleep(seconds: float) -> None:
        answered: threading.Event | None = getattr(_dispatching, "answered", None)
        if answered is None:
            time.sleep(seconds)
        else:
            answered.wait(max(seconds, RECHECK_SECONDS))


def install() -> None:
    """Make Bolt's thread runner wait through `_AckClock` (idempotent). Requests dispatched
    outside `waiting_for` wait as Bolt does."""
    thread_runner.time = _AckClock  # type: ignore[attr-defined,assignment]


@contextmanager
def waiting_for(answered: threading.Event) -> Iterator[None]:
    """While the calling thread dispatches one request, its wait for the ack ends when `answered`
    is set."""
    _dispatching.answered = answered
    try:
        yield
    finally:
        _dispatching.answered = None
