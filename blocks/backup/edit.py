"""The Edit User modal: the Add New User fields about the person, prefilled."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    EmailInputElement,
    InputBlock,
    PlainTextInputElement,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from blocks.backup.ids import CallbackId
from blocks.backup.metadata import UserSettingsMetadata
from blocks.text import escape, mrkdwn, option, plain
from bot.accounts.forms import Field
from bot.accounts.models import Role
from bot.accounts.summary import UserSummary
from bot.validation import ADDRESS_MAX, NAME_MAX


def _text(
    field: Field,
    label: str,
    value: str | None,
    *,
    max_length: int,
    optional: bool = False,
    multiline: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=plain(label),
        optional=optional,
        element=PlainTextInputElement(
            action_id=field, initial_value=value or None, max_length=max_length, multiline=multiline
        ),
    )


def _email(
    field: Field, label: str, value: str | None, *, optional: bool = False, hint: str | None = None
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=plain(label),
        optional=optional,
        hint=plain(hint) if hint else None,
        element=EmailInputElement(action_id=field, initial_value=value or None),
    )


def edit_user_modal(*, user: UserSummary, metadata: UserSettingsMetadata) -> View:
    blocks: list[Block] = [
        ContextBlock(elements=[mrkdwn(f"*{escape(user.full_name)}* at *{escape(user.customer)}*")]),
        _text(Field.FIRST_NAME, "First name", user.first_name, max_length=NAME_MAX),
        _text(Field.LAST_NAME, "Last name", user.last_name, max_length=NAME_MAX),
        _email(Field.EMAIL, "Email", user.email, hint="The user signs in with this address."),
        InputBlock(
            block_id=Field.ROLE,
            label=plain("Role"),
            element=RadioButtonsElement(
                action_id=Field.ROLE,
                options=[option(role.label, role.value) for role in Role],
                initial_option=option(user.role.label, user.role.value),
            ),
        ),
        _text(Field.ADDRESS, "Address", user.address, max_length=ADDRESS_MAX, optional=True, multiline=True),
        _text(Field.PHONE, "Phone", user.phone, max_length=40, optional=True),
        _email(
            Field.NOTIFICATION_EMAIL,
            "Notification email",
            user.notification_email,
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
