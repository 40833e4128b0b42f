"""The Edit User modal: the Add New User fields about the person, prefilled."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from blocks.backup.fields import email_input, text_input
from blocks.backup.ids import CallbackId
from blocks.backup.metadata import UserSettingsMetadata
from blocks.text import escape, mrkdwn, option, plain
from bot.accounts.forms import Field
from bot.accounts.models import Role
from bot.accounts.summary import UserSummary
from bot.validation import ADDRESS_MAX, NAME_MAX


def edit_user_modal(*, user: UserSummary, metadata: UserSettingsMetadata) -> View:
    blocks: list[Block] = [
        ContextBlock(elements=[mrkdwn(f"*{escape(user.full_name)}* at *{escape(user.customer)}*")]),
        text_input(Field.FIRST_NAME, "First name", initial=user.first_name, max_length=NAME_MAX),
        text_input(Field.LAST_NAME, "Last name", initial=user.last_name, max_length=NAME_MAX),
        email_input(Field.EMAIL, "Email", initial=user.email, hint="The user signs in with this address."),
        InputBlock(
            block_id=Field.ROLE,
            label=plain("Role"),
            element=RadioButtonsElement(
                action_id=Field.ROLE,
                options=[option(role.label, role.value) for role in Role],
                initial_option=option(user.role.label, user.role.value),
            ),
        ),
        text_input(
            Field.ADDRESS,
            "Address",
            initial=user.address,
            max_length=ADDRESS_MAX,
            optional=True,
            multiline=True,
        ),
        text_input(Field.PHONE, "Phone", initial=user.phone, max_length=40, optional=True),
        email_input(
            Field.NOTIFICATION_EMAIL,
            "Notification email",
            initial=user.notification_email,
            optional=True,
            hint="Leave empty to send the user's mail to the sign-in e-mail.",
        ),
        ContextBlock(elements=[mrkdwn("An Administrator needs an address and a phone number.")]),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.EDIT_USER,
        title=plain("Edit User", 24),
        submit=plain("Save", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )
