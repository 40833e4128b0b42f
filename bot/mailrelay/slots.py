"""SMTP_MAX_CONNECTIONS across replicas: a row per connection slot, leased by the replica whose
open SMTP session holds it. A lease is renewed while the session is used and expires when its
replica dies without giving it back, so a crash never locks a slot for good."""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.clock import Clock
from bot.db import Database
from bot.mailrelay.models import MailRelaySlot

# Renewed every third of it while in use: a dead replica's slots are free again this soon.
LEASE = timedelta(seconds=20)


class SlotLease:
    def __init__(self, slots: DatabaseSlots, slot: int, holder: str) -> None:
        self._slots = slots
        self.slot = slot
        self.holder = holder
        self._renewed_at = time.monotonic()
        self._released = False

    def renew(self) -> bool:
        """Extend the lease when a third of it has passed (a database write at most that often);
        False when the lease expired and another replica holds the slot now."""
        if self._released:
            return False
        if time.monotonic() - self._renewed_at < self._slots.lease.total_seconds() / 3:
            return True
        kept = self._slots.extend(self)
        self._renewed_at = time.monotonic()
        return kept

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._slots.give_back(self)


class DatabaseSlots:
    """ConnectionSlots in the shared database (PostgreSQL for replicas; SQLite for one process)."""

    def __init__(
        self, db: Database, clock: Clock, relay: str, size: int, *, lease: timedelta = LEASE
    ) -> None:
        self.db = db
        self.clock = clock
        self.relay = relay
        self.size = size
        self.lease = lease
        self._prefix = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._numbers = itertools.count(1)
        self._ready = False
        self._lock = threading.Lock()

    def take(self) -> SlotLease | None:
        self._ensure_rows()
        now = self.clock.now()
        free = (
            select(MailRelaySlot.slot)
            .where(
                MailRelaySlot.relay == self.relay,
                MailRelaySlot.slot < self.size,
                or_(MailRelaySlot.holder.is_(None), MailRelaySlot.expires_at < now),
            )
            .order_by(MailRelaySlot.slot)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        holder = f"{self._prefix}-{next(self._numbers)}"
        with self.db.write() as connection:
            slot = connection.execute(free).scalar()
            if slot is None:
                return None
            connection.execute(
                update(MailRelaySlot)
                .where(MailRelaySlot.relay == self.relay, MailRelaySlot.slot == slot)
                .values(holder=holder, expires_at=now + self.lease)
            )
        return SlotLease(self, int(slot), holder)

    def extend(self, lease: SlotLease) -> bool:
        with self.db.write() as connection:
            result = connection.execute(
                update(MailRelaySlot)
                .where(self._held_by(lease))
                .values(expires_at=self.clock.now() + self.lease)
            )
        return bool(result.rowcount)

    def give_back(self, lease: SlotLease) -> None:
        with self.db.write() as connection:
            connection.execute(
                update(MailRelaySlot).where(self._held_by(lease)).values(holder=None, expires_at=None)
            )

    def held(self) -> int:
        """Slots held now, by any replica (for tests and `deskops doctor`)."""
        now = self.clock.now()
        with self.db.read() as session:
            return len(
                session.scalars(
                    select(MailRelaySlot.slot).where(
                        MailRelaySlot.relay == self.relay,
                        MailRelaySlot.holder.is_not(None),
                        MailRelaySlot.expires_at >= now,
                    )
                ).all()
            )

    def _held_by(self, lease: SlotLease) -> ColumnElement[bool]:
        return and_(
            MailRelaySlot.relay == self.relay,
            MailRelaySlot.slot == lease.slot,
            MailRelaySlot.holder == lease.holder,
        )

    def _ensure_rows(self) -> None:
        with self._lock:
            if self._ready:
                return
            insert_for = pg_insert if self.db.is_postgresql else sqlite_insert
            with self.db.write() as connection:
                connection.execute(
                    insert_for(MailRelaySlot)
                    .values([{"relay": self.relay, "slot": n} for n in range(self.size)])
                    .on_conflict_do_nothing(index_elements=["relay", "slot"])
                )
            self._ready = True
