"""Outbox jobs of the enrollment domain: kinds, the group a batch's e-mails share, and the
queuing of one invitation e-mail (handlers in bot/enrollment/delivery.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.enrollment.models import (
    Invitation,
)
from bot.outbox.service import enqueue

INVITATION = "invitation"  # the purpose of invitation link tokens


class EnrollJob(StrEnum):
    INVITATION_EMAIL = "enroll.invitation_email"
    BATCH_CARD = "enroll.batch_card"
    BATCH_REFRESH = "enroll.batch_refresh"


def batch_group(batch_id: int) -> str:
    return f"batch:{batch_id}"


def queue_invitation_email(session: Session, invitation: Invitation, *, now: datetime) -> None:
    enqueue(
        session,
        kind=EnrollJob.INVITATION_EMAIL,
        payload={"invitation_id": invitation.id},
        now=now,
        group_key=batch_group(invitation.batch_id),
        dedupe_key=f"invitation-email:{invitation.id}:{invitation.nonce}",
    )
