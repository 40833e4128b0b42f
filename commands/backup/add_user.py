"""The Add New User modal and its Acronis Backup Settings step."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.approvals import sent_for_approval_modal
from blocks.backup.add_user import add_user_backup_settings_view, add_user_modal
from blocks.backup.ids import ActionId, CallbackId
from blocks.backup.metadata import AddUserMetadata
from blocks.backup.settings import BackupSettingsValues, default_role_in_backup
from bot.accounts.adding import (
    BackupSettingsSubmitted,
    ChooseBackupSettings,
    NewUserSubmitted,
    UserAdded,
    submit_backup_settings,
    submit_new_user,
)
from bot.accounts.administrators import AddNewUser
from bot.approvals.policy import SentForApproval
from bot.customers.reading import customers_for_new_user
from bot.customers.scope import CustomerScope
from bot.deps import Deps
from bot.slack.acks import claim_in_listener
from commands.access import require_helpdesk
from commands.backup.forms import add_user_choices, backup_settings_form, new_user_form
from commands.errors import answers_errors
from commands.state import ViewState, carried
from commands.submissions import answer_submission

log = logging.getLogger(__name__)


def open_add_user(
    deps: Deps,
    client: WebClient,
    *,
    trigger_id: str,
    channel_id: str | None,
    customer_text: str | None,
    scope: CustomerScope,
) -> None:
    choice = customers_for_new_user(deps.db, customer_text=customer_text, scope=scope)
    metadata = AddUserMetadata(request_key=str(uuid.uuid4()), channel_id=channel_id, customer_id=choice.fixed)
    client.views_open(
        trigger_id=trigger_id, view=add_user_modal(metadata=metadata, customers=choice.customers)
    )


@answers_errors
def reshape_add_user(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Role, separate e-mail and services change which fields the modal shows."""
    ack()
    view = body["view"]
    metadata = carried(AddUserMetadata, view.get("private_metadata"))
    scope = deps.scopes.scope_for(context.user_id)
    choice = customers_for_new_user(deps.db, customer_text=None, scope=scope)
    updated = add_user_modal(
        metadata=metadata, customers=choice.customers, choices=add_user_choices(ViewState(view))
    )
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        log.debug("add-user modal changed again meanwhile; the later update wins")


def _answer(result: ChooseBackupSettings | UserAdded | SentForApproval, deps: Deps) -> dict[str, Any]:
    """The submission's response: the next step, the modal closed, or "sent for approval"."""
    if isinstance(result, ChooseBackupSettings):
        values = BackupSettingsValues(backup_role=default_role_in_backup(result.request.new_user.role))
        pushed = add_user_backup_settings_view(
            request=result.request, customer=result.customer, values=values
        )
        return {"response_action": "push", "view": pushed}
    if isinstance(result, SentForApproval):
        view = sent_for_approval_modal(
            title="Add New User", summary=result.summary, approvals_channel=deps.settings.approvals_channel
        )
        return {"response_action": "update", "view": view}
    return {"response_action": "clear"}


def submit_add_user(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    # The retry check is made by the write that creates the user, if this step writes: with
    # Backup ticked it only reads and answers, and answers a retry the same.
    pending = claim_in_listener(ack)
    metadata = carried(AddUserMetadata, view.get("private_metadata"))
    actor = str(context.user_id)
    command = NewUserSubmitted(
        form=new_user_form(ViewState(view), metadata),
        request_key=metadata.request_key,
        channel_id=metadata.channel_id,
        actor=actor,
        scope=deps.scopes.scope_for(actor),
        once=pending.key,
    )

    def run() -> dict[str, Any]:
        with pending.settled():
            added = submit_new_user(deps.db, deps.platform, deps.settings, command, now=deps.clock.now())
        return _answer(added, deps)

    answer_submission(ack, view, run)


def submit_settings_step(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    # The retry check is made by the write that creates the user: one commit, not two.
    pending = claim_in_listener(ack)
    actor = str(context.user_id)
    command = BackupSettingsSubmitted(
        request=carried(AddNewUser, view.get("private_metadata")),
        form=backup_settings_form(ViewState(view)),
        actor=actor,
        scope=deps.scopes.scope_for(actor),
        once=pending.key,
    )

    def run() -> dict[str, Any]:
        with pending.settled():
            added = submit_backup_settings(deps.db, deps.settings, command, now=deps.clock.now())
        return _answer(added, deps)

    answer_submission(ack, view, run)


# Their listeners claim the Slack request's key themselves (above), not the middleware before them.
CLAIMED_BY_LISTENER = frozenset({CallbackId.ADD_USER, CallbackId.ADD_USER_BACKUP_SETTINGS})


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    for action in (ActionId.ROLE_CHANGED, ActionId.SEPARATE_EMAIL_TOGGLED, ActionId.SERVICES_CHANGED):
        app.action(action, middleware=helpdesk)(reshape_add_user)
    app.view(CallbackId.ADD_USER, middleware=helpdesk)(submit_add_user)
    app.view(CallbackId.ADD_USER_BACKUP_SETTINGS, middleware=helpdesk)(submit_settings_step)
