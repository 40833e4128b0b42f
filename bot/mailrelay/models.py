"""The state every replica shares about the mail relay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class MailRelayState(Base):
    """One row per relay (SMTP host, port and login): the pacing schedule, today's count and
    any pause, read and updated under a row lock (`SELECT … FOR UPDATE`)."""

    __tablename__ = "mail_relay_state"

    relay: Mapped[str] = mapped_column(String(300), primary_key=True)
    # The earliest moment the next message may go (GCRA's theoretical arrival time).
    next_send_at: Mapped[datetime | None]
    # Today's count, for SMTP_DAILY_LIMIT; `day` is the date in TIMEZONE it counts.
    day: Mapped[str | None] = mapped_column(String(10))
    sent_on_day: Mapped[int] = mapped_column(default=0)
    paused_until: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(String(40))
    # What the relay said, scrubbed of secrets (shown to the helpdesk on the batch card).
    pause_detail: Mapped[str | None] = mapped_column(String(500))
    pauses: Mapped[int] = mapped_column(default=0)
    # Pauses in a row (each a little after the last ended): the next one without a stated delay
    # lasts twice as long.
    pause_streak: Mapped[int] = mapped_column(default=0)


class MailRelaySlot(Base):
    """One of SMTP_MAX_CONNECTIONS connections to the relay: held by one open SMTP session of
    one replica, leased so that a replica that dies gives it back when the lease expires."""

    __tablename__ = "mail_relay_slots"

    relay: Mapped[str] = mapped_column(String(300), primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    holder: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime | None]
