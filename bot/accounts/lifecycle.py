"""A user's life after creation: disabled (cannot sign in, no reminders) and enabled again.

The platform follows through the outbox (no remote call inside the transaction): the
`SET_ENABLED` job reads the user's state when it runs, so two quick changes end in the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.accounts.actions import UserAction
from bot.accounts.activation import revoke_open_links
from bot.accounts.jobs import AccountJob, FollowUp, follow_up_in_thread, refresh_cards
from bot.accounts.models import BackupUser, UserStatus
from bot.accounts.queries import live_user
from bot.audit.service import record
from bot.customers.scope import CustomerScope
from bot.db import Database
from bot.outbox.service import enqueue


@dataclass(frozen=True)
class StateChange:
    user_id: int
    full_name: str
    email: str
    # False when the user already was in that state (a double click, a repeated command).
    changed: bool


def _queue_platform(session: Session, user: BackupUser, *, now: datetime, change_key: str) -> None:
    enqueue(
        session,
        kind=AccountJob.SET_ENABLED,
        payload={"user_id": user.id},
        now=now,
        dedupe_key=f"set-enabled:{user.id}:{change_key}",
    )


def disable_user(
    session: Session, *, user_id: int, actor: str, now: datetime, scope: CustomerScope
) -> StateChange:
    """The user can no longer sign in; open activation links stop working; no more reminders."""
    user = live_user(session, user_id, scope)
    if user.status is UserStatus.DISABLED:
        return StateChange(user.id, user.full_name, user.email, changed=False)
    user.status = UserStatus.DISABLED
    revoke_open_links(session, user.id, now=now)
    event = record(
        session,
        actor=actor,
        action="user.disabled",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"user_id": user.id},
    )
    session.flush()
    change_key = f"disabled:{event.id}"
    _queue_platform(session, user, now=now, change_key=change_key)
    follow_up_in_thread(
        session, user.id, change=FollowUp.DISABLED, actor=actor, now=now, change_key=change_key
    )
    refresh_cards(session, user.id, now=now)
    return StateChange(user.id, user.full_name, user.email, changed=True)


def enable_user(
    session: Session, *, user_id: int, actor: str, now: datetime, scope: CustomerScope
) -> StateChange:
    """Signs the user back in: Active again, or Pending activation if they never activated."""
    user = live_user(session, user_id, scope)
    if user.status is not UserStatus.DISABLED:
        return StateChange(user.id, user.full_name, user.email, changed=False)
    user.status = UserStatus.ACTIVE if user.activated_at is not None else UserStatus.PENDING_ACTIVATION
    event = record(
        session,
        actor=actor,
        action="user.enabled",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"user_id": user.id, "status": user.status.value},
    )
    session.flush()
    change_key = f"enabled:{event.id}"
    _queue_platform(session, user, now=now, change_key=change_key)
    follow_up_in_thread(
        session, user.id, change=FollowUp.ENABLED, actor=actor, now=now, change_key=change_key
    )
    refresh_cards(session, user.id, now=now)
    return StateChange(user.id, user.full_name, user.email, changed=True)


def disable(db: Database, action: UserAction, *, now: datetime) -> StateChange:
    """`disable_user` in its own transaction."""
    with db.transaction() as session:
        return disable_user(session, user_id=action.user_id, actor=action.actor, now=now, scope=action.scope)


def enable(db: Database, action: UserAction, *, now: datetime) -> StateChange:
    """`enable_user` in its own transaction."""
    with db.transaction() as session:
        return enable_user(session, user_id=action.user_id, actor=action.actor, now=now, scope=action.scope)
