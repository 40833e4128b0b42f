"""The /enroll surface: device enrollment invitations."""

from __future__ import annotations

from slack_bolt import App

from commands.enroll import command, invitations, invite, status


def register(app: App) -> None:
    command.register(app)
    invite.register(app)
    invitations.register(app)
    status.register(app)
