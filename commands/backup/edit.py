"""`/backup edit <email> [customer]`: the Edit User modal and saving it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.backup.edit import edit_user_modal
from blocks.backup.ids import CallbackId
from blocks.backup.metadata import UserSettingsMetadata
from bot.accounts.editing import edit_user
from bot.accounts.forms import Field, NewUserForm, check_new_user
from bot.accounts.models import Role
from bot.accounts.queries import check_user_in_scope, get_user
from bot.accounts.summary import summarize
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.state import ViewState, carried
from commands.submissions import answer_submission


def open_edit_user(
    deps: Deps, client: WebClient, *, trigger_id: str, channel_id: str | None, user_id: int, actor: str
) -> None:
    check_user_in_scope(deps.db, user_id, deps.scopes.scope_for(actor))
    with deps.db.read() as session:
        user = summarize(get_user(session, user_id))
    metadata = UserSettingsMetadata(user_id=user.id, channel_id=channel_id)
    client.views_open(trigger_id=trigger_id, view=edit_user_modal(user=user, metadata=metadata))


def edit_form(state: ViewState, customer_id: int) -> NewUserForm:
    notification = (state.text(Field.NOTIFICATION_EMAIL) or "").strip()
    try:
        role = Role(state.selected(Field.ROLE) or Role.USER)
    except ValueError:
        role = Role.USER
    return NewUserForm(
        customer_id=customer_id,
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
    state = ViewState(view)
    actor = str(context.user_id)

    def run() -> dict[str, Any]:
        with deps.db.transaction() as session:
            customer_id = get_user(session, metadata.user_id).customer_id
            edited = check_new_user(
                edit_form(state, customer_id), phone_region=deps.settings.phone_default_region
            )
            edit_user(
                session,
                user_id=metadata.user_id,
                edited=edited,
                actor=actor,
                now=deps.clock.now(),
                scope=deps.scopes.scope_for(actor),
                platform_keeps_logins=deps.platform.keeps_accounts,
            )
        return {"response_action": "clear"}

    answer_submission(ack, view, run)


def register(app: App) -> None:
    app.view(CallbackId.EDIT_USER, middleware=[require_helpdesk])(submit_edit_user)
