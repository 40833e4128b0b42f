"""Tables of the scheduler: APScheduler's job store, and a claim per job run.

`apscheduler_jobs` is APScheduler 3's SQLAlchemyJobStore table, declared here so that Alembic
owns it like every other table (the store is told never to create it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, LargeBinary, String, Table, Unicode, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base

scheduled_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


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
