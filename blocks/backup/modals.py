"""Modals of /backup: Add New User, Acronis Backup Settings, Assign Service, Backup User Settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    CheckboxesElement,
    ContextBlock,
    EmailInputElement,
    ExternalDataSelectElement,
    InputBlock,
    NumberInputElement,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from blocks.backup.ids import ActionId, CallbackId
from blocks.backup.ids import Option as OptionValue
from blocks.backup.metadata import AddUserMetadata, AddUserSettingsMetadata, UserSettingsMetadata
from blocks.text import escape, mrkdwn, option, plain
from bot.accounts.forms import QUOTA_FIELDS, Field
from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.accounts.summary import UserSummary
from bot.customers.scope import CustomerChoice
from bot.customers.service import CustomerSummary, SubscriptionSummary
from bot.integrations.backup.port import Quotas
from bot.validation import ADDRESS_MAX, NAME_MAX

SELECT_OPTIONS_MAX = 100
QUOTA_LABELS: dict[Field, str] = {
    Field.QUOTA_STORAGE_GB: "Storage quota (GB)",
    Field.QUOTA_WORKSTATIONS: "Workstations",
    Field.QUOTA_SERVERS: "Servers",
    Field.QUOTA_VIRTUAL_MACHINES: "Virtual machines",
    Field.QUOTA_MOBILE_DEVICES: "Mobile devices",
    Field.QUOTA_M365_SEATS: "Microsoft 365 seats",
}
SEPARATE_EMAIL_TEXT = "Use different emails to sign in and receive notifications"


def text_input(
    field: Field,
    label: str,
    *,
    max_length: int,
    optional: bool = False,
    multiline: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
    initial: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=plain(label),
        optional=optional,
        hint=plain(hint) if hint else None,
        element=PlainTextInputElement(
            action_id=field,
            initial_value=initial or None,
            max_length=max_length,
            multiline=multiline,
            placeholder=plain(placeholder, 150) if placeholder else None,
        ),
    )


def email_input(
    field: Field, label: str, *, hint: str | None = None, optional: bool = False, initial: str | None = None
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=plain(label),
        optional=optional,
        hint=plain(hint) if hint else None,
        element=EmailInputElement(
            action_id=field, placeholder=plain("name@company.com"), initial_value=initial or None
        ),
    )


def customer_select(customers: Sequence[CustomerSummary]) -> InputBlock:
    """`Customer`: a static select while every customer fits in one (Slack: 100 options), else a
    type-ahead over any part of the name (an external select answered by the options listener)."""
    element: StaticSelectElement | ExternalDataSelectElement
    if len(customers) > SELECT_OPTIONS_MAX:
        element = ExternalDataSelectElement(
            action_id=ActionId.CUSTOMER_SEARCH,
            placeholder=plain("Type part of the customer's name"),
            min_query_length=1,
        )
    else:
        element = StaticSelectElement(
            action_id=Field.CUSTOMER,
            placeholder=plain("Choose a customer"),
            options=[option(c.name, str(c.id)) for c in customers],
        )
    return InputBlock(block_id=Field.CUSTOMER, label=plain("Customer"), element=element)


def customer_options(choices: Sequence[CustomerChoice]) -> list[dict[str, Any]]:
    """The answer to a type-ahead customer field's options request."""
    return [option(choice.name, str(choice.id)).to_dict() for choice in choices[:SELECT_OPTIONS_MAX]]


@dataclass(frozen=True)
class AddUserChoices:
    """What the Add New User modal currently shows; changing them re-renders it (views.update)."""

    role: Role = Role.USER
    separate_email: bool = False
    assign_backup: bool = True


