"""Add New User and its Acronis Backup Settings step."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from blocks.backup.fields import customer_select, email_input, text_input
from blocks.backup.ids import ActionId, CallbackId
from blocks.backup.ids import Option as OptionValue
from blocks.backup.metadata import AddUserMetadata
from blocks.backup.settings import BackupSettingsValues, settings_blocks
from blocks.text import escape, mrkdwn, option, plain
from bot.accounts.administrators import AddNewUser
from bot.accounts.forms import Field
from bot.accounts.models import Role
from bot.customers.service import CustomerSummary, SubscriptionSummary
from bot.validation import ADDRESS_MAX, NAME_MAX

SEPARATE_EMAIL_TEXT = "Use different emails to sign in and receive notifications"


@dataclass(frozen=True)
class AddUserChoices:
    """What the Add New User modal currently shows; changing them re-renders it (views.update)."""

    role: Role = Role.USER
    separate_email: bool = False
    assign_backup: bool = True


def _customer_block(metadata: AddUserMetadata, customers: Sequence[CustomerSummary]) -> Block:
    """The customer named in the command (or the only one) is shown; otherwise it is chosen."""
    fixed = next((c for c in customers if c.id == metadata.customer_id), None)
    if fixed is not None:
        return ContextBlock(elements=[mrkdwn(f"Customer: *{escape(fixed.name)}*")])
    return customer_select(customers)


def _role_block(choices: AddUserChoices) -> InputBlock:
    return InputBlock(
        block_id=Field.ROLE,
        label=plain("Role"),
        dispatch_action=True,
        element=RadioButtonsElement(
            action_id=ActionId.ROLE_CHANGED,
            options=[option(role.label, role.value) for role in Role],
            initial_option=option(choices.role.label, choices.role.value),
        ),
    )


def _administrator_blocks() -> list[Block]:
    """An Administrator's address and phone, required."""
    return [
        text_input(
            Field.ADDRESS,
            "Address",
            max_length=ADDRESS_MAX,
            multiline=True,
            placeholder="Street, postcode, city, country",
        ),
        text_input(
            Field.PHONE,
            "Phone",
            max_length=40,
            placeholder="+31 20 123 4567",
            hint="Include the country code.",
        ),
    ]


def _notification_email_blocks(choices: AddUserChoices) -> list[Block]:
    """The box to use a different notification e-mail, and that e-mail's field when ticked."""
    separate = option(SEPARATE_EMAIL_TEXT, OptionValue.SEPARATE_EMAIL)
    blocks: list[Block] = [
        ActionsBlock(
            block_id=Field.SEPARATE_NOTIFICATION_EMAIL,
            elements=[
                CheckboxesElement(
                    action_id=ActionId.SEPARATE_EMAIL_TOGGLED,
                    options=[separate],
                    initial_options=[separate] if choices.separate_email else None,
                )
            ],
        )
    ]
    if choices.separate_email:
        hint = "Activation and backup notifications go to this address."
        blocks.append(email_input(Field.NOTIFICATION_EMAIL, "Notification email", hint=hint))
    return blocks


def _services_block(choices: AddUserChoices) -> InputBlock:
    backup = option("Backup", OptionValue.BACKUP)
    return InputBlock(
        block_id=Field.SERVICES,
        label=plain("Assign services"),
        optional=True,
        dispatch_action=True,
        element=CheckboxesElement(
            action_id=ActionId.SERVICES_CHANGED,
            options=[backup],
            initial_options=[backup] if choices.assign_backup else None,
        ),
    )


def add_user_modal(
    *,
    metadata: AddUserMetadata,
    customers: Sequence[CustomerSummary],
    choices: AddUserChoices = AddUserChoices(),
) -> View:
    blocks: list[Block] = [
        _customer_block(metadata, customers),
        text_input(Field.FIRST_NAME, "First name", max_length=NAME_MAX),
        text_input(Field.LAST_NAME, "Last name", max_length=NAME_MAX),
        email_input(Field.EMAIL, "Email", hint="The user signs in with this address."),
        _role_block(choices),
    ]
    if choices.role is Role.ADMINISTRATOR:
        blocks += _administrator_blocks()
    blocks += _notification_email_blocks(choices)
    blocks.append(_services_block(choices))
    return View(
        type="modal",
        callback_id=CallbackId.ADD_USER,
        title=plain("Add New User", 24),
        submit=plain("Next" if choices.assign_backup else "Create", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )


def add_user_backup_settings_modal(
    *, request: AddNewUser, customer: CustomerSummary, values: BackupSettingsValues
) -> View:
    """The second step; its private_metadata carries the first step's request as it is."""
    settings = settings_blocks(subscriptions=customer.subscriptions, values=values, show_subscription=True)
    return _settings_step(request, customer, settings)


def add_user_backup_settings_view(
    *, request: AddNewUser, customer: CustomerSummary, values: BackupSettingsValues
) -> dict[str, Any]:
    """`add_user_backup_settings_modal(…).to_dict()`, as the details step's ack pushes it. The
    settings blocks are the same for every new user of a customer with the same initial values:
    they are turned into JSON once (slack_sdk's to_dict of the whole modal was 0.6 ms of the
    step, which people submitting at once wait for in turn); the rest, which carries the person's
    request, is checked and turned into JSON by slack_sdk as always."""
    view = _settings_step(request, customer, []).to_dict()
    view["blocks"] += json.loads(_settings_blocks_json(customer.subscriptions, values))
    return view


@lru_cache(maxsize=256)
def _settings_blocks_json(
    subscriptions: tuple[SubscriptionSummary, ...], values: BackupSettingsValues
) -> str:
    # A string, so that each view gets blocks of its own to change.
    blocks = settings_blocks(subscriptions=subscriptions, values=values, show_subscription=True)
    return json.dumps([block.to_dict() for block in blocks])


def _settings_step(request: AddNewUser, customer: CustomerSummary, settings: Sequence[Block]) -> View:
    new_user = request.new_user
    who = f"*{escape(new_user.first_name)} {escape(new_user.last_name)}* ({escape(new_user.email)})"
    blocks: list[Block] = [
        ContextBlock(elements=[mrkdwn(f"Backup for {who} at *{escape(customer.name)}*")]),
        *settings,
    ]
    return View(
        type="modal",
        callback_id=CallbackId.ADD_USER_BACKUP_SETTINGS,
        title=plain("Acronis Backup Settings", 24),
        submit=plain("Create", 24),
        close=plain("Back", 24),
        private_metadata=request.model_dump_json(),
        blocks=blocks,
    )
