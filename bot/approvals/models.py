"""Approval requests: an action held until an approver decides (or it is cancelled or expires)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # and the held action was done
    FAILED = "failed"  # approved, but the held action could not be done (`outcome` says why)
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self is ApprovalState.PENDING


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"
    __table_args__ = (Index("ix_approval_requests_state_expires_at", "state", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which executor performs the held action once approved (bot/approvals/executors.py).
    kind: Mapped[str] = mapped_column(String(64))
    # What the executor needs, as plain JSON values.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the approvers read: one line, and label/value pairs of context.
    summary: Mapped[str] = mapped_column(String(300))
    details: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    requester: Mapped[str] = mapped_column(String(40), index=True)
    # Where the requester acted (the held action reports there).
    channel_id: Mapped[str | None] = mapped_column(String(40))
    # A double-clicked submit or a Slack retry asks once.
    request_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[ApprovalState] = mapped_column(
        Enum(
            ApprovalState,
            name="approval_state",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    # What came of it: the executor's sentence, or why the held action could not be done.
    outcome: Mapped[str | None] = mapped_column(Text)
    # Re-notifications of the approvers sent so far (APPROVAL_REMINDER_HOURS).
    reminders_sent: Mapped[int] = mapped_column(default=0)
    # The message in APPROVALS_CHANNEL and the requester's direct message, once posted.
    channel: Mapped[str | None] = mapped_column(String(40))
    ts: Mapped[str | None] = mapped_column(String(40))
    requester_channel: Mapped[str | None] = mapped_column(String(40))
    requester_ts: Mapped[str | None] = mapped_column(String(40))
