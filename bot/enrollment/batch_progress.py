"""How far a batch's sending is: its invitations per state, its commonest failures, and the
licences it would add."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.enrollment.licences import additional_licences_of_batch
from bot.enrollment.models import Invitation, InvitationBatch, InvitationState
from bot.errors import NotFound


@dataclass(frozen=True)
class BatchProgress:
    batch: InvitationBatch
    counts: dict[InvitationState, int]
    failures: list[tuple[str, int]]
    additional_licences: int

    @property
    def sent(self) -> int:
        return sum(
            self.counts.get(s, 0)
            for s in (
                InvitationState.SENT,
                InvitationState.OPENED,
                InvitationState.ENROLLED,
                InvitationState.EXPIRED,
                InvitationState.REVOKED,
            )
        )

    @property
    def failed(self) -> int:
        return self.counts.get(InvitationState.FAILED, 0)

    @property
    def queued(self) -> int:
        return self.counts.get(InvitationState.QUEUED, 0)


def batch_progress(session: Session, batch_id: int, *, per_licence: int) -> BatchProgress:
    batch = session.get(InvitationBatch, batch_id)
    if batch is None:
        raise NotFound("That invitation batch no longer exists.")
    counts = {
        InvitationState(state): int(n)
        for state, n in session.execute(
            select(Invitation.state, func.count())
            .where(Invitation.batch_id == batch_id)
            .group_by(Invitation.state)
        )
    }
    failures = [
        (str(reason), int(n))
        for reason, n in session.execute(
            select(Invitation.failure, func.count())
            .where(Invitation.batch_id == batch_id, Invitation.state == InvitationState.FAILED)
            .group_by(Invitation.failure)
            .order_by(func.count().desc())
            .limit(5)
        )
    ]
    extra = additional_licences_of_batch(session, batch_id, per_licence=per_licence)
    return BatchProgress(batch=batch, counts=counts, failures=failures, additional_licences=extra)
