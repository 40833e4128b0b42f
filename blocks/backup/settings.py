"""Backup settings fields, and the modals for an existing user: Assign Service, Backup User Settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    NumberInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from blocks.backup.fields import SELECT_OPTIONS_MAX
from blocks.backup.ids import CallbackId
from blocks.backup.metadata import UserSettingsMetadata
from blocks.text import escape, mrkdwn, option, plain
from bot.accounts.forms import QUOTA_FIELDS, Field
from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.accounts.summary import UserSummary
from bot.customers.service import CustomerSummary, SubscriptionSummary
from bot.integrations.backup.port import Quotas

QUOTA_LABELS: dict[Field, str] = {
    Field.QUOTA_STORAGE_GB: "Storage quota (GB)",
    Field.QUOTA_WORKSTATIONS: "Workstations",
    Field.QUOTA_SERVERS: "Servers",
    Field.QUOTA_VIRTUAL_MACHINES: "Virtual machines",
    Field.QUOTA_MOBILE_DEVICES: "Mobile devices",
    Field.QUOTA_M365_SEATS: "Microsoft 365 seats",
}


@dataclass(frozen=True)
class BackupSettingsValues:
    """Initial values of the settings fields."""

    subscription_id: int | None = None
    notification_level: NotificationLevel = NotificationLevel.ERRORS_AND_WARNINGS
    backup_role: BackupRole = BackupRole.USER
    quotas: Quotas = dataclasses.field(default_factory=Quotas)


def _subscription_blocks(subscriptions: Sequence[SubscriptionSummary], chosen_id: int | None) -> list[Block]:
    """`Subscription` is chosen when the customer has several; a single one is only named."""
    if len(subscriptions) > 1:
        options = [option(s.name, str(s.id)) for s in subscriptions[:SELECT_OPTIONS_MAX]]
        initial = next((o for o, s in zip(options, subscriptions, strict=False) if s.id == chosen_id), None)
        element = StaticSelectElement(
            action_id=Field.SUBSCRIPTION,
            placeholder=plain("Choose the subscription"),
            options=options,
            initial_option=initial,
        )
        return [InputBlock(block_id=Field.SUBSCRIPTION, label=plain("Subscription"), element=element)]
    if subscriptions:
        chosen = next((s for s in subscriptions if s.id == chosen_id), subscriptions[0])
        return [ContextBlock(elements=[mrkdwn(f"Subscription: *{escape(chosen.name)}*")])]
    return []


def _quota_blocks(quotas: Quotas) -> list[Block]:
    """One number field per quota; empty means unlimited."""
    current = vars(quotas)
    blocks: list[Block] = [SectionBlock(text=mrkdwn("*Quotas* — leave a field empty for unlimited."))]
    for field, label in QUOTA_LABELS.items():
        initial_value = current[QUOTA_FIELDS[field]]
        element = NumberInputElement(
            action_id=field,
            is_decimal_allowed=False,
            min_value="0",
            initial_value=str(initial_value) if initial_value is not None else None,
            placeholder=plain("Unlimited"),
        )
        blocks.append(InputBlock(block_id=field, label=plain(label), optional=True, element=element))
    return blocks


def settings_blocks(
    *, subscriptions: Sequence[SubscriptionSummary], values: BackupSettingsValues, show_subscription: bool
) -> list[Block]:
    """Subscription (when shown), notifications, the role in Backup and the quotas."""
    blocks = _subscription_blocks(subscriptions, values.subscription_id) if show_subscription else []
    level, role = values.notification_level, values.backup_role
    blocks += [
        InputBlock(
            block_id=Field.NOTIFICATIONS,
            label=plain("Notifications"),
            element=StaticSelectElement(
                action_id=Field.NOTIFICATIONS,
                options=[option(each.label, each.value) for each in NotificationLevel],
                initial_option=option(level.label, level.value),
            ),
        ),
        InputBlock(
            block_id=Field.BACKUP_ROLE,
            label=plain("Role"),
            element=RadioButtonsElement(
                action_id=Field.BACKUP_ROLE,
                options=[option(each.label, each.value) for each in BackupRole],
                initial_option=option(role.label, role.value),
            ),
        ),
    ]
    return blocks + _quota_blocks(values.quotas)


def assign_service_modal(
    *,
    user: UserSummary,
    customer: CustomerSummary,
    metadata: UserSettingsMetadata,
    values: BackupSettingsValues,
) -> View:
    who = f"*{escape(user.full_name)}* ({escape(user.email)}) at *{escape(customer.name)}*"
    blocks: list[Block] = [
        ContextBlock(elements=[mrkdwn(who)]),
        SectionBlock(text=mrkdwn("Service: *Backup*")),
        *settings_blocks(subscriptions=customer.subscriptions, values=values, show_subscription=True),
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
    who = (
        f"*{escape(user.full_name)}* ({escape(user.email)}) at *{escape(customer.name)}* · "
        f"Subscription: *{escape(subscription)}*"
    )
    blocks: list[Block] = [
        ContextBlock(elements=[mrkdwn(who)]),
        *settings_blocks(subscriptions=customer.subscriptions, values=values, show_subscription=False),
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


def default_role_in_backup(role: Role) -> BackupRole:
    """A new Backup service's role follows the user's: an Administrator administers Backup too."""
    return BackupRole.ADMINISTRATOR if role is Role.ADMINISTRATOR else BackupRole.USER


def settings_values_of(user: UserSummary) -> BackupSettingsValues:
    """The fields' initial values: the user's current Backup settings, or defaults for their role."""
    if user.backup is None:
        return BackupSettingsValues(backup_role=default_role_in_backup(user.role))
    return BackupSettingsValues(
        subscription_id=user.backup.subscription_id,
        notification_level=user.backup.notification_level,
        backup_role=user.backup.backup_role,
        quotas=user.backup.quotas,
    )
