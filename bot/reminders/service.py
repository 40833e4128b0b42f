"""Reminders: find invitations about to expire and users pending activation for too long, and
queue one post per thing and window to HELPDESK_CHANNEL (a scheduled job).

A window is the invitation's current expiry (extending it opens a new window) or the moment the
user last got an activation e-mail (or was added). The job reads only what was not reminded yet
for its window (an anti-join on `reminders (kind, subject_id, window_at)`), and keys are unique in
the database, so a reminder is never queued twice for the same window, whichever replica runs the
job and however often.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ScalarSelect, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from bot.accounts.models import ActivationToken, BackupUser, UserStatus
from bot.enrollment.models import Invitation, InvitationState
from bot.outbox.service import enqueue
from bot.reminders.models import Reminder, ReminderKind

PER_MESSAGE = 20
# Invitations that were sent and can still be used: the ones worth a reminder.
REMINDABLE = (InvitationState.SENT, InvitationState.OPENED)


class ReminderJob(StrEnum):
    POST = "reminders.post"


@dataclass(frozen=True)
class InvitationReminder:
    invitation_id: int
    name: str
    email: str
    platform: str
    state: InvitationState
    expires_at: datetime


@dataclass(frozen=True)
class ActivationReminder:
    user_id: int
    name: str
    email: str
    customer: str
    since: datetime
    activation_sent_at: datetime | None
    active: bool


def _invitation(invitation: Invitation) -> InvitationReminder:
    return InvitationReminder(
        invitation_id=invitation.id,
        name=invitation.display_name,
        email=invitation.email,
        platform=invitation.platform.label,
        state=invitation.state,
        expires_at=invitation.expires_at,
    )


def expiring_invitations(
    session: Session, *, now: datetime, window: timedelta, limit: int | None = None
) -> tuple[list[InvitationReminder], int]:
    """Sent invitations expiring within `window`, soonest first, and how many there are in all."""
    conditions = (
        Invitation.state.in_(REMINDABLE),
        Invitation.expires_at > now,
        Invitation.expires_at <= now + window,
    )
    total = session.scalar(select(func.count()).select_from(Invitation).where(*conditions)) or 0
    query = select(Invitation).where(*conditions).order_by(Invitation.expires_at, Invitation.id)
    if limit is not None:
        query = query.limit(limit)
    return [_invitation(i) for i in session.scalars(query)], int(total)


def _last_sent() -> ScalarSelect[datetime]:
    """When the user of the enclosing query was last sent an activation e-mail (one index probe
    per user on activation_tokens (user_id, created_at))."""
    return (
        select(func.max(ActivationToken.created_at))
        .where(ActivationToken.user_id == BackupUser.id)
        .correlate(BackupUser)
        .scalar_subquery()
    )


def _activation(user: BackupUser, sent_at: datetime | None) -> ActivationReminder:
    return ActivationReminder(
        user_id=user.id,
        name=user.full_name,
        email=user.email,
        customer=user.customer.name,
        since=sent_at or user.created_at,
        activation_sent_at=sent_at,
        active=user.status is UserStatus.ACTIVE,
    )


def _key(kind: ReminderKind, subject_id: int, window: datetime) -> str:
    return f"{kind.value}:{subject_id}:{window.isoformat()}"


def _not_reminded(kind: ReminderKind, subject_id: Any, window: Any) -> Any:
    return ~exists().where(
        Reminder.kind == kind, Reminder.subject_id == subject_id, Reminder.window_at == window
    )


def due_reminders(
    session: Session, *, now: datetime, expiry_window: timedelta, pending_days: int
) -> list[dict[str, Any]]:
    """Reminders due and not recorded yet, as rows for `reminders`: only keys are read, and what
    was already reminded is left out by the database (an anti-join on kind, subject, window)."""
    invitations = session.execute(
        select(Invitation.id, Invitation.expires_at)
        .where(
            Invitation.state.in_(REMINDABLE),
            Invitation.expires_at > now,
            Invitation.expires_at <= now + expiry_window,
            _not_reminded(ReminderKind.INVITATION_EXPIRING, Invitation.id, Invitation.expires_at),
        )
        .order_by(Invitation.expires_at, Invitation.id)
    ).all()
    pending = (
        select(
            BackupUser.id.label("user_id"), func.coalesce(_last_sent(), BackupUser.created_at).label("since")
        )
        .where(BackupUser.status == UserStatus.PENDING_ACTIVATION)
        .subquery()
    )
    users = session.execute(
        select(pending.c.user_id, pending.c.since)
        .where(
            pending.c.since <= now - timedelta(days=pending_days),
            _not_reminded(ReminderKind.ACTIVATION_PENDING, pending.c.user_id, pending.c.since),
        )
        .order_by(pending.c.since, pending.c.user_id)
    ).all()
    due = [(ReminderKind.INVITATION_EXPIRING, i, at) for i, at in invitations]
    due += [(ReminderKind.ACTIVATION_PENDING, u, since) for u, since in users]
    return [
        {"key": _key(kind, subject, window), "kind": kind, "subject_id": subject, "window_at": window}
        for kind, subject, window in due
    ]


def queue_due_reminders(
    session: Session, *, channel: str, now: datetime, expiry_window: timedelta, pending_days: int
) -> int:
    """Record and queue reminders not posted yet for their window; return how many."""
    due = due_reminders(session, now=now, expiry_window=expiry_window, pending_days=pending_days)
    ids = _insert_new(session, [{**row, "created_at": now, "channel": channel} for row in due])
    for start in range(0, len(ids), PER_MESSAGE):
        chunk = ids[start : start + PER_MESSAGE]
        enqueue(
            session,
            kind=ReminderJob.POST,
            payload={"reminder_ids": chunk, "channel": channel},
            now=now,
            dedupe_key=f"reminders:{chunk[0]}",
        )
    return len(ids)


def _insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert reminders; a key another replica inserted meanwhile is skipped, not an error."""
    if not rows:
        return []
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    ids: list[int] = []
    for start in range(0, len(rows), 500):
        statement = (
            insert(Reminder)
            .values(list(rows[start : start + 500]))
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Reminder.id)
        )
        ids += [int(i) for i in session.scalars(statement)]
    return sorted(ids)


