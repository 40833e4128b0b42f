"""Checking the Add New User and Backup Settings forms: all problems at once, by field."""

from __future__ import annotations

import pytest

from bot.accounts.forms import (
    BackupSettingsForm,
    Field,
    NewUserForm,
    check_backup_settings,
    check_new_user,
)
from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.errors import FieldErrors


def form(**overrides: object) -> NewUserForm:
    values: dict[str, object] = {
        "customer_id": 1,
        "first_name": " John ",
        "last_name": "Doe",
        "email": "John.Doe@Example.com",
        "role": Role.USER,
        "address": None,
        "phone": None,
        "separate_notification_email": False,
        "notification_email": None,
        "assign_backup": True,
    }
    values.update(overrides)
    return NewUserForm(**values)  # type: ignore[arg-type]


def errors(new_user_form: NewUserForm) -> dict[str, str]:
    with pytest.raises(FieldErrors) as raised:
        check_new_user(new_user_form, phone_region="NL")
    return raised.value.errors


def test_a_good_form_is_normalised() -> None:
    user = check_new_user(form(), phone_region="NL")
    assert (user.first_name, user.email, user.address, user.phone) == (
        "John",
        "John.Doe@example.com",
        None,
        None,
    )


def test_administrator_fields_and_national_phone_numbers() -> None:
    user = check_new_user(
        form(role=Role.ADMINISTRATOR, address="Dam 1, Amsterdam", phone="020 123 4567"), phone_region="NL"
    )
    assert user.phone == "+31201234567"
    assert errors(form(role=Role.ADMINISTRATOR)) == {
        Field.ADDRESS: "Enter an address.",
        Field.PHONE: "Enter a phone number.",
    }


def test_every_problem_is_reported_at_once() -> None:
    found = errors(
        form(
            customer_id=None,
            first_name="",
            last_name="x" * 101,
            email="john@",
            separate_notification_email=True,
            notification_email="",
        )
    )
    assert set(found) == {
        Field.CUSTOMER,
        Field.FIRST_NAME,
        Field.LAST_NAME,
        Field.EMAIL,
        Field.NOTIFICATION_EMAIL,
    }
    assert found[Field.LAST_NAME] == "A last name can have at most 100 characters (this one has 101)."


def test_no_dns_lookups_and_no_header_injection() -> None:
    assert check_new_user(form(email="someone@example.com"), phone_region="NL").email == "someone@example.com"
    assert Field.EMAIL in errors(form(email="a@b.example\r\nBcc: victim@example.com"))
    assert Field.FIRST_NAME in errors(form(first_name="John\nBcc: x"))


def test_same_notification_email_is_refused() -> None:
    found = errors(form(separate_notification_email=True, notification_email="john.doe@example.com"))
    assert "same as the sign-in e-mail" in found[Field.NOTIFICATION_EMAIL]


def settings_form(**quotas: str | None) -> BackupSettingsForm:
    return BackupSettingsForm(
        subscription_id=None,
        notification_level=NotificationLevel.ALL,
        backup_role=BackupRole.USER,
        quotas={Field(k): v for k, v in quotas.items()},
    )


def test_single_subscription_is_chosen_silently_and_quotas_checked() -> None:
    checked = check_backup_settings(
        settings_form(quota_storage_gb="100", quota_servers=""), subscription_ids=[9]
    )
    assert checked.subscription_id == 9
    assert checked.quotas.storage_gb == 100 and checked.quotas.servers is None
    with pytest.raises(FieldErrors) as raised:
        check_backup_settings(
            settings_form(quota_workstations="-1", quota_m365_seats="1e3"), subscription_ids=[1, 2]
        )
    assert set(raised.value.errors) == {Field.SUBSCRIPTION, Field.QUOTA_WORKSTATIONS, Field.QUOTA_M365_SEATS}
