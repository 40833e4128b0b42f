"""Executors: for each kind of held action, the function that performs it once it is approved
(inside the deciding transaction), and optionally what to do when it is refused.

The composition root (bot/wiring.py) builds one `Executors` and registers every kind explicitly,
binding what each executor needs (the backup platform, the audit channel…):

    executors.register(ApprovalKind.INVITATION_BATCH, release_held_batch, on_closed=drop_held_batch)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from bot.approvals.models import ApprovalRequest, ApprovalState


class Executor(Protocol):
    """Performs the held action; returns a sentence for the people involved (or None).

    Raise a DomainError when it can no longer be done (the request then ends as `failed` with
    that sentence); any other exception undoes the whole decision (the request stays pending)."""

    def __call__(self, session: Session, request: ApprovalRequest, *, now: datetime) -> str | None: ...


# Called in the same transaction when a request ends without its action done: rejected, cancelled,
# expired, or failed (approved, but the executor raised a DomainError).
ClosedHook = Callable[[Session, ApprovalRequest, ApprovalState, datetime], None]


@dataclass(frozen=True)
class Registered:
    run: Executor
    on_closed: ClosedHook | None


class Executors:
    """The kinds of held action this deskops can carry out."""

    def __init__(self) -> None:
        self._registry: dict[str, Registered] = {}

    def register(self, kind: str, run: Executor, *, on_closed: ClosedHook | None = None) -> None:
        if kind in self._registry:
            raise ValueError(f"an executor for approval kind {kind!r} is already registered")
        self._registry[kind] = Registered(run=run, on_closed=on_closed)

    def get(self, kind: str) -> Registered | None:
        return self._registry.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._registry)