@dataclass(frozen=True)
class ReminderPost:
    invitations: list[InvitationReminder]
    users: list[ActivationReminder]


def reminders_to_post(session: Session, reminder_ids: Sequence[int]) -> ReminderPost:
    """What the reminders of one message are about, as they are now."""
    reminders = session.scalars(
        select(Reminder).where(Reminder.id.in_(reminder_ids)).order_by(Reminder.id)
    ).all()
    invitation_ids = [r.subject_id for r in reminders if r.kind is ReminderKind.INVITATION_EXPIRING]
    user_ids = [r.subject_id for r in reminders if r.kind is ReminderKind.ACTIVATION_PENDING]
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.id.in_(invitation_ids))
        .order_by(Invitation.expires_at, Invitation.id)
    ).all()
    users = session.execute(
        select(BackupUser, _last_sent())
        .where(BackupUser.id.in_(user_ids))
        .options(selectinload(BackupUser.customer))
        .order_by(BackupUser.created_at, BackupUser.id)
    ).all()
    return ReminderPost(
        invitations=[_invitation(i) for i in invitations],
        users=[_activation(user, sent_at) for user, sent_at in users],
    )


def record_posted(session: Session, reminder_ids: Sequence[int], *, channel: str, ts: str) -> None:
    for reminder in session.scalars(select(Reminder).where(Reminder.id.in_(reminder_ids))):
        reminder.channel, reminder.ts = channel, ts


def all_posted(session: Session, reminder_ids: Sequence[int]) -> bool:
    waiting = session.scalar(
        select(func.count()).select_from(Reminder).where(Reminder.id.in_(reminder_ids), Reminder.ts.is_(None))
    )
    return not waiting
