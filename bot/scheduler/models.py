"""The scheduler's table: a claim per job run (the schedule itself is in each replica's memory)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class SchedulerRun(Base):
    """One run of a scheduled job for one slot (its due time, or the day for the digest). Inserted
    in the same transaction as the job's work: a slot runs once, whichever replica gets there
    first, and a run that fails leaves no claim behind (the next one tries again)."""

    __tablename__ = "scheduler_runs"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    slot: Mapped[str] = mapped_column(String(64))
    replica: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(index=True)
    result: Mapped[str | None] = mapped_column(String(500))
