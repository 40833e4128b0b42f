"""App Home: published when a person opens the app's Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from blocks.home import RecentAction, home_view
from bot.accounts.service import last_activation_sent, pending_activation
from bot.accounts.summary import summarize
from bot.audit.service import recent_events
from bot.deps import Deps
from commands.errors import answers_errors


@answers_errors
def publish_home(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    refresh_home(deps, client, str(event["user"]))


def refresh_home(deps: Deps, client: WebClient, user_id: str, *, notice: str | None = None) -> None:
    allowed = deps.helpdesk.allows(user_id)
    with deps.db.read() as session:
        users, total = pending_activation(session, limit=10) if allowed else ([], 0)
        pending = [summarize(u, activation_sent_at=last_activation_sent(session, u.id)) for u in users]
        recent = (
            [
                RecentAction(action=e.action, target=e.target, at=e.created_at)
                for e in recent_events(session, limit=10, actor=user_id)
            ]
            if allowed
            else []
        )
    view = home_view(allowed=allowed, pending=pending, pending_total=total, recent=recent, notice=notice)
    client.views_publish(user_id=user_id, view=view)


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)