def add_user_modal(
    *,
    metadata: AddUserMetadata,
    customers: Sequence[CustomerSummary],
    choices: AddUserChoices = AddUserChoices(),
) -> View:
    blocks: list[Block] = []
    fixed = next((c for c in customers if c.id == metadata.customer_id), None)
    if fixed is not None:
        blocks.append(ContextBlock(elements=[mrkdwn(f"Customer: *{escape(fixed.name)}*")]))
    else:
        blocks.append(customer_select(customers))
    blocks += [
        text_input(Field.FIRST_NAME, "First name", max_length=NAME_MAX),
        text_input(Field.LAST_NAME, "Last name", max_length=NAME_MAX),
        email_input(Field.EMAIL, "Email", hint="The user signs in with this address."),
        InputBlock(
            block_id=Field.ROLE,
            label=plain("Role"),
            dispatch_action=True,
            element=RadioButtonsElement(
                action_id=ActionId.ROLE_CHANGED,
                options=[option(role.label, role.value) for role in Role],
                initial_option=option(choices.role.label, choices.role.value),
            ),
        ),
    ]
    if choices.role is Role.ADMINISTRATOR:
        blocks += [
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
    separate = option(SEPARATE_EMAIL_TEXT, OptionValue.SEPARATE_EMAIL)
    blocks.append(
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
    )
    if choices.separate_email:
        blocks.append(
            email_input(
                Field.NOTIFICATION_EMAIL,
                "Notification email",
                hint="Activation and backup notifications go to this address.",
            )
        )
    backup = option("Backup", OptionValue.BACKUP)
    blocks.append(
        InputBlock(
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
    )
    return View(
        type="modal",
        callback_id=CallbackId.ADD_USER,
        title=plain("Add New User", 24),
        submit=plain("Next" if choices.assign_backup else "Create", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )


@dataclass(frozen=True)
class BackupSettingsValues:
    """Initial values of the settings fields."""

    subscription_id: int | None = None
    notification_level: NotificationLevel = NotificationLevel.ERRORS_AND_WARNINGS
    backup_role: BackupRole = BackupRole.USER
    quotas: Quotas = dataclasses.field(default_factory=Quotas)


def _settings_blocks(
    *, subscriptions: Sequence[SubscriptionSummary], values: BackupSettingsValues, show_subscription: bool
) -> list[Block]:
    blocks: list[Block] = []
    if show_subscription and len(subscriptions) > 1:
        options = [option(s.name, str(s.id)) for s in subscriptions[:SELECT_OPTIONS_MAX]]
        initial = next(
            (o for o, s in zip(options, subscriptions, strict=False) if s.id == values.subscription_id), None
        )
        blocks.append(
            InputBlock(
                block_id=Field.SUBSCRIPTION,
                label=plain("Subscription"),
                element=StaticSelectElement(
                    action_id=Field.SUBSCRIPTION,
                    placeholder=plain("Choose the subscription"),
                    options=options,
                    initial_option=initial,
                ),
            )
        )
    elif show_subscription and subscriptions:
        chosen = next((s for s in subscriptions if s.id == values.subscription_id), subscriptions[0])
        blocks.append(ContextBlock(elements=[mrkdwn(f"Subscription: *{escape(chosen.name)}*")]))
    levels = [option(level.label, level.value) for level in NotificationLevel]
    roles = [option(role.label, role.value) for role in BackupRole]
    blocks += [
        InputBlock(
            block_id=Field.NOTIFICATIONS,
            label=plain("Notifications"),
            element=StaticSelectElement(
                action_id=Field.NOTIFICATIONS,
                options=levels,
                initial_option=option(values.notification_level.label, values.notification_level.value),
            ),
        ),
        InputBlock(
            block_id=Field.BACKUP_ROLE,
            label=plain("Role"),
            element=RadioButtonsElement(
                action_id=Field.BACKUP_ROLE,
                options=roles,
                initial_option=option(values.backup_role.label, values.backup_role.value),
            ),
        ),
        SectionBlock(text=mrkdwn("*Quotas* — leave a field empty for unlimited.")),
    ]
    current = vars(values.quotas)
    for field, label in QUOTA_LABELS.items():
        initial_value = current[QUOTA_FIELDS[field]]
        blocks.append(
            InputBlock(
                block_id=field,
                label=plain(label),
                optional=True,
                element=NumberInputElement(
                    action_id=field,
                    is_decimal_allowed=False,
                    min_value="0",
                    initial_value=str(initial_value) if initial_value is not None else None,
                    placeholder=plain("Unlimited"),
                ),
            )
        )
    return blocks


def add_user_backup_settings_modal(
    *, metadata: AddUserSettingsMetadata, customer: CustomerSummary, values: BackupSettingsValues
) -> View:
    who = f"*{escape(metadata.first_name)} {escape(metadata.last_name)}* ({escape(metadata.email)})"
    blocks: list[Block] = [
        ContextBlock(elements=[mrkdwn(f"Backup for {who} at *{escape(customer.name)}*")]),
        *_settings_blocks(subscriptions=customer.subscriptions, values=values, show_subscription=True),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.ADD_USER_BACKUP_SETTINGS,
        title=plain("Acronis Backup Settings", 24),
        submit=plain("Create", 24),
        close=plain("Back", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )


def assign_service_modal(
    *,
    user: UserSummary,
    customer: CustomerSummary,
    metadata: UserSettingsMetadata,
    values: BackupSettingsValues,
) -> View:
    blocks: list[Block] = [
        ContextBlock(
            elements=[
                mrkdwn(f"*{escape(user.full_name)}* ({escape(user.email)}) at *{escape(customer.name)}*")
            ]
        ),
        SectionBlock(text=mrkdwn("Service: *Backup*")),
        *_settings_blocks(subscriptions=customer.subscriptions, values=values, show_subscription=True),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.ASSIGN_SERVICE,
        title=plain("Assign Service", 24),
        submit=plain("Assign", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )


def user_settings_modal(
    *,
    user: UserSummary,
    customer: CustomerSummary,
    metadata: UserSettingsMetadata,
    values: BackupSettingsValues,
) -> View:
    subscription = user.backup.subscription if user.backup else "—"
    blocks: list[Block] = [
        ContextBlock(
            elements=[
                mrkdwn(
                    f"*{escape(user.full_name)}* ({escape(user.email)}) at *{escape(customer.name)}* · "
                    f"Subscription: *{escape(subscription)}*"
                )
            ]
        ),
        *_settings_blocks(subscriptions=customer.subscriptions, values=values, show_subscription=False),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.USER_SETTINGS,
        title=plain("Backup User Settings", 24),
        submit=plain("Save", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )


def settings_values_of(user: UserSummary, *, default_role: BackupRole | None = None) -> BackupSettingsValues:
    """The fields' initial values: the user's current Backup settings, or defaults for their role."""
    if user.backup is None:
        role = default_role or (
            BackupRole.ADMINISTRATOR if user.role is Role.ADMINISTRATOR else BackupRole.USER
        )
        return BackupSettingsValues(backup_role=role)
    return BackupSettingsValues(
        subscription_id=user.backup.subscription_id,
        notification_level=user.backup.notification_level,
        backup_role=user.backup.backup_role,
        quotas=user.backup.quotas,
    )


def field_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Field errors for `response_action: errors`; input block ids are the field names."""
    return {str(field): message[:2000] for field, message in errors.items()}
