"""The /backup services a listener calls, each owning its unit of work: what the helpdesk person
is shown, refused or changed, on a SQLite database of the test's own and in-memory platforms."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.accounts.actions import FindUsers, ListUsers, UserAction
from bot.accounts.activation import send_activation
from bot.accounts.assignments import SaveBackupSettings, save_backup_settings, user_to_assign
from bot.accounts.deletion import CONFIRM_FIELD, DeleteUser, delete_or_request_approval
from bot.accounts.editing import EditUser, save_edited_user
from bot.accounts.forms import QUOTA_FIELDS, BackupSettingsForm, Field, NewUserForm
from bot.accounts.lifecycle import disable, enable
from bot.accounts.models import BackupRole, NotificationLevel, Role, UserStatus
from bot.accounts.reading import CustomersOverview, customer_to_list, customer_users, user_summary
from bot.accounts.search import find_users_page
from bot.approvals.models import ApprovalRequest
from bot.approvals.policy import SentForApproval
from bot.clock import ManualClock
from bot.config import load_settings
from bot.customers.scope import (
    EVERY_CUSTOMER,
    CustomerScope,
    CustomerTypeAhead,
    OutOfScope,
    suggest_customers,
)
from bot.db import Database
from bot.errors import FieldErrors, InvalidState
from bot.integrations.backup.port import PlatformError
from bot.tokens import LinkTokens
from tests.support.accounts import (
    ACME,
    GLOBEX,
    HELEN,
    NOW,
    a_new_user,
    add_user,
    audit_actions,
    count,
    outbox_kinds,
    seed_customers,
)
from tests.support.fakes import InMemoryAccountsPlatform

ACME_ONLY = CustomerScope.of([ACME])


def acting(user_id: int, scope: CustomerScope = EVERY_CUSTOMER) -> UserAction:
    return UserAction(user_id, HELEN, scope)


def test_find_shows_only_users_of_customers_in_the_persons_scope(unit_db: Database) -> None:
    ids = seed_customers(unit_db)
    add_user(unit_db, a_new_user(ids[ACME], "sam.acme@example.com", first_name="Sam"))
    add_user(unit_db, a_new_user(ids[GLOBEX], "sam.globex@example.com", first_name="Sam"))
    everyone = find_users_page(unit_db, FindUsers("sam", EVERY_CUSTOMER), limit=10)
    acme = find_users_page(unit_db, FindUsers("sam", ACME_ONLY), limit=10)
    assert sorted(u.email for u in everyone.users) == ["sam.acme@example.com", "sam.globex@example.com"]
    assert [u.email for u in acme.users] == ["sam.acme@example.com"] and acme.total == 1


def test_customer_type_ahead_offers_only_customers_in_scope(unit_db: Database) -> None:
    seed_customers(unit_db)
    offered = suggest_customers(unit_db, CustomerTypeAhead("o", ACME_ONLY), limit=100)
    assert [c.name for c in offered] == [ACME]


def test_users_without_a_customer_list_the_only_one_in_scope_else_every_one_with_counts(
    unit_db: Database,
) -> None:
    ids = seed_customers(unit_db)
    add_user(unit_db, a_new_user(ids[GLOBEX]))
    assert customer_to_list(unit_db, customer_text=None, scope=ACME_ONLY) == ids[ACME]
    overview = customer_to_list(unit_db, customer_text=None, scope=EVERY_CUSTOMER)
    assert isinstance(overview, CustomersOverview)
    assert [(c.name, n) for c, n in overview.customers] == [(ACME, 0), (GLOBEX, 1)]


def test_a_users_page_shows_what_is_known_when_the_platform_cannot_be_read(unit_db: Database) -> None:
    ids = seed_customers(unit_db)
    add_user(unit_db, a_new_user(ids[ACME]))
    platform = InMemoryAccountsPlatform()
    platform.failure = PlatformError("Acronis is down")
    page = customer_users(unit_db, platform, ManualClock(NOW), ListUsers(ids[ACME], EVERY_CUSTOMER), limit=20)
    assert [u.email for u in page.users] == ["john.doe@example.com"] and page.customer.name == ACME
    with pytest.raises(OutOfScope):
        customer_users(unit_db, platform, ManualClock(NOW), ListUsers(ids[GLOBEX], ACME_ONLY), limit=20)


def test_disabling_twice_changes_the_user_and_queues_the_platform_once(unit_db: Database) -> None:
    ids = seed_customers(unit_db)
    user_id = add_user(unit_db, a_new_user(ids[ACME]))
    first = disable(unit_db, acting(user_id), now=NOW)
    again = disable(unit_db, acting(user_id), now=NOW)
    assert (first.changed, again.changed) == (True, False)
    assert user_summary(unit_db, acting(user_id)).status is UserStatus.DISABLED
    assert audit_actions(unit_db).count("user.disabled") == 1
    assert outbox_kinds(unit_db).count("accounts.set_enabled") == 1
    assert enable(unit_db, acting(user_id), now=NOW).changed
    assert user_summary(unit_db, acting(user_id)).status is UserStatus.PENDING_ACTIVATION


def test_a_person_cannot_disable_a_user_of_a_customer_outside_their_scope(unit_db: Database) -> None:
    ids = seed_customers(unit_db)
    user_id = add_user(unit_db, a_new_user(ids[GLOBEX]))
    with pytest.raises(OutOfScope):
        disable(unit_db, acting(user_id, ACME_ONLY), now=NOW)
    assert user_summary(unit_db, acting(user_id)).status is UserStatus.PENDING_ACTIVATION
    assert "user.disabled" not in audit_actions(unit_db)


def test_activation_is_queued_even_when_the_platform_cannot_be_read_back(unit_db: Database) -> None:
    ids = seed_customers(unit_db)
    user_id = add_user(unit_db, a_new_user(ids[ACME], notification_email="john@home.example"))
    platform = InMemoryAccountsPlatform()
    platform.failure = PlatformError("Acronis is down")
    tokens = LinkTokens(b"k" * 32)
    first = send_activation(
        unit_db, platform, ManualClock(NOW), tokens, acting(user_id), valid_for=timedelta(days=7)
    )
    double_click = send_activation(
        unit_db, platform, ManualClock(NOW), tokens, acting(user_id), valid_for=timedelta(days=7)
    )
    assert (first.to, first.queued, double_click.queued) == ("john@home.example", True, False)
    assert outbox_kinds(unit_db).count("accounts.platform_activation") == 1


def _deletion(user_id: int, typed: str, key: str = "modal-1") -> DeleteUser:
    return DeleteUser(acting(user_id), typed_email=typed, request_key=key, channel_id="C0HELP001")


def test_deleting_needs_the_sign_in_email_typed_and_leaves_the_user_alone_otherwise(
    unit_db: Database,
) -> None:
    ids = seed_customers(unit_db)
    user_id = add_user(unit_db, a_new_user(ids[ACME]))
    settings = load_settings(_env_file=None)
    with pytest.raises(FieldErrors) as refused:
        delete_or_request_approval(unit_db, settings, _deletion(user_id, "john@example.com"), now=NOW)
    assert list(refused.value.errors) == [CONFIRM_FIELD]
    assert user_summary(unit_db, acting(user_id)).status is UserStatus.PENDING_ACTIVATION
    deleted = delete_or_request_approval(
        unit_db, settings, _deletion(user_id, " JOHN.DOE@example.com "), now=NOW
    )
    assert not isinstance(deleted, SentForApproval) and deleted.email == "john.doe@example.com"
    with pytest.raises(InvalidState):
        delete_or_request_approval(unit_db, settings, _deletion(user_id, "john.doe@example.com"), now=NOW)


def test_a_deletion_held_for_approval_is_asked_once_per_modal(unit_db: Database) -> None:
    ids = seed_customers(unit_db)
    user_id = add_user(unit_db, a_new_user(ids[ACME]))
    settings = load_settings(
        _env_file=None, approvals_channel="C0APPR01", approvers="U0ANNA001", approval_deletions=True
    )
    for _ in range(2):
        held = delete_or_request_approval(
            unit_db, settings, _deletion(user_id, "john.doe@example.com"), now=NOW
        )
        assert isinstance(held, SentForApproval) and "john.doe@example.com" in held.summary
    assert count(unit_db, ApprovalRequest) == 1
    assert user_summary(unit_db, acting(user_id)).status is UserStatus.PENDING_ACTIVATION


def _edit(**typed: object) -> NewUserForm:
    values: dict[str, object] = {
        "customer_id": None,
        "first_name": "John",
        "last_name": "Doe",
        "email": "john.doe@example.com",
        "role": Role.USER,
        "address": None,
        "phone": None,
        "separate_notification_email": False,
        "notification_email": None,
        "assign_backup": False,
    }
    return NewUserForm(**(values | typed))  # type: ignore[arg-type]


def test_an_edit_is_checked_per_field_and_changes_nothing_when_refused(unit_db: Database) -> None:
    ids = seed_customers(unit_db)
    user_id = add_user(unit_db, a_new_user(ids[ACME]))
    add_user(unit_db, a_new_user(ids[ACME], "jane@example.com", first_name="Jane"))

    def edit(**typed: object) -> list[str]:
        command = EditUser(acting(user_id), _edit(**typed))
        return save_edited_user(unit_db, command, now=NOW, phone_region="NL", platform_keeps_logins=False)

    with pytest.raises(FieldErrors) as refused:
        edit(first_name="", email="jane@example.com")
    assert set(refused.value.errors) == {Field.FIRST_NAME}
    with pytest.raises(FieldErrors) as taken:
        edit(email="JANE@example.com")
    assert set(taken.value.errors) == {Field.EMAIL}
    assert "already exists for Acme" in taken.value.errors[Field.EMAIL]
    assert edit(last_name="Dough") == ["last_name"]
    assert user_summary(unit_db, acting(user_id)).full_name == "John Dough"
    assert audit_actions(unit_db).count("user.edited") == 1


def _settings_form(subscription_id: int | None, **quotas: str) -> BackupSettingsForm:
    return BackupSettingsForm(
        subscription_id=subscription_id,
        notification_level=NotificationLevel.ALL,
        backup_role=BackupRole.USER,
        quotas={field: quotas.get(name) for field, name in QUOTA_FIELDS.items()},
    )


def test_assigning_backup_checks_the_subscription_and_a_repeated_save_changes_once(unit_db: Database) -> None:
    ids = seed_customers(unit_db)
    user_id = add_user(unit_db, a_new_user(ids[ACME]))
    acme_subscription = user_to_assign(unit_db, acting(user_id)).customer.subscriptions[1].id

    def save(form: BackupSettingsForm, *, assigning: bool, key: str) -> None:
        command = SaveBackupSettings(acting(user_id), form, assigning, key, ("C0HELP001",))
        save_backup_settings(unit_db, command, now=NOW)

    with pytest.raises(FieldErrors) as refused:
        save(_settings_form(None, storage_gb="-1"), assigning=True, key="v1:h1")
    assert set(refused.value.errors) == {Field.SUBSCRIPTION, Field.QUOTA_STORAGE_GB}
    assert user_summary(unit_db, acting(user_id)).backup is None
    save(_settings_form(acme_subscription, storage_gb="500"), assigning=True, key="v1:h2")
    assert user_summary(unit_db, acting(user_id)).backup.quotas.storage_gb == 500  # type: ignore[union-attr]
    with pytest.raises(InvalidState):
        user_to_assign(unit_db, acting(user_id))
    for _ in range(2):
        save(_settings_form(None, storage_gb="800"), assigning=False, key="v2:h1")
    assert audit_actions(unit_db).count("service.settings_changed") == 1
    assert user_summary(unit_db, acting(user_id)).backup.quotas.storage_gb == 800  # type: ignore[union-attr]
