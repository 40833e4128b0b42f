"""The customers' languages, kept by each process for a short while.

The Send Enrollment Invitation form shows them with every change a person makes (a search, an
add), and a person waits for each round trip to the database; customers, and so their
languages, change seldom. A change made through this process (any customer inserted, updated or
deleted by the ORM) empties the cache when its transaction ends; a change made by another
replica is seen within `KEEP_FOR` seconds."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from bot.customers.models import Customer

KEEP_FOR = 30.0
_CHANGED = "deskops.customers_changed"
T = TypeVar("T")


class _Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Per database (engine): (read at, default language, value).
        self._kept: weakref.WeakKeyDictionary[Engine, tuple[float, str, Any]] = weakref.WeakKeyDictionary()
        self.generation = 0  # moved on by every change: a read that began before it is not kept

    def forget(self) -> None:
        with self._lock:
            self.generation += 1
            self._kept.clear()

    def get(self, bind: Session | Connection, default: str, read: Callable[[], T]) -> T:
        engine = bind.engine if isinstance(bind, Connection) else bind.get_bind().engine
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(engine)
            generation = self.generation
        if kept is not None and kept[1] == default and now - kept[0] < KEEP_FOR:
            return kept[2]  # type: ignore[no-any-return]
        value = read()
        with self._lock:
            if self.generation == generation:
                self._kept[engine] = (now, default, value)
        return value


languages = _Cache()


def _changed(mapper: Any, connection: Connection, target: Customer) -> None:
    session = Session.object_session(target)
    if session is not None:
        session.info[_CHANGED] = True
    languages.forget()


def _ended(session: Session, *transaction: Any) -> None:
    if session.info.pop(_CHANGED, False):
        # Read while the change was under way: the old value, or one rolled back.
        languages.forget()


for _event in ("after_insert", "after_update", "after_delete"):
    event.listen(Customer, _event, _changed)
event.listen(Session, "after_commit", _ended)
event.listen(Session, "after_soft_rollback", _ended)
