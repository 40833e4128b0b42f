"""Add New User's services: each step's field errors, the e-mail checked once per submission
(never inside a transaction), one user per request, an Administrator held as-is for approval."""

from __future__ import annotations

from functools import partial

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bot.accounts.adding import (
    BackupSettingsSubmitted,
    ChooseBackupSettings,
    NewUserSubmitted,
    UserAdded,
    create_user_or_request_approval,
    submit_backup_settings,
    submit_new_user,
)
from bot.accounts.administrators import AddNewUser, create_held_user
from bot.accounts.forms import QUOTA_FIELDS, BackupSettingsForm, Field, NewUser, NewUserForm
from bot.accounts.models import BackupRole, BackupUser, NotificationLevel, Role
from bot.approvals.executors import Executors
from bot.approvals.models import ApprovalRequest
from bot.approvals.policy import ApprovalKind, SentForApproval
from bot.approvals.service import approve
from bot.config import Settings, load_settings
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope, OutOfScope
from bot.db import Database
from bot.errors import FieldErrors
from bot.integrations.backup.port import PlatformAccount, PlatformError
from tests.support.accounts import (
    ACME,
    GLOBEX,
    HELEN,
    NOW,
    a_new_user,
    add_user,
    count,
    outbox_kinds,
    seed_customers,
)
from tests.support.fakes import InMemoryAccountsPlatform

ANNA = "U0ANNA001"
NO_APPROVALS = load_settings(_env_file=None)
APPROVALS = load_settings(_env_file=None, approvals_channel="C0APPR01", approvers=ANNA)


def typed(customer_id: int | None, *, backup: bool = False, **fields: object) -> NewUserForm:
    values: dict[str, object] = {
        "customer_id": customer_id,
        "first_name": "John",
        "last_name": "Doe",
        "email": "john.doe@example.com",
        "role": Role.USER,
        "address": None,
        "phone": None,
        "separate_notification_email": False,
        "notification_email": None,
        "assign_backup": backup,
    }
    return NewUserForm(**(values | fields))  # type: ignore[arg-type]


def submitted(
    form: NewUserForm, *, key: str = "modal-1", scope: CustomerScope = EVERY_CUSTOMER
) -> NewUserSubmitted:
    return NewUserSubmitted(form=form, request_key=key, channel_id="C0HELP001", actor=HELEN, scope=scope)


def settings_form(subscription_id: int | None, *, storage_gb: str | None = None) -> BackupSettingsForm:
    quotas = {field: (storage_gb if name == "storage_gb" else None) for field, name in QUOTA_FIELDS.items()}
    return BackupSettingsForm(subscription_id, NotificationLevel.ERRORS, BackupRole.USER, quotas)


def users(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(BackupUser.email).order_by(BackupUser.id)))


@pytest.fixture
def platform() -> InMemoryAccountsPlatform:
    return InMemoryAccountsPlatform()


def first_step(
    db: Database,
    platform: InMemoryAccountsPlatform,
    command: NewUserSubmitted,
    settings: Settings = NO_APPROVALS,
) -> ChooseBackupSettings | UserAdded | SentForApproval:
    return submit_new_user(db, platform, settings, command, now=NOW)


def test_every_field_error_is_shown_at_once_and_the_platform_is_not_asked(
    unit_db: Database, platform: InMemoryAccountsPlatform
) -> None:
    seed_customers(unit_db)
    form = typed(None, first_name=" ", email="not an address", role=Role.ADMINISTRATOR)
    with pytest.raises(FieldErrors) as refused:
        first_step(unit_db, platform, submitted(form))
    assert set(refused.value.errors) == {
        Field.CUSTOMER,
        Field.FIRST_NAME,
        Field.EMAIL,
        Field.ADDRESS,
        Field.PHONE,
    }
    assert platform.calls == [] and users(unit_db) == []


