"""`/backup delete <email> [customer]`: the Delete User modal, then deleting or asking for approval."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.approvals import sent_for_approval_modal
from blocks.backup.delete import delete_user_modal
from blocks.backup.ids import CallbackId
from blocks.backup.metadata import DeleteUserMetadata
from bot.accounts.actions import UserAction
from bot.accounts.deletion import CONFIRM_FIELD, DeleteUser, delete_or_request_approval
from bot.accounts.reading import live_user_summary
from bot.approvals.policy import ApprovalKind, SentForApproval, needs_approval
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.state import ViewState, carried
from commands.submissions import answer_submission


def open_delete_user(
    deps: Deps, client: WebClient, *, trigger_id: str, channel_id: str | None, action: UserAction
) -> None:
    user = live_user_summary(deps.db, action)
    metadata = DeleteUserMetadata(user_id=user.id, channel_id=channel_id, request_key=str(uuid.uuid4()))
    view = delete_user_modal(
        user=user, metadata=metadata, needs_approval=needs_approval(deps.settings, ApprovalKind.USER_DELETION)
    )
    client.views_open(trigger_id=trigger_id, view=view)


def submit_delete_user(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    metadata = carried(DeleteUserMetadata, view.get("private_metadata"))
    actor = str(context.user_id)
    command = DeleteUser(
        action=UserAction(metadata.user_id, actor, deps.scopes.scope_for(actor)),
        typed_email=ViewState(view).text(CONFIRM_FIELD),
        request_key=metadata.request_key,
        channel_id=metadata.channel_id,
    )

    def run() -> dict[str, Any]:
        result = delete_or_request_approval(deps.db, deps.settings, command, now=deps.clock.now())
        if isinstance(result, SentForApproval):
            waiting = sent_for_approval_modal(
                title="Delete User", summary=result.summary, approvals_channel=deps.settings.approvals_channel
            )
            return {"response_action": "update", "view": waiting}
        return {"response_action": "clear"}

    answer_submission(ack, view, run)


def register(app: App) -> None:
    app.view(CallbackId.DELETE_USER, middleware=[require_helpdesk])(submit_delete_user)
