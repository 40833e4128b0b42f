"""Publishing a person's App Home tab (after they open it or act on it)."""

from __future__ import annotations

from slack_sdk import WebClient

from blocks.home import home_view
from bot.approvals.policy import approvals_enabled
from bot.deps import Deps
from bot.slack.access import is_approver
from bot.slack.home import HomeSettings, Viewer, read_home


def viewer(deps: Deps, user_id: str) -> Viewer:
    """Who is looking: resolved before the database is read (user groups may come from Slack)."""
    enabled = approvals_enabled(deps.settings)
    return Viewer(
        user_id=user_id,
        helpdesk=deps.helpdesk.allows(user_id),
        approvals_on=enabled,
        approver=enabled and is_approver(deps.approvers, user_id),
        scope=deps.scopes.scope_for(user_id),
    )


def refresh_home(deps: Deps, client: WebClient, user_id: str, *, notice: str | None = None) -> None:
    settings = HomeSettings(
        approvals_channel=deps.settings.approvals_channel,
        expiry_window_hours=deps.settings.reminder_expiry_window_hours,
    )
    content = read_home(
        deps.db, viewer(deps, user_id), settings=settings, now=deps.clock.now(), notice=notice
    )
    client.views_publish(user_id=user_id, view=home_view(content))
