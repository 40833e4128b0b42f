"""Slack listeners: one package or module per surface, each with `register(app)`. Thin: they
parse the payload, call a service, render with a builder."""

from __future__ import annotations

from slack_bolt import App


def register_listeners(app: App) -> None:
    from commands import approvals, backup, enroll, errors, home, shortcuts

    errors.register(app)
    backup.register(app)
    enroll.register(app)
    approvals.register(app)
    home.register(app)
    shortcuts.register(app)


def views_claimed_by_listener() -> frozenset[str]:
    """The callback ids of view submissions whose listeners claim their Slack request key in
    their own first write (bot.slack.acks.PendingClaim), rather than the middleware before them."""
    from commands.backup.add_user import CLAIMED_BY_LISTENER

    return CLAIMED_BY_LISTENER
