"""Delivering the outbox: claim due rows, run their handler, record the outcome.

Rows are claimed in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
replicas drain one outbox without delivering a row twice) and leased: a worker that dies
mid-delivery leaves a lease that expires, and the row is delivered again by someone else.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from bot.clock import Clock
from bot.db import Database
from bot.outbox.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    group_key: str | None

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


class DeliveryFailed(Exception):
    """A delivery did not happen. The text is shown to the helpdesk as it is."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class OutboxHandler:
    deliver: Callable[[Delivery], None]
    # Called once when a row is given up on (permanent error or attempts exhausted).
    gave_up: Callable[[Delivery, str], None] | None = None


def backoff(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 30 minutes, with jitter so replicas do not retry in step."""
    seconds = min(5 * 2 ** max(attempt - 1, 0), 1800)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


@dataclass
class _Outcome:
    delivery: Delivery
    error: DeliveryFailed | None


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, OutboxHandler],
        clock: Clock,
        *,
        threads: int = 2,
        batch_size: int = 20,
        lease: timedelta = timedelta(minutes=2),
        poll_interval: float = 1.0,
        on_outcome: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.db = db
        self.handlers = dict(handlers)
        self.clock = clock
        self.worker_id = f"worker-{uuid.uuid4().hex[:8]}"
        self.thread_count = threads
        self.batch_size = batch_size
        self.lease = lease
        self.poll_interval = poll_interval
        self.on_outcome = on_outcome
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        for index in range(self.thread_count):
            thread = threading.Thread(target=self._loop, name=f"outbox-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.run_once()
            except Exception:
                log.exception("outbox worker: claiming failed; retrying shortly")
                delivered = 0
            if delivered == 0:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    # --- one round ------------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim and deliver one batch of due rows; return how many were processed."""
        deliveries = self._claim()
        outcomes = [self._deliver(delivery) for delivery in deliveries]
        if outcomes:
            self._record(outcomes)
        return len(outcomes)

    def drain(self, *, max_rounds: int = 1000) -> int:
        """Deliver until nothing is due (tests and `deskops` one-shot commands)."""
        total = 0
        for _ in range(max_rounds):
            processed = self.run_once()
            if processed == 0:
                break
            total += processed
        return total

    def _claim(self) -> list[Delivery]:
        now = self.clock.now()
        due = or_(
            and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
        )
        # Polling is a cheap read; only when something is due does the worker take write locks.
        with self.db.read() as session:
            if session.scalar(select(OutboxMessage.id).where(due).limit(1)) is None:
                return []
        with self.db.transaction() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(due)
                .order_by(OutboxMessage.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.status = OutboxStatus.SENDING
                row.claimed_by = self.worker_id
                row.claimed_until = now + self.lease
                row.attempts += 1
            return [
                Delivery(
                    id=row.id,
                    kind=row.kind,
                    payload=dict(row.payload),
                    attempt=row.attempts,
                    max_attempts=row.max_attempts,
                    group_key=row.group_key,
                )
                for row in rows
            ]

    def _deliver(self, delivery: Delivery) -> _Outcome:
        handler = self.handlers.get(delivery.kind)
        if handler is None:
            return _Outcome(delivery, DeliveryFailed(f"no handler for {delivery.kind!r}", permanent=True))
        try:
            handler.deliver(delivery)
        except DeliveryFailed as error:
            log.warning(
                "outbox %s #%s attempt %s failed: %s", delivery.kind, delivery.id, delivery.attempt, error
            )
            return _Outcome(delivery, error)
        except Exception as error:
            log.exception("outbox %s #%s attempt %s crashed", delivery.kind, delivery.id, delivery.attempt)
            return _Outcome(delivery, DeliveryFailed(f"unexpected error ({type(error).__name__})"))
        return _Outcome(delivery, None)

    def _record(self, outcomes: list[_Outcome]) -> None:
        now = self.clock.now()
        gave_up: list[tuple[Delivery, str]] = []
        with self.db.transaction() as session:
            for outcome in outcomes:
                delivery, error = outcome.delivery, outcome.error
                mine = and_(OutboxMessage.id == delivery.id, OutboxMessage.claimed_by == self.worker_id)
                if error is None:
                    values: dict[str, Any] = {
                        "status": OutboxStatus.DELIVERED,
                        "delivered_at": now,
                        "last_error": None,
                        "claimed_until": None,
                    }
                elif error.permanent or delivery.is_last_attempt:
                    values = {"status": OutboxStatus.FAILED, "last_error": str(error), "claimed_until": None}
                    gave_up.append((delivery, str(error)))
                else:
                    wait = (
                        timedelta(seconds=error.retry_after)
                        if error.retry_after is not None
                        else backoff(delivery.attempt)
                    )
                    values = {
                        "status": OutboxStatus.PENDING,
                        "next_attempt_at": now + wait,
                        "last_error": str(error),
                        "claimed_until": None,
                    }
                session.execute(update(OutboxMessage).where(mine).values(**values))
                if self.on_outcome is not None:
                    self.on_outcome(delivery.kind, error is None)
        for delivery, reason in gave_up:
            handler = self.handlers.get(delivery.kind)
            if handler is not None and handler.gave_up is not None:
                try:
                    handler.gave_up(delivery, reason)
                except Exception:
                    log.exception("outbox %s #%s: recording the failure crashed", delivery.kind, delivery.id)
