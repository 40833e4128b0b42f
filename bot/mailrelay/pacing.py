"""Pacing messages to the relay, across every replica.

SMTP_RATE_PER_MINUTE is held with the generic cell rate algorithm (GCRA, the "virtual scheduling"
form of ITU-T I.371): the relay's row keeps the moment the next message may go; a sender takes
that moment (or now, if it has passed) and moves it on by one emission interval, under the row's
lock, then waits for its moment outside the transaction. Messages are spaced evenly — never a
burst at the top of each minute — and two replicas draw from the one schedule. SMTP_DAILY_LIMIT is
a count per day in TIMEZONE kept in the same row. A relay's "slow down" answer pauses every
replica until the row's `paused_until`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Interval, Row, case, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.clock import Clock
from bot.db import Database
from bot.integrations.mail.port import DeferReason, MailDeferred
from bot.mailrelay.models import MailRelayState

log = logging.getLogger(__name__)

# Timing jitter between taking a moment and the relay receiving the message (threads, network)
# must never make two messages count in one interval: deskops keeps this fraction under the rate.
RATE_MARGIN = 0.03
# The longest a message waits in place for its moment; a later moment sends it back to the queue.
MAX_WAIT_SECONDS = 5.0
# How stale this process's view of a pause may be when no limit makes it read the row anyway.
PAUSE_CHECK_SECONDS = 1.0
LONGEST_PAUSE = timedelta(hours=1)
# A pause that starts within this long after the last one ended continues its streak.
STREAK_GAP = timedelta(minutes=5)
RELAY_PAUSES = (DeferReason.SLOW_DOWN, DeferReason.DAILY_QUOTA)


@dataclass(frozen=True)
class RelayLimits:
    rate_per_minute: int | None
    max_connections: int
    daily_limit: int | None
    pause_seconds: float
    zone: ZoneInfo

    @property
    def interval(self) -> timedelta | None:
        """Time between two messages, a little over 60 s / rate (see RATE_MARGIN)."""
        if self.rate_per_minute is None:
            return None
        return timedelta(seconds=60.0 / self.rate_per_minute * (1 + RATE_MARGIN))

    @property
    def limited(self) -> bool:
        return self.rate_per_minute is not None or self.daily_limit is not None


@dataclass(frozen=True)
class RelayOutlook:
    """What the batch card shows of the relay: any pause, and today's count."""

    limits: RelayLimits
    paused_until: datetime | None
    pause_reason: DeferReason | None
    pause_detail: str | None
    sent_today: int
    pauses: int


def local_day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()


def next_midnight(moment: datetime, zone: ZoneInfo) -> datetime:
    """The start of the next day in `zone` (as an aware UTC-comparable datetime)."""
    local = moment.astimezone(zone)
    tomorrow = (local + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone)


