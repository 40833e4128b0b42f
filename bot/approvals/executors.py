"""The executor registry: for each kind of held action, the function that performs it once it
is approved (inside the deciding transaction), and optionally what to do when it is refused.

    register_executor("invitation_batch", release_held_batch, on_closed=drop_held_batch)

Executors are registered when their module is imported (domain modules and the listeners that
use them import it), once per kind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from bot.approvals.models import ApprovalRequest, ApprovalState

if TYPE_CHECKING:
    from bot.deps import Deps


class Executor(Protocol):
    """Performs the held action; returns a sentence for the people involved (or None).

    Raise a DomainError when it can no longer be done (the request then ends as `failed` with
    that sentence); any other exception undoes the whole decision (the request stays pending)."""

    def __call__(
        self, session: Session, request: ApprovalRequest, *, deps: Deps, now: datetime
    ) -> str | None: ...


# Called in the same transaction when a request ends without its action done: rejected, cancelled,
# expired, or failed (approved, but the executor raised a DomainError).
ClosedHook = Callable[[Session, ApprovalRequest, ApprovalState, datetime], None]


@dataclass(frozen=True)
class Registered:
    run: Executor
    on_closed: ClosedHook | None


_registry: dict[str, Registered] = {}
_lock = threading.Lock()


def register_executor(kind: str, run: Executor, *, on_closed: ClosedHook | None = None) -> None:
    """Make `kind` approvable. Registering the same function again is harmless; another one is an error."""
    with _lock:
        existing = _registry.get(kind)
        if existing is not None and existing.run is not run:
            raise ValueError(f"an executor for approval kind {kind!r} is already registered")
        _registry[kind] = Registered(run=run, on_closed=on_closed)


def unregister_executor(kind: str) -> None:
    """For tests that register a kind of their own."""
    with _lock:
        _registry.pop(kind, None)


def executor_for(kind: str) -> Registered | None:
    with _lock:
        return _registry.get(kind)


def registered_kinds() -> list[str]:
    with _lock:
        return sorted(_registry)
