from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class ReminderKind(StrEnum):
    INVITATION_EXPIRING = "invitation_expiring"
    ACTIVATION_PENDING = "activation_pending"


class Reminder(Base):
    """One reminder posted (or queued) about one thing in one window. The unique key makes
    "never twice for the same thing and window" hold across restarts and replicas."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "invitation_expiring:42:2026-03-30T08:00:00+00:00" (the invitation and its expiry)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[ReminderKind] = mapped_column(
        Enum(
            ReminderKind,
            name="reminder_kind",
            native_enum=False,
            length=40,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    subject_id: Mapped[int]
    # The window: the invitation's expiry, or when the user was last sent an activation e-mail.
    # The reminder job leaves out what was reminded by (kind, subject_id, window_at).
    window_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(40))
    ts: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_reminders_kind_subject_id_window_at", "kind", "subject_id", "window_at"),)