class RelayPacer:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        relay: str,
        limits: RelayLimits,
        *,
        on_pause: Callable[[DeferReason], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.relay = relay
        self.limits = limits
        self.on_pause = on_pause
        self._lock = threading.Lock()
        self._known_pause: tuple[datetime, DeferReason] | None = None
        self._pause_read_at = float("-inf")
        self._row_exists = False
        self._connections = threading.local()

    # --- before each message --------------------------------------------------------------

    def admit(self) -> None:
        """Wait for this message's moment (at most MAX_WAIT_SECONDS), or raise MailDeferred
        saying until when it must wait instead (a pause, today's limit, a later moment)."""
        if not self.limits.limited:
            self._check_known_pause()
            return
        moment = self._take_moment()
        wait = (moment - self.clock.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)

    def _check_known_pause(self) -> None:
        now = self.clock.now()
        if time.monotonic() - self._pause_read_at >= PAUSE_CHECK_SECONDS:
            self._ensure_row()
            with self.db.read() as session:
                row = session.get(MailRelayState, self.relay)
                paused = row.paused_until if row is not None else None
                reason = row.pause_reason if row is not None else None
            with self._lock:
                stored = (paused, DeferReason(reason)) if paused and reason else None
                # A pause this process recorded while the row was being read is not forgotten.
                if stored is not None or self._known_pause is None or self._known_pause[0] <= now:
                    self._known_pause = stored
                self._pause_read_at = time.monotonic()
        known = self._known_pause
        if known is not None and known[0] > now:
            raise _paused(known[0], known[1])

    def _take_moment(self) -> datetime:
        limits = self.limits
        self._ensure_row()
        now = self.clock.now()
        known = self._known_pause
        if known is not None and known[0] > now:
            raise _paused(known[0], known[1])
        if self.db.is_postgresql:
            moment = self._claim_moment(now)
            if moment is not None:
                return moment
        # SQLite (one writer at a time anyway), or PostgreSQL saying no: under the row's lock,
        # take the moment or learn why not.
        with self.db.write() as connection:
            row = self._locked_row(connection)
            if row.paused_until is not None and row.paused_until > now:
                raise _paused(row.paused_until, DeferReason(row.pause_reason or DeferReason.SLOW_DOWN))
            day = local_day(now, limits.zone)
            sent = row.sent_on_day if row.day == day else 0
            if limits.daily_limit is not None and sent >= limits.daily_limit:
                raise MailDeferred(
                    f"today's limit of {limits.daily_limit:,} e-mails (SMTP_DAILY_LIMIT) is reached",
                    reason=DeferReason.DAILY_LIMIT,
                    until=next_midnight(now, limits.zone),
                )
            moment = max(row.next_send_at or now, now)
            if (moment - now).total_seconds() > MAX_WAIT_SECONDS:
                raise MailDeferred(
                    "waiting for its turn under SMTP_RATE_PER_MINUTE", reason=DeferReason.RATE, until=moment
                )
            interval = limits.interval
            connection.execute(
                update(MailRelayState)
                .where(MailRelayState.relay == self.relay)
                .values(
                    next_send_at=moment + interval if interval is not None else row.next_send_at,
                    day=day,
                    sent_on_day=sent + 1,
                )
            )
        return moment

    def _claim_moment(self, now: datetime) -> datetime | None:
        """PostgreSQL: the next moment and today's count taken in one statement, committed at
        once, so the row is locked only while that statement runs (with four threads and two
        replicas drawing from one row, a lock held across round trips would set the pace).
        None when a pause, today's limit or a moment too far ahead says no."""
        limits, state = self.limits, MailRelayState
        at = literal(now, state.next_send_at.type)
        day = local_day(now, limits.zone)
        start = func.greatest(func.coalesce(state.next_send_at, at), at)
        today = case((state.day == day, state.sent_on_day), else_=0)
        interval = limits.interval
        conditions = [
            state.relay == self.relay,
            or_(state.paused_until.is_(None), state.paused_until <= at),
            start <= literal(now + timedelta(seconds=MAX_WAIT_SECONDS), state.next_send_at.type),
        ]
        if limits.daily_limit is not None:
            conditions.append(today < limits.daily_limit)
        statement = (
            update(state)
            .where(*conditions)
            .values(
                next_send_at=start + literal(interval, Interval())
                if interval is not None
                else state.next_send_at,
                sent_on_day=today + 1,
                day=day,
            )
            .returning(state.next_send_at)
        )
        taken = self._autocommit().execute(statement).first()
        if taken is None:
            return None
        following: datetime | None = taken[0]
        return following - interval if following is not None and interval is not None else now

    def _autocommit(self) -> Connection:
        """This thread's own connection for the statement above (no pool checkout and ping each
        message)."""
        connection: Connection | None = getattr(self._connections, "connection", None)
        if connection is None or connection.invalidated or connection.closed:
            connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._connections.connection = connection
        return connection

    # --- after a "slow down" answer -------------------------------------------------------

    def pause(self, deferred: MailDeferred) -> datetime:
        """Record the pause a relay's answer calls for (every replica sees it); returns its end."""
        now = self.clock.now()
        # This process's other threads hold off at once, not only once the row says so.
        self._remember_pause(self._pause_end(deferred, now, streak=1), deferred.reason)
        self._ensure_row()
        with self.db.write() as connection:
            row = self._locked_row(connection)
            ended = row.paused_until
            streak = row.pause_streak + 1 if ended is not None and now - ended < STREAK_GAP else 1
            until = self._pause_end(deferred, now, streak)
            if ended is not None and ended > until:
                until = ended
            connection.execute(
                update(MailRelayState)
                .where(MailRelayState.relay == self.relay)
                .values(
                    paused_until=until,
                    pause_reason=deferred.reason.value,
                    pause_detail=str(deferred)[:500],
                    pauses=MailRelayState.pauses + 1,
                    pause_streak=streak,
                )
            )
        self._remember_pause(until, deferred.reason)
        log.warning("mail relay paused until %s: %s", until.isoformat(timespec="seconds"), deferred)
        if self.on_pause is not None:
            self.on_pause(deferred.reason)
        return until

    def _remember_pause(self, until: datetime, reason: DeferReason) -> None:
        with self._lock:
            self._known_pause = (until, reason)
            self._pause_read_at = time.monotonic()

    def _pause_end(self, deferred: MailDeferred, now: datetime, streak: int) -> datetime:
        if deferred.reason is DeferReason.DAILY_QUOTA:
            return max(next_midnight(now, self.limits.zone), now + timedelta(hours=1))
        if deferred.retry_after is not None:
            return now + timedelta(seconds=deferred.retry_after)
        pause = timedelta(seconds=self.limits.pause_seconds * 2 ** min(streak - 1, 16))
        return now + min(pause, LONGEST_PAUSE)

    # --- for the batch card ---------------------------------------------------------------

    def outlook(self) -> RelayOutlook:
        now = self.clock.now()
        with self.db.read() as session:
            row = session.get(MailRelayState, self.relay)
            if row is None:
                return RelayOutlook(self.limits, None, None, None, sent_today=0, pauses=0)
            paused = row.paused_until is not None and row.paused_until > now
            return RelayOutlook(
                limits=self.limits,
                paused_until=row.paused_until if paused else None,
                pause_reason=DeferReason(row.pause_reason) if paused and row.pause_reason else None,
                pause_detail=row.pause_detail if paused else None,
                sent_today=row.sent_on_day if row.day == local_day(now, self.limits.zone) else 0,
                pauses=row.pauses,
            )

    # --- the row --------------------------------------------------------------------------

    def _ensure_row(self) -> None:
        if self._row_exists:
            return
        insert_for = pg_insert if self.db.is_postgresql else sqlite_insert
        with self.db.write() as connection:
            connection.execute(
                insert_for(MailRelayState)
                .values(relay=self.relay, sent_on_day=0, pauses=0, pause_streak=0)
                .on_conflict_do_nothing(index_elements=["relay"])
            )
        self._row_exists = True

    def _locked_row(self, connection: Connection) -> Row[Any]:
        """The relay's row, locked until the transaction ends (SQLite: the write lock is held)."""
        return connection.execute(
            select(MailRelayState.__table__).where(MailRelayState.relay == self.relay).with_for_update()
        ).one()


def _paused(until: datetime, reason: DeferReason) -> MailDeferred:
    if reason is DeferReason.DAILY_LIMIT or reason is DeferReason.DAILY_QUOTA:
        text = "the mail server's daily quota is used up"
    else:
        text = "the mail server asked us to slow down"
    return MailDeferred(text, reason=reason, until=until)