def test_an_email_the_customer_has_is_refused_on_the_field_without_asking_the_platform(
    unit_db: Database, platform: InMemoryAccountsPlatform
) -> None:
    ids = seed_customers(unit_db)
    add_user(unit_db, a_new_user(ids[ACME]))
    with pytest.raises(FieldErrors) as refused:
        first_step(unit_db, platform, submitted(typed(ids[ACME], email="JOHN.DOE@example.com")))
    assert refused.value.errors == {Field.EMAIL: f"A user with this email already exists for {ACME}."}
    assert platform.calls == []
    # Another customer may have a user signing in with the same e-mail.
    assert isinstance(first_step(unit_db, platform, submitted(typed(ids[GLOBEX]))), UserAdded)


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (None, "This sign-in name is already taken on the backup platform."),
        (PlatformError("Acronis answered 503"), "Could not check this sign-in name on the backup platform"),
    ],
)
def test_the_platform_refusing_or_unreachable_is_told_on_the_email_field_and_nothing_is_created(
    unit_db: Database, platform: InMemoryAccountsPlatform, failure: PlatformError | None, message: str
) -> None:
    ids = seed_customers(unit_db)
    platform.add(
        "tenant-9",
        PlatformAccount(
            provider_id="p1",
            login="john.doe@example.com",
            email="john.doe@example.com",
            first_name="John",
            last_name="Doe",
            activated=True,
            enabled=True,
        ),
    )
    platform.failure = failure
    with pytest.raises(FieldErrors) as refused:
        first_step(unit_db, platform, submitted(typed(ids[ACME])))
    assert list(refused.value.errors) == [Field.EMAIL] and message in refused.value.errors[Field.EMAIL]
    assert users(unit_db) == [] and outbox_kinds(unit_db) == []


def test_a_user_without_backup_is_created_once_per_modal_and_the_platform_asked_once(
    unit_db: Database, platform: InMemoryAccountsPlatform
) -> None:
    ids = seed_customers(unit_db)
    first = first_step(unit_db, platform, submitted(typed(ids[ACME])))
    retried = first_step(unit_db, platform, submitted(typed(ids[ACME])))
    assert isinstance(first, UserAdded) and isinstance(retried, UserAdded)
    assert (first.created, retried.created, retried.user_id) == (True, False, first.user_id)
    assert first.full_name == "John Doe" and users(unit_db) == ["john.doe@example.com"]
    assert platform.calls == ["login_available"]
    assert outbox_kinds(unit_db).count("accounts.provision") == 1


def test_with_backup_the_settings_step_creates_the_user_without_asking_the_platform_again(
    unit_db: Database, platform: InMemoryAccountsPlatform
) -> None:
    ids = seed_customers(unit_db)
    step = first_step(unit_db, platform, submitted(typed(ids[ACME], backup=True)))
    assert isinstance(step, ChooseBackupSettings) and step.customer.name == ACME
    assert users(unit_db) == [] and platform.calls == ["login_available"]
    carried = AddNewUser.model_validate_json(step.request.model_dump_json())

    def settings_step(form: BackupSettingsForm) -> UserAdded | SentForApproval:
        command = BackupSettingsSubmitted(request=carried, form=form, actor=HELEN, scope=EVERY_CUSTOMER)
        return submit_backup_settings(unit_db, NO_APPROVALS, command, now=NOW)

    with pytest.raises(FieldErrors) as refused:
        settings_step(settings_form(None, storage_gb="lots"))
    assert set(refused.value.errors) == {Field.SUBSCRIPTION, Field.QUOTA_STORAGE_GB}
    assert users(unit_db) == []
    capped = step.customer.subscriptions[1]
    added = settings_step(settings_form(capped.id, storage_gb="250"))
    assert isinstance(added, UserAdded) and added.created
    with unit_db.read() as session:
        [assignment] = session.scalars(select(BackupUser)).one().services
        assert (assignment.subscription.name, assignment.quota_storage_gb) == (capped.name, 250)
    assert platform.calls == ["login_available"]


