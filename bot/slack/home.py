"""What one person's App Home shows: one read across the domains (approvals to decide and their
own, invitations about to expire, users pending activation within their customers, their recent
actions). Who the person is (helpdesk, approver, scope) is decided before the database is read,
since user groups may come from Slack."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from blocks.home import HomeContent, RecentAction
from bot.accounts.queries import last_activations_sent, pending_activation
from bot.accounts.summary import summarize
from bot.approvals.service import pending_requests
from bot.approvals.summary import ApprovalSummary
from bot.approvals.summary import summarize as summarize_request
from bot.audit.service import recent_events
from bot.customers.scope import CustomerScope
from bot.db import Database
from bot.reminders.service import expiring_invitations

LIST_MAX = 10


@dataclass(frozen=True)
class Viewer:
    user_id: str
    helpdesk: bool  # in HELPDESK_USERS
    approvals_on: bool
    approver: bool  # in APPROVERS, with approvals on
    scope: CustomerScope  # the customers they may act on (ACCESS_FILE)


@dataclass(frozen=True)
class HomeSettings:
    approvals_channel: str | None
    expiry_window_hours: int


def _requests(
    session: Session, settings: HomeSettings, now: datetime, **who: str
) -> tuple[list[ApprovalSummary], int]:
    found, total = pending_requests(session, now=now, limit=LIST_MAX, **who)
    channel = settings.approvals_channel
    return [summarize_request(session, r, approvals_channel=channel) for r in found], total


def read_home(
    db: Database, viewer: Viewer, *, settings: HomeSettings, now: datetime, notice: str | None = None
) -> HomeContent:
    user_id = viewer.user_id
    with db.read() as session:
        to_decide, to_decide_total = (
            _requests(session, settings, now, not_requester=user_id) if viewer.approver else ([], 0)
        )
        mine, mine_total = (
            _requests(session, settings, now, requester=user_id) if viewer.approvals_on else ([], 0)
        )
        approvals = HomeContent(
            allowed=False,
            approver=viewer.approver,
            to_decide=to_decide,
            to_decide_total=to_decide_total,
            my_requests=mine,
            my_requests_total=mine_total,
            notice=notice,
        )
        if not viewer.helpdesk:
            return approvals
        window = timedelta(hours=settings.expiry_window_hours)
        expiring, expiring_total = expiring_invitations(session, now=now, window=window, limit=LIST_MAX)
        users, pending_total = pending_activation(session, limit=LIST_MAX, scope=viewer.scope)
        # One query for the list, not one per user: each is a round trip on a busy database.
        sent = last_activations_sent(session, [u.id for u in users])
        pending = [summarize(u, activation_sent_at=sent.get(u.id)) for u in users]
        recent = [
            RecentAction(action=e.action, target=e.target, at=e.created_at)
            for e in recent_events(session, limit=LIST_MAX, actor=user_id)
        ]
    return replace(
        approvals,
        allowed=True,
        expiring=expiring,
        expiring_total=expiring_total,
        expiring_window_hours=settings.expiry_window_hours,
        pending=pending,
        pending_total=pending_total,
        recent=recent,
    )
