"""Acks first, follow-up work after them.

Bolt runs each listener on the listener executor: the listener acks, and then does its follow-up
work (database reads, Block Kit, Web API calls) on the same thread. Under a burst of requests that
work competes for the GIL with the requests still waiting for their ack, and it costs several
times what an ack costs. So, once a listener has acked, its follow-up waits until no request is
being dispatched (at most `max_wait`), and at most `concurrency` follow-ups run at a time: the acks
of a burst go out first and the work follows them, in the order the requests came. A request that
came alone (nothing else in flight, the one before it dispatched more than `quiet` earlier) is no
burst: its follow-up goes on at once - a person's click waits for nobody.

Nothing else changes: each listener still runs once, to the end, on its own thread.

A request whose listener acks before doing anything (slash commands, block actions) can also have
its retry check made here, after the ack and before any side effect (`claim_after_ack`): the ack
then never waits for the database. A repeat stops its listener with `RepeatedRequest`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, BoltResponse

from bot.request_keys import AlreadyClaimed
from bot.slack.dedupe import ClaimFailed, RequestClaims
from bot.traffic import RequestTraffic


class FollowUpGate:
    def __init__(
        self,
        *,
        threads: int,
        concurrency: int = 4,
        max_wait: float = 0.5,
        quiet: float = 0.03,
        traffic: RequestTraffic | None = None,
    ) -> None:
        self.threads = threads  # of the listener executor
        # The same signal for the process's background work (the outbox worker).
        self.traffic = traffic or RequestTraffic(quiet=quiet)
        self.concurrency = concurrency
        self.max_wait = max_wait
        # A burst reaches the dispatcher over some milliseconds: follow-ups also wait until no
        # request has been dispatched for this long.
        self.quiet = quiet
        self._last_dispatched = 0.0
        self._idle_since = 0.0  # when nothing was last in flight (no dispatch, no listener)
        self._dispatch_starts: deque[float] = deque(maxlen=2)  # when the last two requests came
        self._changed = threading.Condition()
        self._dispatching = 0  # requests inside App.dispatch: their acks are not out yet
        self._queued = 0  # listeners submitted to the executor and not started yet
        self._started = 0  # listeners started and not finished (acking, waiting or following up)
        self._running = 0  # follow-ups let through and not finished
        self._local = threading.local()

    @contextmanager
    def dispatching(self) -> Iterator[None]:
        with self._changed:
            self._dispatching += 1
            self._dispatch_starts.append(time.monotonic())
        try:
            with self.traffic.request():
                yield
        finally:
            with self._changed:
                self._dispatching -= 1
                self._last_dispatched = time.monotonic()
                self._note_if_idle()
                if self._dispatching == 0:
                    # As many as may run: the dispatcher empties many times in a burst, and
                    # waking every waiting listener each time (up to 50 threads taking the GIL
                    # in turn to find they must wait on) cost the burst's acks. The others are
                    # woken one by one as follow-ups finish.
                    self._changed.notify(self.concurrency)

    def listener_queued(self) -> None:
        with self._changed:
            self._queued += 1
            if self._starved():
                self._changed.notify()

    def listener_started(self) -> None:
        with self._changed:
            self._queued -= 1
            self._started += 1

    def _starved(self) -> bool:
        """Every executor thread is taken and a listener waits for one: it cannot ack until a
        follow-up (which would wait for that ack) goes on and frees its thread."""
        return self._queued > 0 and self._started >= self.threads

    def _quiet_for(self) -> float:
        """How much longer the dispatcher must stay idle before follow-ups go on (0: now)."""
        return max(0.0, self._last_dispatched + self.quiet - time.monotonic())

    def _note_if_idle(self) -> None:
        if self._dispatching == 0 and self._queued == 0 and self._started == 0:
            self._idle_since = time.monotonic()

    def _alone(self) -> bool:
        """The listener asking is the only one in flight (its own request may still be leaving
        the dispatcher with its ack), and its request did not come close behind another still
        in flight: no burst to let through first. A request that came after the one before it
        was done is alone, however soon after."""
        starts = self._dispatch_starts
        spaced = len(starts) < 2 or starts[-1] - starts[-2] > self.quiet or starts[-2] < self._idle_since
        alone_at_edge = self.traffic.at_edge <= 1
        return (
            spaced and alone_at_edge and self._dispatching <= 1 and self._queued == 0 and self._started <= 1
        )

    def _open(self) -> bool:
        if self._starved() or self._alone():
            return self._running < self.concurrency
        return self._dispatching == 0 and self._quiet_for() == 0 and self._running < self.concurrency

    def follow_up(self) -> None:
        """On a listener's thread, right after its ack: wait for this follow-up's turn."""
        if getattr(self._local, "holding", False):
            return
        deadline = time.monotonic() + self.max_wait
        with self._changed:
            while not self._open():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                quiet = self._quiet_for() if self._dispatching == 0 else 0.0
                self._changed.wait(min(remaining, quiet) if quiet > 0 else remaining)
            self._running += 1
        self._local.holding = True

    def finished(self) -> None:
        """On a listener's thread when the listener has returned."""
        holding = getattr(self._local, "holding", False)
        self._local.holding = False
        with self._changed:
            self._started -= 1
            self._note_if_idle()
            if holding:
                self._running -= 1
                self._changed.notify()


