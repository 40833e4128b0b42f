"""`/backup edit <email> [customer]`: the Edit User modal and saving it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.backup.edit import edit_user_modal
from blocks.backup.ids import CallbackId
from blocks.backup.metadata import UserSettingsMetadata
from bot.accounts.actions import UserAction
from bot.accounts.editing import EditUser, save_edited_user
from bot.accounts.forms import Field, NewUserForm
from bot.accounts.models import Role
from bot.accounts.reading import user_summary
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.state import ViewState, carried
from commands.submissions import answer_submission


def open_edit_user(
    deps: Deps, client: WebClient, *, trigger_id: str, channel_id: str | None, action: UserAction
) -> None:
    user = user_summary(deps.db, action)
    metadata = UserSettingsMetadata(user_id=user.id, channel_id=channel_id)
    client.views_open(trigger_id=trigger_id, view=edit_user_modal(user=user, metadata=metadata))


def edit_form(state: ViewState) -> NewUserForm:
    """The modal as typed; the customer is the user's own, filled in by the service."""
    notification = (state.text(Field.NOTIFICATION_EMAIL) or "").strip()
    try:
        role = Role(state.selected(Field.ROLE) or Role.USER)
    except ValueError:
        role = Role.USER
    return NewUserForm(
        customer_id=None,
        first_name=state.text(Field.FIRST_NAME),
        last_name=state.text(Field.LAST_NAME),
        email=state.text(Field.EMAIL),
        role=role,
        address=state.text(Field.ADDRESS),
        phone=state.text(Field.PHONE),
        separate_notification_email=bool(notification),
        notification_email=notification or None,
        assign_backup=False,
    )


def submit_edit_user(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    metadata = carried(UserSettingsMetadata, view.get("private_metadata"))
    actor = str(context.user_id)
    command = EditUser(
        action=UserAction(metadata.user_id, actor, deps.scopes.scope_for(actor)),
        form=edit_form(ViewState(view)),
    )

    def run() -> dict[str, Any]:
        save_edited_user(
            deps.db,
            command,
            now=deps.clock.now(),
            phone_region=deps.settings.phone_default_region,
            platform_keeps_logins=deps.platform.keeps_accounts,
        )
        return {"response_action": "clear"}

    answer_submission(ack, view, run)


def register(app: App) -> None:
    app.view(CallbackId.EDIT_USER, middleware=[require_helpdesk])(submit_edit_user)