def test_a_person_cannot_add_a_user_to_a_customer_outside_their_scope(
    unit_db: Database, platform: InMemoryAccountsPlatform
) -> None:
    ids = seed_customers(unit_db)
    with pytest.raises(OutOfScope):
        first_step(unit_db, platform, submitted(typed(ids[GLOBEX]), scope=CustomerScope.of([ACME])))
    assert users(unit_db) == [] and platform.calls == []


def test_the_database_has_the_last_word_when_two_modals_race_for_one_email(unit_db: Database) -> None:
    ids = seed_customers(unit_db)
    new_user = a_new_user(ids[ACME])
    first = AddNewUser(new_user=new_user, request_key="modal-1", channel_id=None)
    create_user_or_request_approval(unit_db, NO_APPROVALS, first, actor=HELEN, now=NOW)
    second = first.model_copy(update={"request_key": "modal-2"})
    with pytest.raises(FieldErrors) as refused:
        create_user_or_request_approval(unit_db, NO_APPROVALS, second, actor=HELEN, now=NOW)
    assert list(refused.value.errors) == [Field.EMAIL]
    assert users(unit_db) == ["john.doe@example.com"]


def test_an_administrator_is_held_as_asked_and_created_with_its_backup_once_approved(
    unit_db: Database, platform: InMemoryAccountsPlatform
) -> None:
    ids = seed_customers(unit_db)
    admin = typed(
        ids[ACME],
        backup=True,
        role=Role.ADMINISTRATOR,
        address="Main St 1, Amsterdam",
        phone="+31 20 123 4567",
    )
    step = first_step(unit_db, platform, submitted(admin), APPROVALS)
    assert isinstance(step, ChooseBackupSettings) and step.request.new_user.phone == "+31201234567"
    command = BackupSettingsSubmitted(
        request=step.request,
        form=settings_form(step.customer.subscriptions[0].id),
        actor=HELEN,
        scope=EVERY_CUSTOMER,
    )
    for _ in range(2):
        held = submit_backup_settings(unit_db, APPROVALS, command, now=NOW)
        assert isinstance(held, SentForApproval) and "Create Administrator John Doe" in held.summary
    assert count(unit_db, ApprovalRequest) == 1 and users(unit_db) == []
    with unit_db.read() as session:
        request = session.scalars(select(ApprovalRequest)).one()
        held_request = AddNewUser.model_validate(request.payload)
        request_id = request.id
    assert held_request.new_user.backup is not None and held_request.new_user.email == "john.doe@example.com"
    executors = Executors()

    executors.register(ApprovalKind.ADMINISTRATOR, partial(create_held_user, audit_channel=None))
    with unit_db.transaction() as session:
        approve(session, request_id=request_id, approver=ANNA, executors=executors, now=NOW)
    assert users(unit_db) == ["john.doe@example.com"] and platform.calls == ["login_available"]


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not an address"},
        {"first_name": "\u202ejohn"},  # a right-to-left control
        {"notification_email": "JOHN.DOE@example.com"},  # the sign-in e-mail again
        {"role": "superuser"},
        {"role": "administrator"},  # without an address and phone
    ],
)
def test_a_carried_new_user_is_checked_again_when_read_back(change: dict[str, str]) -> None:
    request = AddNewUser(new_user=a_new_user(1), request_key="modal-1", channel_id="C0HELP001")
    document = request.model_dump(mode="json")
    document["new_user"] |= change
    with pytest.raises(ValidationError):
        AddNewUser.model_validate(document)
    assert AddNewUser.model_validate(request.model_dump(mode="json")) == request


def test_a_carried_new_user_holds_the_checked_values() -> None:
    carried = {**a_new_user(1).model_dump(mode="json"), "first_name": "  John ", "phone": "+31201234567"}
    read_back = NewUser.model_validate(carried)
    # As the modal does: trimmed, and a phone only for an Administrator.
    assert (read_back.first_name, read_back.phone) == ("John", None)
