"""Whether Slack requests are waiting for their acks: the signal background work that can wait
(the outbox worker) uses to stand aside while a burst of requests is acknowledged.

With the GIL, every thread of the process shares one CPU: a worker provisioning users and
posting cards during a burst delays every ack still to go out. Its work can wait a moment (its
follow-ups reach Slack a little later); a person waiting on a modal cannot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class RequestTraffic:
    def __init__(self, *, quiet: float = 0.03, patience: float = 1.0) -> None:
        # A burst reaches the server over some milliseconds: a lull is this long without a
        # request waiting for its ack.
        self.quiet = quiet
        # How long a run of background work waits for lulls at most (see `lulls`): requests
        # that never stop must not starve it.
        self.patience = patience
        self._waiting = 0  # requests dispatched whose ack is not out yet
        self._at_edge = 0  # requests the web server has begun reading and not yet answered
        self._last_acked = float("-inf")
        self._changed = threading.Condition()

    @contextmanager
    def request(self) -> Iterator[None]:
        """Around the dispatch of one request, until its ack is out."""
        with self._changed:
            self._waiting += 1
        try:
            yield
        finally:
            with self._changed:
                self._waiting -= 1
                self._last_acked = time.monotonic()
                if self._waiting == 0:
                    self._changed.notify_all()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around one HTTP request at the web server, from its first byte read to its answer.
        A burst reaches the server before much of it is dispatched: its first request, dispatched
        while the others are still being read, must not look like one that came alone."""
        with self._changed:
            self._at_edge += 1
        try:
            yield
        finally:
            with self._changed:
                self._at_edge -= 1

    @property
    def at_edge(self) -> int:
        return self._at_edge

    def lull(self, timeout: float) -> bool:
        """Wait until no request has waited for its ack for `quiet` seconds, at most `timeout`;
        False when the time ran out first (the work then goes on anyway)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                now = time.monotonic()
                settling = self._last_acked + self.quiet - now if self._waiting == 0 else None
                if settling is not None and settling <= 0:
                    return True
                remaining = deadline - now
                if remaining <= 0:
                    return False
                self._changed.wait(remaining if settling is None else min(remaining, settling))

    def lulls(self) -> Callable[[], None]:
        """`lull` for a run of work (one claim of the outbox and its deliveries): all the calls
        together wait at most `patience`."""
        deadline = time.monotonic() + self.patience

        def wait() -> None:
            self.lull(max(0.0, deadline - time.monotonic()))

        return wait
