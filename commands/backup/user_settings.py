"""Assign Service and Backup User Settings: modals for an existing user."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.backup.ids import ActionId, CallbackId
from blocks.backup.metadata import UserSettingsMetadata
from blocks.backup.settings import assign_service_modal, settings_values_of, user_settings_modal
from bot.accounts.actions import UserAction
from bot.accounts.assignments import (
    SaveBackupSettings,
    UserBackup,
    save_backup_settings,
    user_backup,
    user_to_assign,
    user_with_backup,
)
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.backup.forms import backup_settings_form, clicked_user
from commands.errors import answers_errors
from commands.state import ViewState, carried
from commands.submissions import answer_submission


def _open_backup_modal(
    client: WebClient, found: UserBackup, *, trigger_id: str, channel_id: str | None
) -> None:
    """Assign Service for a user without Backup, Backup User Settings for one with it."""
    metadata = UserSettingsMetadata(user_id=found.user.id, channel_id=channel_id)
    modal = user_settings_modal if found.has_backup else assign_service_modal
    view = modal(
        user=found.user, customer=found.customer, metadata=metadata, values=settings_values_of(found.user)
    )
    client.views_open(trigger_id=trigger_id, view=view)


def open_assign_service(
    deps: Deps, client: WebClient, *, trigger_id: str, channel_id: str | None, action: UserAction
) -> None:
    found = user_to_assign(deps.db, action)
    _open_backup_modal(client, found, trigger_id=trigger_id, channel_id=channel_id)


def open_user_settings(
    deps: Deps, client: WebClient, *, trigger_id: str, channel_id: str | None, action: UserAction
) -> None:
    found = user_with_backup(deps.db, action)
    _open_backup_modal(client, found, trigger_id=trigger_id, channel_id=channel_id)


@answers_errors
def assign_service_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """The card's Assign service: a user with Backup already (the only service) gets its settings."""
    ack()
    found = user_backup(deps.db, clicked_user(body, context, deps))
    channel = (body.get("channel") or {}).get("id")
    _open_backup_modal(client, found, trigger_id=body["trigger_id"], channel_id=channel)


def _submit(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps, *, assigning: bool) -> None:
    metadata = carried(UserSettingsMetadata, view.get("private_metadata"))
    actor = str(context.user_id)
    command = SaveBackupSettings(
        action=UserAction(metadata.user_id, actor, deps.scopes.scope_for(actor)),
        form=backup_settings_form(ViewState(view)),
        assigning=assigning,
        change_key=f"{view.get('id')}:{view.get('hash')}" if view.get("id") else str(uuid.uuid4()),
        notify_channels=tuple(deps.notify_channels(metadata.channel_id)),
    )

    def run() -> dict[str, Any]:
        save_backup_settings(deps.db, command, now=deps.clock.now())
        return {"response_action": "clear"}

    answer_submission(ack, view, run)


def submit_assign_service(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    _submit(ack, view, context, deps, assigning=True)


def submit_user_settings(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    _submit(ack, view, context, deps, assigning=False)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.action(ActionId.ASSIGN_SERVICE, middleware=helpdesk)(assign_service_clicked)
    app.view(CallbackId.ASSIGN_SERVICE, middleware=helpdesk)(submit_assign_service)
    app.view(CallbackId.USER_SETTINGS, middleware=helpdesk)(submit_user_settings)
