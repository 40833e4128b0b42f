"""Reading /backup payloads (modals, buttons) into the typed forms and commands of bot.accounts."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from blocks.backup.add_user import AddUserChoices
from blocks.backup.ids import Option
from blocks.backup.metadata import AddUserMetadata, UserRef
from bot.accounts.actions import UserAction
from bot.accounts.forms import QUOTA_FIELDS, BackupSettingsForm, Field, NewUserForm
from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.deps import Deps
from commands.state import ViewState, carried, whole_number


def _enum_or_none(enum: Any, value: str | None) -> Any:
    try:
        return enum(value) if value is not None else None
    except ValueError:
        return None


def add_user_choices(state: ViewState) -> AddUserChoices:
    """What shapes the Add New User modal right now."""
    return AddUserChoices(
        role=_enum_or_none(Role, state.selected(Field.ROLE)) or Role.USER,
        separate_email=Option.SEPARATE_EMAIL in state.selected_many(Field.SEPARATE_NOTIFICATION_EMAIL),
        assign_backup=Option.BACKUP in state.selected_many(Field.SERVICES),
    )


def new_user_form(state: ViewState, metadata: AddUserMetadata) -> NewUserForm:
    choices = add_user_choices(state)
    customer = metadata.customer_id
    if customer is None:
        chosen = state.selected(Field.CUSTOMER)
        customer = whole_number(chosen)
    return NewUserForm(
        customer_id=customer,
        first_name=state.text(Field.FIRST_NAME),
        last_name=state.text(Field.LAST_NAME),
        email=state.text(Field.EMAIL),
        role=choices.role,
        address=state.text(Field.ADDRESS),
        phone=state.text(Field.PHONE),
        separate_notification_email=choices.separate_email,
        notification_email=state.text(Field.NOTIFICATION_EMAIL),
        assign_backup=choices.assign_backup,
    )


def backup_settings_form(state: ViewState) -> BackupSettingsForm:
    subscription = state.selected(Field.SUBSCRIPTION)
    return BackupSettingsForm(
        subscription_id=whole_number(subscription),
        notification_level=_enum_or_none(NotificationLevel, state.selected(Field.NOTIFICATIONS)),
        backup_role=_enum_or_none(BackupRole, state.selected(Field.BACKUP_ROLE)),
        quotas={field: state.text(field) for field in QUOTA_FIELDS},
    )


def clicked_user(body: dict[str, Any], context: BoltContext, deps: Deps) -> UserAction:
    """The user a button names, acted on by the person who clicked, within their scope."""
    ref = carried(UserRef, body["actions"][0].get("value"))
    actor = str(context.user_id)
    return UserAction(ref.user_id, actor, deps.scopes.scope_for(actor))
