"""Who may decide approval requests: APPROVERS, as user ids or user-group ids."""

from __future__ import annotations

from bot.slack.access import SlackPrincipals


def is_approver(approvers: SlackPrincipals, user_id: str | None) -> bool:
    """APPROVERS may decide; with APPROVERS unset nobody may (deskops refuses to start that way
    while APPROVALS_CHANNEL is set)."""
    return user_id is not None and not approvers.is_empty and approvers.contains(user_id)
