"""Read model of approval requests for builders: plain frozen values, no database behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.approvals.models import ApprovalRequest, ApprovalState
from bot.approvals.policy import ApprovalKind
from bot.customers.models import Customer


@dataclass(frozen=True)
class ApprovalSummary:
    id: int
    kind: str
    title: str
    summary: str
    details: tuple[tuple[str, str], ...]
    customer: str | None
    requester: str
    channel_id: str | None
    state: ApprovalState
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    outcome: str | None
    approvals_channel: str | None


def kind_title(kind: str) -> str:
    try:
        return ApprovalKind(kind).label
    except ValueError:
        return kind.replace("_", " ").replace(".", " ").capitalize()


def summarize(
    session: Session, request: ApprovalRequest, *, approvals_channel: str | None
) -> ApprovalSummary:
    customer = session.get(Customer, request.customer_id) if request.customer_id is not None else None
    return ApprovalSummary(
        id=request.id,
        kind=request.kind,
        title=kind_title(request.kind),
        summary=request.summary,
        details=tuple((str(label), str(value)) for label, value in request.details),
        customer=customer.name if customer is not None else None,
        requester=request.requester,
        channel_id=request.channel_id,
        state=request.state,
        created_at=request.created_at,
        expires_at=request.expires_at,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        reason=request.reason,
        outcome=request.outcome,
        approvals_channel=request.channel or approvals_channel,
    )
