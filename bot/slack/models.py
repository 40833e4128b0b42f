from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class PostedMessage(Base):
    """A message the bot posted about a domain object, so it can be updated in place later."""

    __tablename__ = "posted_messages"
    __table_args__ = (Index("ix_posted_messages_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(40))
    ts: Mapped[str] = mapped_column(String(40))
    # The headline the message was posted with, kept when it is re-rendered.
    headline: Mapped[str | None] = mapped_column(String(150))
    created_at: Mapped[datetime]
