"""The Acronis provider against what Acronis's own references show, point by point (issue 17):
role ids, policy updates, paging, offering items on personal tenants, notifications, the contact
e-mail, logins, language, 404s, tenant kinds, and the `activated`/`enabled` flags read back.

Each point has two sides: the emulator refuses the request as deskops used to send it (so the
emulator is strict about the reference), and the provider does what the reference shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.integrations.backup.acronis import AcronisBackupPlatform, AcronisClient, RetryPolicy
from bot.integrations.backup.port import PlatformBackupSettings, PlatformError, PlatformUserSpec, Quotas
from tests.support.acronis import GIB, AcronisEmulator, acronis_emulator
from tests.support.acronis.rules import ZERO_UUID
from tests.support.acronis.state import BACKUP_APPLICATION, DEFAULT_NOTIFICATIONS

__all__ = ["acronis_emulator"]
FAST = RetryPolicy(attempts=3, backoff_base=0.01, backoff_max=0.02)
LOGIN = "john.doe@example.com"
ACME = "Acme Corporation"


@pytest.fixture
def platform(acronis_emulator: AcronisEmulator) -> Iterator[AcronisBackupPlatform]:
    client = AcronisClient(
        acronis_emulator.url,
        client_id=acronis_emulator.client_id,
        client_secret=acronis_emulator.client_secret,
        timeout=2.0,
        retry=FAST,
        sleep=lambda _: None,
    )
    made = AcronisBackupPlatform(client)
    yield made
    made.close()


def spec(emulator: AcronisEmulator, **changes: object) -> PlatformUserSpec:
    values: dict[str, object] = {
        "customer_provider_id": emulator.tenant_id(ACME),
        "login": LOGIN,
        "email": LOGIN,
        "first_name": "John",
        "last_name": "Doe",
        "role": Role.USER,
    }
    values.update(changes)
    return PlatformUserSpec(**values)  # type: ignore[arg-type]


def backup(emulator: AcronisEmulator, **changes: object) -> PlatformBackupSettings:
    values: dict[str, object] = {
        "subscription_provider_id": emulator.storage_id("Capped Storage"),
        "subscription_name": "Capped Storage",
        "notification_level": NotificationLevel.ERRORS,
        "backup_role": BackupRole.USER,
        "quotas": Quotas(),
    }
    values.update(changes)
    return PlatformBackupSettings(**values)  # type: ignore[arg-type]


def provisioned(platform: AcronisBackupPlatform, emulator: AcronisEmulator, **changes: object) -> str:
    user_spec = spec(emulator, **changes)
    user_id = platform.create_user(user_spec)
    platform.set_role(user_id, user_spec)
    return user_id


def policy(emulator: AcronisEmulator, user_id: str, role: str, **fields: object) -> dict[str, object]:
    return {
        "id": ZERO_UUID,
        "issuer_id": ZERO_UUID,
        "tenant_id": emulator.tenant_id(ACME),
        "trustee_id": user_id,
        "trustee_type": "user",
        "role_id": role,
        "version": 0,
        **fields,
    }


# --- 1. role ids ----------------------------------------------------------------------------


def test_the_backup_administrator_is_backup_admin_as_the_tenant_offers_it(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    platform.apply_backup_settings(user_id, backup(acronis_emulator, backup_role=BackupRole.ADMINISTRATOR))
    assert acronis_emulator.account(LOGIN).roles == {"backup_admin"}
    assert acronis_emulator.requests("GET", r"/tenants/[^/]+/applications/roles")
    # The id deskops used before is in no reference, and the emulator does not know it.
    refused = acronis_emulator.call(
        "PUT",
        f"/users/{user_id}/access_policies",
        json={"items": [policy(acronis_emulator, user_id, "cyber_admin")]},
    )
    assert refused.status_code == 400 and "cyber_admin is not available" in refused.text


def test_a_role_the_customer_tenant_does_not_offer_is_refused_before_anything_is_written(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    with acronis_emulator.state.lock:  # Cyber Protection switched off for the customer in the portal
        acronis_emulator.state.tenants[acronis_emulator.tenant_id(ACME)].applications.discard(
            BACKUP_APPLICATION
        )
    user_id = platform.create_user(spec(acronis_emulator))
    with pytest.raises(PlatformError, match="offers no role backup_user") as caught:
        platform.set_role(user_id, spec(acronis_emulator))
    assert not caught.value.transient
    assert acronis_emulator.requests("PUT", r"/users/.+/access_policies") == []


# --- 2. policy updates ----------------------------------------------------------------------


def test_role_changes_send_new_zero_uuid_policies_and_keep_roles_deskops_does_not_manage(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    answered = acronis_emulator.call("GET", f"/users/{user_id}/access_policies").json()["items"]
    # Sent back as answered (its id, version, created_at, ...): refused.
    refused = acronis_emulator.call("PUT", f"/users/{user_id}/access_policies", json={"items": answered})
    assert refused.status_code == 400
    assert acronis_emulator.call(
        "PUT",
        f"/users/{user_id}/access_policies",
        json={
            "items": [
                policy(acronis_emulator, user_id, "backup_user"),
                policy(acronis_emulator, user_id, "sync_share_user"),
            ]
        },
    ).is_success
    platform.set_role(user_id, spec(acronis_emulator, role=Role.ADMINISTRATOR))
    assert acronis_emulator.account(LOGIN).roles == {"company_admin", "sync_share_user"}
    platform.set_role(user_id, spec(acronis_emulator, role=Role.USER))
    platform.apply_backup_settings(
        user_id, backup(acronis_emulator, backup_role=BackupRole.READ_ONLY_ADMINISTRATOR)
    )
    assert acronis_emulator.account(LOGIN).roles == {"readonly_admin", "sync_share_user"}


# --- 3. paging ------------------------------------------------------------------------------


def test_a_login_of_the_customer_on_a_later_page_is_found_not_taken_for_someone_elses(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    for number in range(7):  # the customer's accounts fill more than two pages of three
        acronis_emulator.create_account(ACME, f"colleague{number}@example.com")
    existing = acronis_emulator.create_account(ACME, LOGIN)
    first = acronis_emulator.call(
        "GET", "/users", params={"tenant_id": acronis_emulator.tenant_id(ACME)}
    ).json()
    assert len(first["items"]) == 3 and first["paging"]["cursors"]["after"]
    before = len(acronis_emulator.requests("GET", "/users"))
    assert platform.create_user(spec(acronis_emulator)) == existing
    assert len(acronis_emulator.requests("GET", "/users")) - before == 3  # every page, then no more
    assert acronis_emulator.requests("POST", "/users") == []


def test_reading_accounts_back_follows_every_page(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    ids = [acronis_emulator.create_account(ACME, f"user{n}@example.com") for n in range(8)]
    assert set(platform.read_accounts(ids)) == set(ids)
    assert [len(c.subscriptions) for c in platform.list_customers()] == [3, 1, 2]  # 5 tenants, pages of 3


# --- 4. offering items on the personal tenant -----------------------------------------------


def test_an_administrators_backup_service_and_quotas_are_enabled_on_its_personal_tenant(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator, role=Role.ADMINISTRATOR)
    assert acronis_emulator.account(LOGIN).offering == []  # company_admin brings no items by itself
    capped = acronis_emulator.storage_id("Capped Storage")
    platform.apply_backup_settings(
        user_id, backup(acronis_emulator, quotas=Quotas(storage_gb=100, servers=2))
    )
    account = acronis_emulator.account(LOGIN)
    assert account.quota("storage", storage=capped) == (100 * GIB, 0)
    assert account.quota("servers") == (2, 0) and account.quota("workstations") == (None, None)
    assert len(acronis_emulator.requests("POST", r"/applications/.+/bindings/tenants/.+")) == 1


def test_items_of_a_service_not_enabled_for_the_tenant_are_refused(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    provisioned(platform, acronis_emulator, role=Role.ADMINISTRATOR)
    personal = acronis_emulator.state.accounts[acronis_emulator.account(LOGIN).id].personal_tenant_id
    item = {"application_id": BACKUP_APPLICATION, "name": "pg_servers", "status": 1}
    refused = acronis_emulator.call(
        "PUT", f"/tenants/{personal}/offering_items", json={"offering_items": [item]}
    )
    assert refused.status_code == 400 and "service is not enabled" in refused.text
    with_answer_fields = {**item, "usage_name": "servers", "edition": "per_gigabyte"}
    refused = acronis_emulator.call(
        "PUT", f"/tenants/{personal}/offering_items", json={"offering_items": [with_answer_fields]}
    )
    assert refused.status_code == 400 and "cannot be set" in refused.text


# --- 5. notifications -----------------------------------------------------------------------


def test_a_new_account_with_notifications_none_has_none(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    assert acronis_emulator.account(LOGIN).notifications == []
    platform.apply_backup_settings(
        user_id, backup(acronis_emulator, notification_level=NotificationLevel.NONE)
    )
    assert acronis_emulator.account(LOGIN).notifications == []
    # What deskops used to rely on: a `notifications` list in POST /users. Not shown to work in
    # any reference, so the emulator keeps the documented default.
    made = acronis_emulator.call(
        "POST",
        "/users",
        json={
            "tenant_id": acronis_emulator.tenant_id(ACME),
            "login": "other@example.com",
            "contact": {"email": "other@example.com"},
            "notifications": [],
        },
    )
    assert made.json()["notifications"] == DEFAULT_NOTIFICATIONS


# --- 6. contact e-mail, 7. logins, 8. language, 404s and tenant kinds -----------------------


def test_the_activation_address_is_the_contact_email_the_notification_address(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator, email="john.private@example.org")
    platform.send_activation_email(user_id)
    account = acronis_emulator.account(LOGIN)
    assert (account.login, account.contact["email"]) == (LOGIN, "john.private@example.org")
    assert [e.to for e in acronis_emulator.activation_emails()] == ["john.private@example.org"]


@pytest.mark.parametrize(
    ("login", "message"),
    [
        ("josé@example.com", "may hold only ASCII letters"),
        ("a b@example.com", "no spaces"),
        ("ab", "at least 3"),
    ],
)
def test_a_login_outside_the_documented_character_set_is_refused_before_any_call(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator, login: str, message: str
) -> None:
    problem = platform.login_problem(login)
    assert problem is not None and message in problem
    with pytest.raises(PlatformError, match=message):
        platform.create_user(spec(acronis_emulator, login=login))
    assert acronis_emulator.requests() == []
    assert platform.login_problem("o'brien+backup@example.com") is None


def test_the_account_gets_the_customers_language(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    platform.create_user(spec(acronis_emulator, language="de"))
    assert acronis_emulator.account(LOGIN).language == "de"


def test_an_account_deleted_in_the_portal_is_said_to_be_gone(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    acronis_emulator.delete_account(LOGIN)
    for attempt in (
        lambda: platform.apply_backup_settings(user_id, backup(acronis_emulator)),
        lambda: platform.set_role(user_id, spec(acronis_emulator)),
        lambda: platform.send_activation_email(user_id),
    ):
        with pytest.raises(PlatformError, match="no longer exists on Acronis") as caught:
            attempt()
        assert not caught.value.transient
    assert platform.read_accounts([user_id]) == {}


def test_a_tenant_that_is_not_a_customer_tenant_is_refused(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    folder = acronis_emulator.tenant_id("Dental practices")
    with pytest.raises(PlatformError, match="is a folder tenant, not a customer tenant"):
        platform.create_user(spec(acronis_emulator, customer_provider_id=folder))
    assert acronis_emulator.requests("POST", "/users") == []


# --- activated / enabled, accounts made in the portal ---------------------------------------


def test_activation_and_the_enabled_flag_are_read_back(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    assert platform.read_accounts([user_id])[user_id].activated is False
    acronis_emulator.activate(LOGIN)
    with acronis_emulator.state.lock:
        acronis_emulator.state.accounts[user_id].enabled = False
    account = platform.read_accounts([user_id])[user_id]
    assert (account.activated, account.enabled, account.login) == (True, False, LOGIN)


def test_an_account_made_in_the_portal_is_found_by_login_in_its_customer_only(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    made = acronis_emulator.create_account(
        ACME,
        "pat@acme.example",
        email="pat.home@example.org",
        first_name="Pat",
        last_name="Portal",
        roles=("company_admin",),
        activated=True,
    )
    found = platform.find_account(acronis_emulator.tenant_id(ACME), "PAT@acme.example")
    assert found is not None
    assert (found.provider_id, found.email, found.first_name, found.role, found.activated) == (
        made,
        "pat.home@example.org",
        "Pat",
        Role.ADMINISTRATOR,
        True,
    )
    assert platform.find_account(acronis_emulator.tenant_id("Globex Logistics"), "pat@acme.example") is None


def test_the_backup_service_of_a_portal_account_is_read_in_deskops_terms(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    acronis_emulator.create_account("Globex Logistics", "gil@globex.example", roles=("backup_admin",))
    assert (
        platform.find_account(acronis_emulator.tenant_id("Globex Logistics"), "gil@globex.example").backup
        is None
    )
    acronis_emulator.create_account("Globex Logistics", "bea@globex.example")
    with acronis_emulator.state.lock:
        account = acronis_emulator.state.account_by_login("bea@globex.example")
        assert account is not None
        account.notifications = ["quota", "backup_error", "backup_warning"]
        for item in acronis_emulator.state.offering[account.personal_tenant_id]:
            if item.name in ("pg_storage", "pg_servers"):
                item.quota_value, item.quota_overage = (50 * GIB if item.name == "pg_storage" else 4), 0
    found = platform.find_account(acronis_emulator.tenant_id("Globex Logistics"), "bea@globex.example")
    assert found is not None and found.backup is not None
    assert found.backup.subscription_provider_id == acronis_emulator.storage_id("PAYG")
    assert (found.backup.backup_role, found.backup.notification_level) == (
        BackupRole.USER,
        NotificationLevel.ERRORS_AND_WARNINGS,
    )
    assert found.backup.quotas == Quotas(storage_gb=50, servers=4)
