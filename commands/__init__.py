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
