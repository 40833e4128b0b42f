"""The App Home tab's content for one person, and publishing it (after they open it or act on it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from blocks.home import HomeContent, RecentAction, home_view
from bot.accounts.queries import last_activations_sent, pending_activation
from bot.accounts.summary import summarize
from bot.approvals.policy import approvals_enabled
from bot.approvals.service import pending_requests
from bot.approvals.summary import summarize as summarize_request
from bot.audit.service import recent_events
from bot.deps import Deps
from bot.reminders.service import expiring_invitations
from bot.slack.access import is_approver

LIST_MAX = 10


def home_content(deps: Deps, user_id: str, *, notice: str | None = None) -> HomeContent:
    settings = deps.settings
    allowed = deps.helpdesk.allows(user_id)
    enabled = approvals_enabled(settings)
    approver = enabled and is_approver(deps.approvers, user_id)
    now = deps.clock.now()
    window = timedelta(hours=settings.reminder_expiry_window_hours)
    # Only the customers the person may act on (ACCESS_FILE); read before the database (user groups
    # may come from Slack).
    scope = deps.scopes.scope_for(user_id)
    with deps.db.read() as session:

        def requests(**who: str) -> tuple[list[Any], int]:
            found, total = pending_requests(session, now=now, limit=LIST_MAX, **who)
            channel = settings.approvals_channel
            return [summarize_request(session, r, approvals_channel=channel) for r in found], total

        to_decide, to_decide_total = requests(not_requester=user_id) if approver else ([], 0)
        mine, mine_total = requests(requester=user_id) if enabled else ([], 0)
        if not allowed:
            return HomeContent(
                allowed=False,
                approver=approver,
                to_decide=to_decide,
                to_decide_total=to_decide_total,
                my_requests=mine,
                my_requests_total=mine_total,
                notice=notice,
            )
        expiring, expiring_total = expiring_invitations(session, now=now, window=window, limit=LIST_MAX)
        users, pending_total = pending_activation(session, limit=LIST_MAX, scope=scope)
        # One query for the list, not one per user: each is a round trip on a busy database.
        sent = last_activations_sent(session, [u.id for u in users])
        pending = [summarize(u, activation_sent_at=sent.get(u.id)) for u in users]
        recent = [
            RecentAction(action=e.action, target=e.target, at=e.created_at)
            for e in recent_events(session, limit=LIST_MAX, actor=user_id)
        ]
    return HomeContent(
        allowed=True,
        approver=approver,
        to_decide=to_decide,
        to_decide_total=to_decide_total,
        my_requests=mine,
        my_requests_total=mine_total,
        expiring=expiring,
        expiring_total=expiring_total,
        expiring_window_hours=settings.reminder_expiry_window_hours,
        pending=pending,
        pending_total=pending_total,
        recent=recent,
        notice=notice,
    )


def refresh_home(deps: Deps, client: WebClient, user_id: str, *, notice: str | None = None) -> None:
    client.views_publish(user_id=user_id, view=home_view(home_content(deps, user_id, notice=notice)))
