"""Activation read-back and the import of accounts made on the platform, as services on the real
databases (SQLite and PostgreSQL) with an in-memory platform: once-only effects, races, and a
platform that keeps no accounts of its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from bot.accounts.forms import NewUser
from bot.accounts.models import BackupUser, ProvisioningState, Role, UserStatus
from bot.accounts.platform_import import LinkedCustomer, find_or_import_user, import_account
from bot.accounts.platform_state import apply_read_back, pending_on_platform, read_back_activations
from bot.accounts.queries import get_user
from bot.accounts.users import create_user
from bot.audit.models import AuditEvent
from bot.clock import ManualClock
from bot.customers.models import Customer
from bot.customers.service import CustomerFile, find_customer, import_customers
from bot.db import Database
from bot.errors import NotFound
from bot.integrations.backup.local import LocalBackupPlatform
from bot.integrations.backup.port import PlatformAccount, PlatformError
from tests.support.fakes import InMemoryAccountsPlatform

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ACME_TENANT = "5a0d6a8e-0000-4000-8000-00000000acme"


def seed(db: Database) -> int:
    document = CustomerFile.model_validate(
        {"customers": [{"name": "Acme Corporation", "subscriptions": ["PAYG"]}]}
    )
    with db.transaction() as session:
        import_customers(session, document, now=NOW)
        customer = find_customer(session, "Acme Corporation")
        session.execute(update(Customer).where(Customer.id == customer.id).values(provider_id=ACME_TENANT))
        return customer.id


def account(login: str, provider_id: str, *, activated: bool = False) -> PlatformAccount:
    return PlatformAccount(
        provider_id=provider_id,
        login=login,
        email=login,
        first_name="Pat",
        last_name="Portal",
        activated=activated,
        enabled=True,
        role=Role.USER,
    )


def pending_user(db: Database, customer_id: int, email: str, provider_id: str) -> int:
    with db.transaction() as session:
        created = create_user(
            session,
            new_user=NewUser(
                customer_id=customer_id,
                first_name="John",
                last_name="Doe",
                email=email,
                role=Role.USER,
                address=None,
                phone=None,
                notification_email=None,
            ),
            actor="U0HELP01",
            now=NOW,
            request_key=f"key-{email}",
            notify_channels=[],
        )
        user = get_user(session, created.user_id)
        user.provider_id = provider_id
        user.provisioning = ProvisioningState.DONE
        return user.id


def audit_count(db: Database, action: str) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0)


def test_an_activated_account_turns_active_once_and_a_deleted_one_is_counted_not_changed(
    db: Database,
) -> None:
    customer_id = seed(db)
    john = pending_user(db, customer_id, "john@acme.example", "acc-john")
    gone = pending_user(db, customer_id, "gone@acme.example", "acc-gone")
    platform = InMemoryAccountsPlatform()
    platform.add(ACME_TENANT, account("john@acme.example", "acc-john", activated=True))
    with db.read() as session:
        pending = pending_on_platform(session)
    accounts = platform.read_accounts(list(pending.users))
    # Two replicas apply the same reading: the user turns Active once, audited once.
    for _ in range(2):
        with db.transaction() as session:
            read = apply_read_back(session, pending, accounts, now=NOW)
    assert (read.checked, read.activated, read.missing) == (2, [], 1)
    with db.read() as session:
        assert session.get(BackupUser, john).status is UserStatus.ACTIVE  # type: ignore[union-attr]
        assert session.get(BackupUser, gone).status is UserStatus.PENDING_ACTIVATION  # type: ignore[union-attr]
    assert audit_count(db, "user.activated") == 1


def test_nothing_is_asked_of_a_platform_without_accounts_or_without_pending_users(db: Database) -> None:
    customer_id = seed(db)
    clock = ManualClock(NOW)
    platform = InMemoryAccountsPlatform()
    assert read_back_activations(db, platform, clock).checked == 0 and platform.calls == []
    pending_user(db, customer_id, "john@acme.example", "acc-john")
    assert read_back_activations(db, LocalBackupPlatform(), clock).checked == 0
    platform.failure = PlatformError("Acronis could not be reached")
    with pytest.raises(PlatformError):
        read_back_activations(db, platform, clock)
    assert audit_count(db, "user.activated") == 0


def test_a_portal_account_is_imported_once_even_when_two_ask_at_the_same_time(db: Database) -> None:
    customer_id = seed(db)
    clock = ManualClock(NOW)
    linked = LinkedCustomer(
        id=customer_id, name="Acme Corporation", provider_id=ACME_TENANT, subscriptions={}
    )
    made = account("pat@acme.example", "acc-pat", activated=True)
    first = import_account(db, clock, customer=linked, account=made, actor="U0HELP01")
    second = import_account(db, clock, customer=linked, account=made, actor="U0HELP02")
    assert first == second
    assert audit_count(db, "user.imported") == 1
    platform = InMemoryAccountsPlatform()
    platform.add(ACME_TENANT, made)
    found = find_or_import_user(
        db, platform, clock, email="PAT@acme.example", customer_text=None, actor="U0HELP01"
    )
    assert found == first and platform.calls == []  # a deskops user now: the platform is not asked


def test_a_login_free_on_the_platform_costs_one_call_and_the_local_provider_none(db: Database) -> None:
    seed(db)
    clock = ManualClock(NOW)
    platform = InMemoryAccountsPlatform()
    with pytest.raises(NotFound, match=r"No backup user signs in with typo@acme\.example"):
        find_or_import_user(
            db, platform, clock, email="typo@acme.example", customer_text=None, actor="U0HELP01"
        )
    assert platform.calls == ["login_available"]
    with pytest.raises(NotFound):
        find_or_import_user(
            db, LocalBackupPlatform(), clock, email="typo@acme.example", customer_text=None, actor="U0HELP01"
        )
    assert audit_count(db, "user.imported") == 0
