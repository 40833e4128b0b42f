"""The Delete User modal: the user, what deleting means, and the e-mail typed to confirm."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, InputBlock, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from blocks.backup.ids import CallbackId
from blocks.backup.metadata import DeleteUserMetadata
from blocks.text import escape, mrkdwn, plain
from bot.accounts.deletion import CONFIRM_FIELD
from bot.accounts.summary import UserSummary


def delete_user_modal(*, user: UserSummary, metadata: DeleteUserMetadata, needs_approval: bool) -> View:
    blocks: list[Block] = [
        SectionBlock(
            text=mrkdwn(
                f"*{escape(user.full_name)}* ({escape(user.email)}) at *{escape(user.customer)}* · "
                f"{user.role.label} · {user.status.label}"
            )
        ),
        SectionBlock(
            text=mrkdwn(
                ":warning: The account is deleted on the backup platform with its backups and cannot be "
                "restored. deskops keeps the record, marked *Deleted*, for the audit trail."
            )
        ),
        InputBlock(
            block_id=CONFIRM_FIELD,
            label=plain("Type the user's e-mail address to confirm"),
            element=PlainTextInputElement(
                action_id=CONFIRM_FIELD, placeholder=plain(user.email, 150), max_length=320
            ),
        ),
    ]
    if needs_approval:
        blocks.append(
            ContextBlock(elements=[mrkdwn("Deleting a user needs an approver's OK: it is asked next.")])
        )
    return View(
        type="modal",
        callback_id=CallbackId.DELETE_USER,
        title=plain("Delete User", 24),
        submit=plain("Delete", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )
