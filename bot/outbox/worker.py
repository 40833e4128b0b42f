"""Delivering the outbox: claim due rows, run their handler, record the outcome.

Rows are claimed in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
replicas drain one outbox without delivering a row twice) and leased: a worker that dies
mid-delivery leaves a lease that expires, and the row is delivered again by someone else.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, update

from bot.clock import Clock
from bot.db import Database
from bot.outbox.handlers import Delivery, DeliveryDeferred, DeliveryFailed, OutboxHandler, Outcome, backoff
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.traffic import RequestTraffic

log = logging.getLogger(__name__)


def _by_kind(deliveries: list[Delivery]) -> dict[str, list[Delivery]]:
    """The claimed rows by kind, kinds in the order they first come, rows in claim order."""
    kinds: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        kinds.setdefault(delivery.kind, []).append(delivery)
    return kinds


# The table, not the mapped class: an ORM update costs several times the statement itself.
_OUTBOX = cast(Table, OutboxMessage.__table__)
_MARK_DELIVERED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _OUTBOX.c.claimed_by == bindparam("holder"))
    .values(status=OutboxStatus.DELIVERED, delivered_at=bindparam("now"), last_error=None, claimed_until=None)
)


# The columns a claim returns, what a Delivery is made of.
_CLAIMED = ("id", "kind", "payload", "attempts", "max_attempts", "group_key", "claimed_until")


@dataclass
class _Outcome:
    delivery: Delivery
    error: DeliveryFailed | DeliveryDeferred | None


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
        on_gave_up: Callable[[str], None] | None = None,
        traffic: RequestTraffic | None = None,
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
        self.on_gave_up = on_gave_up
        self.traffic = traffic  # stands aside while Slack requests wait for acks (bot/traffic.py)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._draining = False  # the last claim took a full batch
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
        stand_aside = self.traffic.lulls() if self.traffic else lambda: None
        stand_aside()
        deliveries = self._claim()
        for kind, rows in _by_kind(deliveries).items():
            handler = self.handlers.get(kind)
            if handler is not None and handler.deliver_many is not None and len(rows) > 1:
                # The handler records what it delivered as it goes (invitation e-mails: each one
                # as sent the moment the SMTP server accepts it) and skips it when it comes again.
                self._record(self._deliver_many(handler.deliver_many, rows))
            else:
                # Each outcome recorded at once: a crash repeats at most the delivery under way.
                for delivery in rows:
                    stand_aside()
                    self._record([self._deliver(delivery)])
        return len(deliveries)

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
        # Polling is a cheap read; only when something is due does the worker take write locks
        # (after a full claim more is most likely due: no need to look first).
        if not self._draining:
            with self.db.read() as session:
                if session.scalar(select(OutboxMessage.id).where(due).limit(1)) is None:
                    return []
        # Each claim its own holder: a row another claim took over after this one's lease ran out
        # (in this process too) is never recorded by this one.
        holder = f"{self.worker_id}-{uuid.uuid4().hex[:12]}"
        with self.db.write() as connection:
            rows = list(connection.execute(self._claim_statement(due, now, self.batch_size, holder)).all())
            bulk = self._bulk_kind(rows)
            if bulk is not None:
                # A full claim of one kind that takes more at once: the rest of its due rows up to
                # its claim size, in the same transaction (one outcome record, one bookkeeping).
                kind, size = bulk
                more = self._claim_statement(
                    and_(due, OutboxMessage.kind == kind), now, size - len(rows), holder
                )
                rows += connection.execute(more).all()
        rows.sort(key=lambda row: int(row.id))
        self._draining = len(rows) >= self.batch_size
        return [
            Delivery(
                row.id,
                row.kind,
                dict(row.payload),
                row.attempts,
                row.max_attempts,
                row.group_key,
                row.claimed_until,
                lease=self.lease,
                holder=holder,
            )
            for row in rows
        ]

    def _claim_statement(self, due: ColumnElement[bool], now: datetime, limit: int, holder: str) -> Any:
        """One statement that claims up to `limit` due rows (oldest first) and returns them."""
        chosen = (
            select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(chosen))
            .values(
                status=OutboxStatus.SENDING,
                claimed_by=holder,
                claimed_until=now + self.lease,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(*(getattr(OutboxMessage, name) for name in _CLAIMED))
        )

    def _bulk_kind(self, rows: Sequence[Any]) -> tuple[str, int] | None:
        """(kind, claim size) when a full claim is all of one kind whose handler takes more."""
        if len(rows) < self.batch_size or len({row.kind for row in rows}) != 1:
            return None
        handler = self.handlers.get(rows[0].kind)
        size = handler.claim_size if handler is not None and handler.deliver_many is not None else None
        return (rows[0].kind, size) if size is not None and size > len(rows) else None

    def _deliver(self, delivery: Delivery) -> _Outcome:
        handler = self.handlers.get(delivery.kind)
        if handler is None:
            return _Outcome(delivery, DeliveryFailed(f"no handler for {delivery.kind!r}", permanent=True))
        try:
            handler.deliver(delivery)
        except DeliveryDeferred as deferred:
            return _Outcome(delivery, deferred)
        except DeliveryFailed as error:
            log.warning(
                "outbox %s #%s attempt %s failed: %s", delivery.kind, delivery.id, delivery.attempt, error
            )
            return _Outcome(delivery, error)
        except Exception as error:
            log.exception("outbox %s #%s attempt %s crashed", delivery.kind, delivery.id, delivery.attempt)
            return _Outcome(delivery, DeliveryFailed(f"unexpected error ({type(error).__name__})"))
        return _Outcome(delivery, None)

    def _deliver_many(
        self, deliver: Callable[[Sequence[Delivery]], Sequence[Outcome]], rows: list[Delivery]
    ) -> list[_Outcome]:
        try:
            errors: list[Outcome] = list(deliver(rows))
        except Exception as crash:
            log.exception("outbox %s: %s rows crashed", rows[0].kind, len(rows))
            errors = [DeliveryFailed(f"unexpected error ({type(crash).__name__})")] * len(rows)
        if len(errors) != len(rows):
            log.error("outbox %s: the handler answered %s of %s rows", rows[0].kind, len(errors), len(rows))
            errors = [DeliveryFailed("unexpected error (the handler lost track of rows)")] * len(rows)
        for delivery, error in zip(rows, errors, strict=True):
            if isinstance(error, DeliveryFailed):
                log.warning(
                    "outbox %s #%s attempt %s failed: %s", delivery.kind, delivery.id, delivery.attempt, error
                )
        return [_Outcome(delivery, error) for delivery, error in zip(rows, errors, strict=True)]

    def _record(self, outcomes: list[_Outcome]) -> None:
        """Each outcome written to its row (only while its claim still holds it), then the rows
        given up on handed to their handler's `gave_up`."""
        now = self.clock.now()
        gave_up: list[tuple[Delivery, str]] = []
        delivered = [outcome.delivery for outcome in outcomes if outcome.error is None]
        with self.db.write() as connection:
            for holder in {delivery.holder for delivery in delivered}:
                ids = [delivery.id for delivery in delivered if delivery.holder == holder]
                connection.execute(_MARK_DELIVERED, {"ids": ids, "holder": holder, "now": now})
            for outcome in outcomes:
                values = self._row_after(outcome, now, gave_up)
                if values is not None:
                    holder = outcome.delivery.holder
                    mine = and_(_OUTBOX.c.id == outcome.delivery.id, _OUTBOX.c.claimed_by == holder)
                    connection.execute(update(_OUTBOX).where(mine).values(**values))
        for delivery, reason in gave_up:
            handler = self.handlers.get(delivery.kind)
            if handler is not None and handler.gave_up is not None:
                try:
                    handler.gave_up(delivery, reason)
                except Exception:
                    log.exception("outbox %s #%s: recording the failure crashed", delivery.kind, delivery.id)

    def _row_after(
        self, outcome: _Outcome, now: datetime, gave_up: list[tuple[Delivery, str]]
    ) -> dict[str, Any] | None:
        """What the row becomes after a deferral or a failure (None: delivered, recorded with the
        claim's other deliveries); a row given up on is added to `gave_up`."""
        delivery, error = outcome.delivery, outcome.error
        if isinstance(error, DeliveryDeferred):
            # Back in line as it was: the claim's attempt is given back.
            return {
                "status": OutboxStatus.PENDING,
                "next_attempt_at": error.until,
                "attempts": _OUTBOX.c.attempts - 1,
                "claimed_until": None,
            }
        if self.on_outcome is not None:
            self.on_outcome(delivery.kind, error is None)
        if error is None:
            return None
        if error.permanent or delivery.is_last_attempt:
            gave_up.append((delivery, str(error)))
            if self.on_gave_up is not None:
                self.on_gave_up(delivery.kind)
            return {"status": OutboxStatus.FAILED, "last_error": str(error), "claimed_until": None}
        wait = (
            timedelta(seconds=error.retry_after)
            if error.retry_after is not None
            else backoff(delivery.attempt)
        )
        return {
            "status": OutboxStatus.PENDING,
            "next_attempt_at": now + wait,
            "last_error": str(error),
            "claimed_until": None,
        }
