"""What an outbox handler is given and answers: the row it delivers, how a delivery failed or
was put off, and the handler's registration with the worker (bot/outbox/worker.py)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    group_key: str | None
    # Until when this worker holds the row: a handler that paces its work stops before then.
    claimed_until: datetime | None = None
    # How long a claim holds its rows (OUTBOX_LEASE_SECONDS).
    lease: timedelta | None = None
    # The claim that holds the row (outbox_messages.claimed_by): its outcome is recorded only
    # while that claim still holds it.
    holder: str | None = None

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


class DeliveryFailed(Exception):
    """A delivery did not happen. The text is shown to the helpdesk as it is."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class DeliveryDeferred(Exception):
    """Not delivered and nothing went wrong (e.g. the mail relay asked us to slow down): the row
    goes back to the queue untouched until `until`, this attempt not counted."""

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


Outcome = DeliveryFailed | DeliveryDeferred | None


@dataclass(frozen=True)
class OutboxHandler:
    deliver: Callable[[Delivery], None]
    # Called once when a row is given up on (permanent error or attempts exhausted).
    gave_up: Callable[[Delivery, str], None] | None = None
    # Delivers the rows of this kind that one claim took, in order, and returns what became of
    # each (None: delivered): lets a handler share reads and writes across the claim.
    deliver_many: Callable[[Sequence[Delivery]], Sequence[Outcome]] | None = None
    # With `deliver_many`: how many rows of this kind one claim may take when they are all that
    # is due first (the worker's batch size otherwise). Only for a handler that keeps its work
    # within the lease (`Delivery.claimed_until`), since a longer claim must not outlive it.
    claim_size: int | None = None


def backoff(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 30 minutes, with jitter so replicas do not retry in step."""
    seconds = min(5 * 2 ** max(attempt - 1, 0), 1800)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))
