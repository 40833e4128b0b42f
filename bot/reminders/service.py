"""Reminders: find invitations about to expire and users pending activation for too long, and
queue one post per thing and window to HELPDESK_CHANNEL (a scheduled job).

A window is the invitation's current expiry (extending it opens a new window) or the moment the
user last got an activation e-mail (or was added). Keys are unique in the database, so a reminder
is never queued twice for the same window, whichever replica runs the job and however often.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Subquery, func, select
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


def _last_sent() -> Subquery:
    """When each user was last sent an activation e-mail."""
    return (
        select(ActivationToken.user_id, func.max(ActivationToken.created_at).label("sent_at"))
        .group_by(ActivationToken.user_id)
        .subquery()
    )


def users_pending_too_long(session: Session, *, now: datetime, days: int) -> list[ActivationReminder]:
    """Users pending activation `days` after they were added or last sent an activation e-mail."""
    sent = _last_sent()
    since = func.coalesce(sent.c.sent_at, BackupUser.created_at)
    rows = session.execute(
        select(BackupUser, sent.c.sent_at)
        .outerjoin(sent, sent.c.user_id == BackupUser.id)
        .where(BackupUser.status == UserStatus.PENDING_ACTIVATION, since <= now - timedelta(days=days))
        .options(selectinload(BackupUser.customer))
        .order_by(BackupUser.created_at, BackupUser.id)
    ).all()
    return [_activation(user, sent_at) for user, sent_at in rows]


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


def queue_due_reminders(
    session: Session, *, channel: str, now: datetime, expiry_window: timedelta, pending_days: int
) -> int:
    """Record and queue reminders not posted yet for their window; return how many."""
    invitations, _ = expiring_invitations(session, now=now, window=expiry_window)
    candidates: list[tuple[str, ReminderKind, int]] = [
        (
            _key(ReminderKind.INVITATION_EXPIRING, i.invitation_id, i.expires_at),
            ReminderKind.INVITATION_EXPIRING,
            i.invitation_id,
        )
        for i in invitations
    ]
    candidates += [
        (
            _key(ReminderKind.ACTIVATION_PENDING, u.user_id, u.since),
            ReminderKind.ACTIVATION_PENDING,
            u.user_id,
        )
        for u in users_pending_too_long(session, now=now, days=pending_days)
    ]
    known: set[str] = set()
    keys = [key for key, _, _ in candidates]
    for start in range(0, len(keys), 500):
        known.update(session.scalars(select(Reminder.key).where(Reminder.key.in_(keys[start : start + 500]))))
    fresh = [
        {"key": key, "kind": kind, "subject_id": subject, "created_at": now, "channel": channel}
        for key, kind, subject in candidates
        if key not in known
    ]
    ids = _insert_new(session, fresh)
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
    sent = _last_sent()
    users = session.execute(
        select(BackupUser, sent.c.sent_at)
        .outerjoin(sent, sent.c.user_id == BackupUser.id)
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
