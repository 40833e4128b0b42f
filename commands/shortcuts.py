"""Global shortcuts (the lightning-bolt menu): the same modals as `/backup add` and `/enroll invite`,
without typing a command."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.deps import Deps
from commands.access import require_helpdesk
from commands.backup.add_user import open_add_user
from commands.enroll.invite import open_invite
from commands.errors import answers_errors


class ShortcutId(StrEnum):
    """The callback ids of app.yaml's shortcuts."""

    ADD_BACKUP_USER = "backup.add_user.shortcut"
    SEND_ENROLLMENT_INVITATION = "enroll.invite.shortcut"


def _person(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


@answers_errors
def add_backup_user(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    person = _person(body)
    # A global shortcut has no channel: the card goes to the person's direct messages with the bot.
    open_add_user(
        deps,
        client,
        trigger_id=str(body["trigger_id"]),
        channel_id=person,
        customer_text=None,
        scope=deps.scopes.scope_for(person),
    )


@answers_errors
def send_enrollment_invitation(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    person = _person(body)
    open_invite(deps, client, trigger_id=str(body["trigger_id"]), channel_id=person, user_id=person)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.shortcut(ShortcutId.ADD_BACKUP_USER, middleware=helpdesk)(add_backup_user)
    app.shortcut(ShortcutId.SEND_ENROLLMENT_INVITATION, middleware=helpdesk)(send_enrollment_invitation)
