"""What helpdesk staff submit, as plain typed values, and how it is checked.

Listeners fill these from Slack payloads; services check them and raise FieldErrors keyed by
the `Field` names, which the listeners map to the modal's blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.errors import FieldErrors
from bot.integrations.backup.port import Quotas
from bot.validation import check_address, check_email, check_name, check_phone, check_quota

T = TypeVar("T")


class Field(StrEnum):
    CUSTOMER = "customer"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    ROLE = "role"
    ADDRESS = "address"
    PHONE = "phone"
    SEPARATE_NOTIFICATION_EMAIL = "separate_notification_email"
    NOTIFICATION_EMAIL = "notification_email"
    SERVICES = "services"
    SUBSCRIPTION = "subscription"
    NOTIFICATIONS = "notifications"
    BACKUP_ROLE = "backup_role"
    QUOTA_STORAGE_GB = "quota_storage_gb"
    QUOTA_WORKSTATIONS = "quota_workstations"
    QUOTA_SERVERS = "quota_servers"
    QUOTA_VIRTUAL_MACHINES = "quota_virtual_machines"
    QUOTA_MOBILE_DEVICES = "quota_mobile_devices"
    QUOTA_M365_SEATS = "quota_m365_seats"


QUOTA_FIELDS: dict[Field, str] = {
    Field.QUOTA_STORAGE_GB: "storage_gb",
    Field.QUOTA_WORKSTATIONS: "workstations",
    Field.QUOTA_SERVERS: "servers",
    Field.QUOTA_VIRTUAL_MACHINES: "virtual_machines",
    Field.QUOTA_MOBILE_DEVICES: "mobile_devices",
    Field.QUOTA_M365_SEATS: "m365_seats",
}


@dataclass(frozen=True)
class NewUserForm:
    """The Add New User modal as typed (raw strings, nothing checked yet)."""

    customer_id: int | None
    first_name: str | None
    last_name: str | None
    email: str | None
    role: Role
    address: str | None
    phone: str | None
    separate_notification_email: bool
    notification_email: str | None
    assign_backup: bool


@dataclass(frozen=True)
class BackupSettingsForm:
    """Acronis Backup Settings / Assign Service / Backup User Settings as typed."""

    subscription_id: int | None
    notification_level: NotificationLevel | None
    backup_role: BackupRole | None
    quotas: dict[Field, str | None]


@dataclass(frozen=True)
class BackupSettings:
    subscription_id: int
    notification_level: NotificationLevel
    backup_role: BackupRole
    quotas: Quotas


# A checked phone number is kept in E.164 ("+31201234567"), which reads the same in every region.
ANY_REGION = "ZZ"


class NewUser(BaseModel):
    """One user being added: checked from the Add New User modal (`check_new_user`), carried
    as-is by its Backup settings step, held as-is by an approval, then created. `backup` is set
    once the Backup settings are chosen (None: no service)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: int
    first_name: str
    last_name: str
    email: str
    role: Role
    address: str | None
    phone: str | None
    notification_email: str | None
    backup: BackupSettings | None = None

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        """Every way in is checked as the modal's fields are (`check_new_user`), and holds the
        checked values: a record read back from Slack (sealed, still not taken on trust) or out
        of an approval included. A value that does not pass reads as a validation error."""
        if not isinstance(data, dict):
            return data
        checked = dict(data)
        checked["first_name"] = check_name(data.get("first_name"), what="first name")
        checked["last_name"] = check_name(data.get("last_name"), what="last name")
        checked["email"] = check_email(data.get("email"))
        if data.get("notification_email") is not None:
            checked["notification_email"] = check_email(data["notification_email"])
            if checked["notification_email"].lower() == checked["email"].lower():
                raise ValueError("the notification e-mail is the sign-in e-mail")
        if str(data.get("role")) == Role.ADMINISTRATOR.value:
            checked["address"] = check_address(data.get("address"))
            checked["phone"] = check_phone(data.get("phone"), region=ANY_REGION)
        else:  # only an Administrator has them, as in the modal
            checked["address"] = checked["phone"] = None
        return checked

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _collect(errors: dict[str, str], field: Field, check: Callable[[], T]) -> T | None:
    """Run one field's check, noting its error instead of stopping at the first."""
    try:
        return check()
    except ValueError as error:
        errors[field] = str(error)
        return None


def check_new_user(form: NewUserForm, *, phone_region: str) -> NewUser:
    """Every field checked at once, so the modal shows all problems together."""
    errors: dict[str, str] = {}
    if form.customer_id is None:
        errors[Field.CUSTOMER] = "Choose the customer this user belongs to."
    first = _collect(errors, Field.FIRST_NAME, lambda: check_name(form.first_name, what="first name"))
    last = _collect(errors, Field.LAST_NAME, lambda: check_name(form.last_name, what="last name"))
    email = _collect(errors, Field.EMAIL, lambda: check_email(form.email))
    address: str | None = None
    phone: str | None = None
    if form.role is Role.ADMINISTRATOR:
        address = _collect(errors, Field.ADDRESS, lambda: check_address(form.address))
        phone = _collect(errors, Field.PHONE, lambda: check_phone(form.phone, region=phone_region))
    notification_email: str | None = None
    if form.separate_notification_email:
        notification_email = _collect(
            errors, Field.NOTIFICATION_EMAIL, lambda: check_email(form.notification_email)
        )
        if notification_email and email and notification_email.lower() == email.lower():
            errors[Field.NOTIFICATION_EMAIL] = (
                "This is the same as the sign-in e-mail; untick the box or enter a different address."
            )
    if errors:
        raise FieldErrors(errors)
    assert form.customer_id is not None
    assert first
    assert last
    assert email
    return NewUser(
        customer_id=form.customer_id,
        first_name=first,
        last_name=last,
        email=email,
        role=form.role,
        address=address,
        phone=phone,
        notification_email=notification_email,
    )


def check_backup_settings(form: BackupSettingsForm, *, subscription_ids: list[int]) -> BackupSettings:
    errors: dict[str, str] = {}
    subscription_id = form.subscription_id
    if len(subscription_ids) == 1:
        subscription_id = subscription_ids[0]
    elif not subscription_ids:
        errors[Field.SUBSCRIPTION] = (
            "This customer has no subscription; import one with `deskops customers import`."
        )
    elif subscription_id not in subscription_ids:
        errors[Field.SUBSCRIPTION] = "Choose one of the customer's subscriptions."
    if form.notification_level is None:
        errors[Field.NOTIFICATIONS] = "Choose which notifications the user receives."
    if form.backup_role is None:
        errors[Field.BACKUP_ROLE] = "Choose the user's role in Backup."
    quotas: dict[str, int | None] = {}
    for field, name in QUOTA_FIELDS.items():
        quotas[name] = _collect(errors, field, partial(check_quota, form.quotas.get(field)))
    if errors:
        raise FieldErrors(errors)
    assert subscription_id is not None
    assert form.notification_level
    assert form.backup_role
    return BackupSettings(
        subscription_id=subscription_id,
        notification_level=form.notification_level,
        backup_role=form.backup_role,
        quotas=Quotas(**quotas),
    )
