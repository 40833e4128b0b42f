"""The daily digest: what happened in a period and what needs a human, per customer.

`collect_digest` reads it from the database as plain values; `queue_digest` (the scheduled job)
queues its post to DIGEST_CHANNEL once per local day (handler in bot/slack/digest.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bot.accounts.models import BackupUser, ProvisioningState, UserStatus
from bot.approvals.service import pending_requests
from bot.customers.models import Customer
from bot.enrollment.licences import LicenceUsage, usage
from bot.enrollment.models import BatchState, Invitation, InvitationBatch, InvitationState
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.outbox.service import enqueue

LIST_MAX = 10


class DigestJob(StrEnum):
    POST = "digest.post"


@dataclass(frozen=True)
class CustomerActivity:
    name: str
    added: int = 0
    activated: int = 0
    pending: int = 0


@dataclass(frozen=True)
class InvitationActivity:
    sent: int = 0
    opened: int = 0
    enrolled: int = 0
    expiring: int = 0
    expired: int = 0
    failed: int = 0

    @property
    def any(self) -> bool:
        return any(vars(self).values())


@dataclass(frozen=True)
class WaitingApproval:
    summary: str
    requester: str
    created_at: datetime


@dataclass(frozen=True)
class Problem:
    """Something that needs a human, in words: what, and why (or how many)."""

    what: str
    detail: str


@dataclass(frozen=True)
class Digest:
    day: date
    start: datetime
    end: datetime
    timezone: str
    customers: list[CustomerActivity]
    invitations: InvitationActivity
    expiring_window_hours: int
    licences: LicenceUsage
    approvals: list[WaitingApproval]
    approvals_total: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        return not (self.customers or self.invitations.any or self.approvals_total or self.problems)


def _per_customer(session: Session, *conditions: ColumnElement[bool]) -> dict[int, int]:
    rows = session.execute(
        select(BackupUser.customer_id, func.count()).where(*conditions).group_by(BackupUser.customer_id)
    )
    return {int(customer): int(count) for customer, count in rows}


def _customers(session: Session, start: datetime, end: datetime) -> list[CustomerActivity]:
    added = _per_customer(session, BackupUser.created_at >= start, BackupUser.created_at < end)
    activated = _per_customer(session, BackupUser.activated_at >= start, BackupUser.activated_at < end)
    pending = _per_customer(session, BackupUser.status == UserStatus.PENDING_ACTIVATION)
    ids = set(added) | set(activated) | set(pending)
    names: dict[int, str] = {}
    if ids:
        names = {
            int(i): str(n)
            for i, n in session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
        }
    lines = [
        CustomerActivity(
            name=str(names.get(i, f"customer {i}")),
            added=added.get(i, 0),
            activated=activated.get(i, 0),
            pending=pending.get(i, 0),
        )
        for i in ids
    ]
    return sorted(lines, key=lambda c: (-(c.added + c.activated), c.name.lower()))


def _count(session: Session, *conditions: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(Invitation).where(*conditions)) or 0)


def _invitations(session: Session, start: datetime, end: datetime, window: timedelta) -> InvitationActivity:
    live = (InvitationState.SENT, InvitationState.OPENED)
    return InvitationActivity(
        sent=_count(session, Invitation.sent_at >= start, Invitation.sent_at < end),
        opened=_count(session, Invitation.opened_at >= start, Invitation.opened_at < end),
        enrolled=_count(session, Invitation.enrolled_at >= start, Invitation.enrolled_at < end),
        expiring=_count(
            session,
            Invitation.state.in_(live),
            Invitation.expires_at > end,
            Invitation.expires_at <= end + window,
        ),
        # Ran out unused in the period (whether or not the expiry job has marked them yet).
        expired=_count(
            session,
            Invitation.state.in_((*live, InvitationState.QUEUED, InvitationState.EXPIRED)),
            Invitation.expires_at >= start,
            Invitation.expires_at < end,
        ),
        failed=_count(session, Invitation.state == InvitationState.FAILED, Invitation.expires_at > start),
    )


def _problems(session: Session) -> list[Problem]:
    problems: list[Problem] = []
    failed = session.execute(
        select(OutboxMessage.kind, OutboxMessage.last_error)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(500)
    ).all()
    by_kind = Counter(kind for kind, _ in failed)
    latest: dict[str, str | None] = {}
    for kind, error in failed:
        latest.setdefault(kind, error)
    for kind, count in by_kind.most_common(LIST_MAX):
        noun = "delivery" if count == 1 else "deliveries"
        problems.append(
            Problem(f"{count:,} failed {noun} of {kind}", str(latest[kind] or "no reason recorded"))
        )
    users = session.execute(
        select(BackupUser.first_name, BackupUser.last_name, BackupUser.email, BackupUser.provisioning_error)
        .where(BackupUser.provisioning == ProvisioningState.FAILED)
        .order_by(BackupUser.id)
        .limit(LIST_MAX)
    ).all()
    for first, last, email, error in users:
        problems.append(
            Problem(f"{first} {last} ({email}) is not finished on the backup platform", str(error or ""))
        )
    batches = session.execute(
        select(InvitationBatch.id, InvitationBatch.invitations, InvitationBatch.problem)
        .where(InvitationBatch.state == BatchState.WAITING)
        .order_by(InvitationBatch.id)
        .limit(LIST_MAX)
    ).all()
    for batch_id, invitations, problem in batches:
        problems.append(
            Problem(
                f"Invitation batch {batch_id} ({invitations:,} invitation{'' if invitations == 1 else 's'}) "
                "is waiting for mail",
                str(problem or "mail cannot go out"),
            )
        )
    return problems


def collect_digest(
    session: Session,
    *,
    day: date,
    start: datetime,
    end: datetime,
    expiring_window: timedelta,
    per_licence: int,
    timezone: str,
) -> Digest:
    approvals, total = pending_requests(session, now=end, limit=LIST_MAX)
    return Digest(
        day=day,
        start=start,
        end=end,
        timezone=timezone,
        customers=[c for c in _customers(session, start, end) if c.added or c.activated or c.pending],
        invitations=_invitations(session, start, end, expiring_window),
        expiring_window_hours=int(expiring_window.total_seconds() // 3600),
        licences=usage(session, per_licence=per_licence),
        approvals=[WaitingApproval(a.summary, a.requester, a.created_at) for a in approvals],
        approvals_total=total,
        problems=_problems(session),
    )


def queue_digest(
    session: Session, *, channel: str, day: date, start: datetime, end: datetime, now: datetime
) -> None:
    """Queue the day's digest post (once per day: a second call for the same day queues nothing)."""
    enqueue(
        session,
        kind=DigestJob.POST,
        payload={
            "channel": channel,
            "day": day.isoformat(),
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        now=now,
        dedupe_key=f"digest:{day.isoformat()}",
    )
