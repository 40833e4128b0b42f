"""Who may decide approval requests: APPROVERS, as user ids or user-group ids."""

from __future__ import annotations

import threading
import weakref

from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.access import SlackPrincipals

# One SlackPrincipals (with its cache of user-group members) per Slack client, i.e. per app.
_principals: weakref.WeakKeyDictionary[WebClient, tuple[tuple[str, ...], SlackPrincipals]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def approvers(settings: Settings, client: WebClient) -> SlackPrincipals:
    configured = tuple(settings.approvers)
    with _lock:
        cached = _principals.get(client)
        if cached is None or cached[0] != configured:
            cached = (configured, SlackPrincipals(list(configured), client))
            _principals[client] = cached
        return cached[1]


def is_approver(settings: Settings, client: WebClient, user_id: str | None) -> bool:
    """APPROVERS may decide; with APPROVERS unset nobody may (deskops refuses to start that way
    while APPROVALS_CHANNEL is set)."""
    if user_id is None:
        return False
    principals = approvers(settings, client)
    return not principals.is_empty and principals.contains(user_id)
