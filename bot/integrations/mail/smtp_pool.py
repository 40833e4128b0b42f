"""Open SMTP sessions kept for reuse, at most `size` in this process and, with `slots`, at most
SMTP_MAX_CONNECTIONS across every replica (each open session holds a slot, released when it
closes, and expiring if this process dies holding it)."""

from __future__ import annotations

import contextlib
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.integrations.mail.port import ConnectionLease, ConnectionSlots, DeferReason, MailDeferred

# How long a message waits for a connection slot before it goes back to the queue for a moment.
SLOT_WAIT_SECONDS = 2.0
SLOT_POLL_SECONDS = 0.05
# A session nobody used for this long is closed, and its slot given back to other replicas.
IDLE_SECONDS = 10.0


@dataclass
class _Session:
    connection: smtplib.SMTP
    lease: ConnectionLease | None
    used_at: float = field(default_factory=time.monotonic)


class SmtpSessions:
    def __init__(
        self,
        open_session: Callable[[], smtplib.SMTP],
        *,
        size: int,
        slots: ConnectionSlots | None = None,
        address: str = "",
    ) -> None:
        self._open_session = open_session
        self._size = max(1, size)
        self._slots = slots
        self._address = address
        self._pool = threading.Condition()
        self._idle: list[_Session] = []  # open, not in use; the most recently used last
        self._spare: list[tuple[ConnectionLease, float]] = []  # slots held, their session closed
        self._in_use = 0
        self._reaper: threading.Thread | None = None
        self._closed = threading.Event()

    def checkout(self) -> tuple[_Session, bool]:
        """An open session for one message (reused: True) or a new one; waits while `size` are
        in use here; raises MailDeferred when no slot frees up across the replicas in time."""
        with self._pool:
            self._pool.wait_for(lambda: self._in_use < self._size)
            self._in_use += 1
            reused = self._reusable()
            if reused is not None:
                return reused, True
        try:
            lease = self._take_slot()
            if lease is None:  # another session of ours came back meanwhile
                with self._pool:
                    reused = self._reusable()
                if reused is not None:
                    return reused, True
                raise MailDeferred(
                    f"every connection deskops may open to the SMTP server {self._address} is in "
                    "use (SMTP_MAX_CONNECTIONS): the e-mail waits for a free one",
                    reason=DeferReason.SLOTS,
                    retry_after=SLOT_WAIT_SECONDS,
                )
            try:
                return _Session(self._open_session(), lease), False
            except BaseException:
                lease.release()
                raise
        except BaseException:
            self._give_back(None)
            raise

    def open_again(self, session: _Session) -> None:
        """Replace a session the server had closed, keeping its slot."""
        _close_quietly(session.connection)
        session.connection = self._open_session()

    def checkin(self, session: _Session) -> None:
        """Back to the pool, unless it was closed (a broken session is never reused); a closed
        session's slot is kept for the next session (no database write on this path, which a
        message the relay refused takes on its way to recording the pause)."""
        session.used_at = time.monotonic()
        if session.connection.sock is None:
            _close_quietly(session.connection)
            with self._pool:
                if session.lease is not None:
                    self._spare.append((session.lease, session.used_at))
                    session.lease = None
            self._give_back(None)
            return
        self._give_back(session)

    def close(self) -> None:
        """Quit the sessions not in use (one in use is closed when its message is done)."""
        self._closed.set()
        with self._pool:
            idle, self._idle = self._idle, []
            spare, self._spare = self._spare, []
        for session in idle:
            _quit(session.connection)
            self._discard(session)
        for lease, _ in spare:
            lease.release()

    # --- internals ------------------------------------------------------------------------

    def _reusable(self) -> _Session | None:
        """An idle session whose slot is still ours (called holding the pool lock)."""
        while self._idle:
            session = self._idle.pop()
            if session.lease is None or session.lease.renew():
                return session
            _close_quietly(session.connection)
        return None

    def _take_slot(self) -> ConnectionLease | None:
        if self._slots is None:
            return _NoLease()
        while True:
            with self._pool:
                spare = self._spare.pop()[0] if self._spare else None
            if spare is None:
                break
            if spare.renew():
                return spare
        deadline = time.monotonic() + SLOT_WAIT_SECONDS
        while True:
            taken = self._slots.take()
            if taken is not None:
                self._start_reaper()
                return taken
            with self._pool:
                if self._idle or time.monotonic() >= deadline:
                    return None
                self._pool.wait(SLOT_POLL_SECONDS)

    def _give_back(self, session: _Session | None) -> None:
        with self._pool:
            self._in_use -= 1
            if session is not None:
                self._idle.append(session)
            self._pool.notify_all()

    def _discard(self, session: _Session) -> None:
        _close_quietly(session.connection)
        if session.lease is not None:
            session.lease.release()
            session.lease = None

    def _start_reaper(self) -> None:
        with self._pool:
            if self._reaper is not None:
                return
            self._reaper = threading.Thread(target=self._reap, name="smtp-idle-reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        """Close sessions idle for IDLE_SECONDS, so their slots go back to the other replicas
        (and no open session outlives a slot that expired)."""
        while not self._closed.wait(IDLE_SECONDS / 4):
            now = time.monotonic()
            with self._pool:
                stale = [s for s in self._idle if now - s.used_at >= IDLE_SECONDS]
                self._idle = [s for s in self._idle if s not in stale]
                kept = list(self._idle)
                unused = [lease for lease, since in self._spare if now - since >= IDLE_SECONDS]
                self._spare = [(lease, since) for lease, since in self._spare if now - since < IDLE_SECONDS]
            for lease in unused:
                lease.release()
            for session in stale:
                _quit(session.connection)
                self._discard(session)
            for session in kept:
                if session.lease is not None and not session.lease.renew():
                    with self._pool:
                        if session not in self._idle:
                            continue
                        self._idle.remove(session)
                    self._discard(session)


class _NoLease:
    """Without shared slots, only this process's own limit applies."""

    def renew(self) -> bool:
        return True

    def release(self) -> None:
        return None


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _close_quietly(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.close()