class RepeatedRequest(BaseException):
    """Raised from `ack()` in a listener whose request was already taken (a Slack retry): the
    listener stops before doing anything. A BaseException, so that no listener's own error
    handling answers it as a failure; the listener executor catches it."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class GatedAck(Ack):
    """Bolt's `ack`, after which the calling listener waits for its turn (see FollowUpGate) and,
    when asked to, claims its request key. Acks Bolt itself sends on the dispatching thread
    (events) never wait."""

    def __init__(self, gate: FollowUpGate) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._gate = gate
        self._dispatcher = threading.get_ident()
        self._claim: tuple[RequestClaims, str] | None = None
        self.sent = threading.Event()  # the ack's answer is set: the dispatcher can return it

    def claim_after_ack(self, claims: RequestClaims, key: str) -> None:
        """Claim `key` once the listener has acked, before its first side effect."""
        self._claim = (claims, key)

    def claim_in_listener(self) -> PendingClaim:
        """The listener claims its request key in its own first write (one commit instead of
        two) rather than after this ack: see PendingClaim."""
        claim, self._claim = self._claim, None
        return PendingClaim(*claim) if claim is not None else PendingClaim(None, None)

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        self.sent.set()
        if threading.get_ident() != self._dispatcher:
            self._gate.follow_up()
            claim, self._claim = self._claim, None
            if claim is not None and not claim[0].claim(claim[1]):
                raise RepeatedRequest(claim[1])
        return response


class PendingClaim:
    """A request key its listener claims in the first transaction it writes
    (bot.request_keys.claim_or_stop with `key`). Until that commits, the listener only reads;
    `settled()` around the work stops a repeat (RepeatedRequest) and, when the work fails before
    its write, claims the key alone so that a retry of a failed request is not answered twice.
    `key` is None when there is nothing to claim (no retry check for this request)."""

    def __init__(self, claims: RequestClaims | None, key: str | None) -> None:
        self.claims = claims
        self.key = key

    @contextmanager
    def settled(self) -> Iterator[None]:
        try:
            yield
        except AlreadyClaimed as repeated:
            raise RepeatedRequest(repeated.key) from None
        except Exception:
            if self.claims is not None and self.key is not None:
                _claim_alone(self.claims, self.key)
            raise


def _claim_alone(claims: RequestClaims, key: str) -> None:
    try:
        first = claims.claim(key)
    except ClaimFailed:
        return  # the listener's own error (most likely the same database) is what it reports
    if not first:
        raise RepeatedRequest(key) from None


def claim_in_listener(ack: Ack) -> PendingClaim:
    """`ack.claim_in_listener()` for the ack Bolt gives a listener (any other: nothing to claim)."""
    return ack.claim_in_listener() if isinstance(ack, GatedAck) else PendingClaim(None, None)
