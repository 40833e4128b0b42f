"""Refusing a replayed Slack request: the same signed request sent again word for word.

Slack signs each delivery with its timestamp; Bolt refuses one more than 5 minutes old. Within
those 5 minutes a captured request could be sent again as it is: the (timestamp, signature) pair
of every verified request is remembered for that long, and a second one without
`X-Slack-Retry-Num` gets 401. Slack's own retries carry that header and are recognised by their
request key instead (bot/slack/dedupe.py), on whichever replica they land; a replay sent to
another replica is caught there the same way, so it never acts twice.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 5 * 60 + 60  # Bolt's 5 minutes, and a minute of clock skew


class ReplayGuard:
    def __init__(
        self, *, window_seconds: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: set[tuple[str, str]] = set()
        self._expiry: deque[tuple[float, tuple[str, str]]] = deque()

    def first_time(self, timestamp: str, signature: str) -> bool:
        """True the first time this signed request is seen (and remembers it)."""
        now = self._clock()
        key = (timestamp, signature)
        with self._lock:
            while self._expiry and self._expiry[0][0] <= now:
                self._seen.discard(self._expiry.popleft()[1])
            if key in self._seen:
                return False
            self._seen.add(key)
            self._expiry.append((now + self._window, key))
            return True
