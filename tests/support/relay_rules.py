"""The limits a real relay enforces, for SMTP sinks (tests and the relay bench): a message rate, a
number of connections at once and a daily cap, answered as Exchange Online answers them when
exceeded. Exchange's own figures are 30 messages a minute, 3 connections and 10,000 recipients a
day (https://learn.microsoft.com/en-us/exchange/troubleshoot/send-emails/smtp-submission-improvements);
sinks use scaled-down ones so that a run takes seconds.

- Connections: a session beyond `max_connections` gets Exchange's reply to MAIL FROM,
  "432 4.3.2 Concurrent connections limit exceeded" (the same page).
- Rate: at most `rate_per_minute * window / 60` messages admitted in any `window` seconds (a
  sliding window: stricter than a fixed minute, which lets a whole minute's messages through at
  once). A message over it gets a 4.7.x policy reply that says when to come back (in whole
  seconds, at least one).
- Daily cap: after `daily_cap` messages, Exchange's daily-limit reply "554 5.2.0
  STOREDRV.Submission.Exception:SubmissionQuotaExceededException" (the same page).
- `scripted`: replies given to MAIL FROM for chosen messages (1-based count of MAIL commands),
  e.g. {40: "421 4.7.0 Try again later, closing connection"}.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

CONNECTIONS_REPLY = "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information."
DAILY_REPLY = (
    "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process "
    "message due to a permanent exception with message Cannot submit message."
)


@dataclass
class RelayRules:
    rate_per_minute: int | None = None
    window: float = 60.0
    max_connections: int | None = None
    daily_cap: int | None = None
    scripted: Mapping[int, str] = field(default_factory=dict)
    # What happened, for assertions.
    throttled: int = 0
    refused_connections: int = 0
    quota_replies: int = 0
    most_connections: int = 0
    # time.monotonic() of each MAIL command, and of those answered with a refusal.
    mail_times: list[float] = field(default_factory=list)
    refusal_times: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._admitted: deque[float] = deque()
        self._open: list[object] = []
        self._mails = 0
        self._today = 0

    def opened(self, session: object) -> None:
        with self._lock:
            self._open.append(session)
            self.most_connections = max(self.most_connections, len(self._open))

    def closed(self, session: object) -> None:
        with self._lock:
            if session in self._open:
                self._open.remove(session)

    def on_mail(self, session: object) -> str | None:
        """The reply to MAIL FROM when a limit refuses it; None to go on."""
        now = time.monotonic()
        with self._lock:
            self.mail_times.append(now)
            refusal = self._refusal(session, now)
            if refusal is not None:
                self.refusal_times.append(now)
            return refusal

    def _refusal(self, session: object, now: float) -> str | None:
        """Called holding the lock."""
        self._mails += 1
        scripted = self.scripted.get(self._mails)
        if scripted is not None:
            self.throttled += 1
            return scripted
        if self.max_connections is not None and session in self._open[self.max_connections :]:
            self.refused_connections += 1
            return CONNECTIONS_REPLY
        if self.daily_cap is not None and self._today >= self.daily_cap:
            self.quota_replies += 1
            return DAILY_REPLY
        if self.rate_per_minute is not None:
            cap = max(1, int(self.rate_per_minute * self.window / 60))
            while self._admitted and self._admitted[0] <= now - self.window:
                self._admitted.popleft()
            if len(self._admitted) >= cap:
                self.throttled += 1
                wait = max(1, math.ceil(self._admitted[0] + self.window - now))
                return f"451 4.7.0 Message rate limit exceeded; try again in {wait} seconds"
            self._admitted.append(now)
        self._today += 1
        return None

    def new_day(self) -> None:
        with self._lock:
            self._today = 0
