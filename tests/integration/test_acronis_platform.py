"""`AcronisBackupPlatform` against the emulator: accounts, reconciliation of creates whose outcome
was unknown, roles, notifications, per-user quotas, activation and the customer listing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.integrations.backup.acronis import AcronisBackupPlatform, AcronisClient, AcronisError, RetryPolicy
from bot.integrations.backup.port import PlatformBackupSettings, PlatformError, PlatformUserSpec, Quotas
from tests.support.acronis import GIB, AcronisEmulator, acronis_emulator

__all__ = ["acronis_emulator"]
FAST = RetryPolicy(attempts=3, backoff_base=0.01, backoff_max=0.02)
LOGIN = "john.doe@example.com"


def connect(emulator: AcronisEmulator, *, timeout: float = 2.0) -> AcronisBackupPlatform:
    client = AcronisClient(
        emulator.url,
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        timeout=timeout,
        retry=FAST,
        sleep=lambda _: None,
    )
    return AcronisBackupPlatform(client)


@pytest.fixture
def platform(acronis_emulator: AcronisEmulator) -> Iterator[AcronisBackupPlatform]:
    made = connect(acronis_emulator)
    yield made
    made.close()


def spec(
    emulator: AcronisEmulator, customer: str = "Acme Corporation", **changes: object
) -> PlatformUserSpec:
    values: dict[str, object] = {
        "customer_provider_id": emulator.tenant_id(customer),
        "login": LOGIN,
        "email": "john.private@example.org",
        "first_name": "John",
        "last_name": "Doe",
        "role": Role.USER,
    }
    values.update(changes)
    return PlatformUserSpec(**values)  # type: ignore[arg-type]


def settings(
    emulator: AcronisEmulator, subscription: str = "Capped Storage", **changes: object
) -> PlatformBackupSettings:
    values: dict[str, object] = {
        "subscription_provider_id": emulator.storage_id(subscription),
        "subscription_name": subscription,
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


# --- sign-in names and accounts -------------------------------------------------------------


def test_sign_in_names_are_free_until_taken_in_any_case(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    assert platform.login_available(LOGIN)
    platform.create_user(spec(acronis_emulator))
    assert not platform.login_available(LOGIN)
    assert not platform.login_available(LOGIN.upper())


def test_a_sign_in_name_acronis_does_not_accept_is_said_so(platform: AcronisBackupPlatform) -> None:
    with pytest.raises(AcronisError) as caught:
        platform.login_available("jd")
    assert not caught.value.transient
    assert (
        str(caught.value) == "Acronis refused checking the sign-in name jd (HTTP 400: The login is not valid)"
    )


def test_the_account_is_created_in_the_customer_tenant_with_its_contact(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = platform.create_user(
        spec(
            acronis_emulator,
            role=Role.ADMINISTRATOR,
            address="Keizersgracht 1\n1015 CJ Amsterdam\nNL",
            phone="+31201234567",
        )
    )
    account = acronis_emulator.account(LOGIN)
    assert (account.id, account.tenant, account.login) == (user_id, "Acme Corporation", LOGIN)
    assert {k: v for k, v in account.contact.items() if v} == {
        "email": "john.private@example.org",
        "firstname": "John",
        "lastname": "Doe",
        "address1": "Keizersgracht 1",
        "address2": "1015 CJ Amsterdam, NL",
        "phone": "+31201234567",
    }
    assert account.notifications == []  # the Backup level adds its own; nothing else is switched on


def test_creating_again_returns_the_same_account(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    first = platform.create_user(spec(acronis_emulator))
    assert platform.create_user(spec(acronis_emulator, login=LOGIN.upper())) == first
    assert acronis_emulator.accounts() == [LOGIN]
    assert len(acronis_emulator.requests("POST", "/users")) == 1


def test_a_create_answered_500_after_it_happened_is_found_not_repeated(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    acronis_emulator.fail("POST", "/users", status=500, apply_first=True)
    user_id = platform.create_user(spec(acronis_emulator))
    assert user_id == acronis_emulator.account(LOGIN).id
    assert len(acronis_emulator.requests("POST", "/users")) == 1


def test_a_create_whose_answer_never_came_is_found_not_repeated(acronis_emulator: AcronisEmulator) -> None:
    platform = connect(acronis_emulator, timeout=0.3)
    acronis_emulator.fail("POST", "/users", status=None, delay=0.6, apply_first=True)
    user_id = platform.create_user(spec(acronis_emulator))
    assert user_id == acronis_emulator.account(LOGIN).id
    assert acronis_emulator.accounts() == [LOGIN]
    platform.close()


def test_a_create_that_failed_before_it_happened_is_sent_again_after_the_look_up(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    acronis_emulator.fail("POST", "/users", status=502)
    user_id = platform.create_user(spec(acronis_emulator))
    assert user_id == acronis_emulator.account(LOGIN).id
    assert [r.status for r in acronis_emulator.requests("POST", "/users")] == [502, 200]


def test_a_create_that_keeps_failing_says_nothing_was_created(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    acronis_emulator.fail("POST", "/users", status=500, times=None)
    with pytest.raises(PlatformError) as caught:
        platform.create_user(spec(acronis_emulator))
    assert caught.value.transient
    assert f"no account {LOGIN} exists on Acronis, so it will be created again" in str(caught.value)
    assert acronis_emulator.accounts() == []


def test_a_sign_in_name_of_another_customers_account_is_not_taken_over(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    platform.create_user(spec(acronis_emulator, customer="Globex Logistics"))
    with pytest.raises(PlatformError) as caught:
        platform.create_user(spec(acronis_emulator, customer="Acme Corporation"))
    assert not caught.value.transient and "already used by an Acronis account outside this customer" in str(
        caught.value
    )


def test_a_customer_not_linked_to_acronis_is_a_clear_error(platform: AcronisBackupPlatform) -> None:
    unlinked = PlatformUserSpec(
        customer_provider_id="local-customer-3",
        login=LOGIN,
        email=LOGIN,
        first_name="John",
        last_name="Doe",
        role=Role.USER,
    )
    with pytest.raises(PlatformError, match="run `deskops customers sync`") as caught:
        platform.create_user(unlinked)
    assert not caught.value.transient


# --- roles, notifications, quotas -----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "role_id"), [(Role.USER, "backup_user"), (Role.ADMINISTRATOR, "company_admin")]
)
def test_the_account_role_is_an_access_policy_in_the_customer_tenant(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator, role: Role, role_id: str
) -> None:
    provisioned(platform, acronis_emulator, role=role)
    account = acronis_emulator.account(LOGIN)
    assert account.roles == {role_id}
    assert account.policies[0]["tenant_id"] == acronis_emulator.tenant_id("Acme Corporation")
    platform.set_role(account.id, spec(acronis_emulator, role=role))
    assert len(acronis_emulator.requests("PUT", r"/users/.+/access_policies")) == 1  # nothing to change


def test_backup_settings_set_backup_role_notifications_and_quotas(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    with acronis_emulator.state.lock:  # the user switched the reports off in the portal
        acronis_emulator.state.accounts[user_id].notifications = ["quota", "backup_info"]
    capped = acronis_emulator.storage_id("Capped Storage")
    platform.apply_backup_settings(
        user_id,
        settings(
            acronis_emulator,
            notification_level=NotificationLevel.ERRORS_AND_WARNINGS,
            backup_role=BackupRole.READ_ONLY_ADMINISTRATOR,
            quotas=Quotas(storage_gb=250, workstations=2, servers=0, m365_seats=5),
        ),
    )
    account = acronis_emulator.account(LOGIN)
    assert account.roles == {"readonly_admin"}
    assert account.notifications == ["quota", "backup_error", "backup_critical", "backup_warning"]
    assert account.quota("storage", storage=capped) == (250 * GIB, 0)
    assert account.quota("storage", storage=acronis_emulator.storage_id("PAYG")) == (None, None)
    assert (account.quota("workstations"), account.quota("servers"), account.quota("o365_seats")) == (
        (2, 0),
        (0, 0),
        (5, 0),
    )
    assert account.quota("vms") == (None, None)
    puts = len(acronis_emulator.requests("PUT"))
    platform.apply_backup_settings(
        user_id,
        settings(
            acronis_emulator,
            notification_level=NotificationLevel.ERRORS_AND_WARNINGS,
            backup_role=BackupRole.READ_ONLY_ADMINISTRATOR,
            quotas=Quotas(storage_gb=250, workstations=2, servers=0, m365_seats=5),
        ),
    )
    assert len(acronis_emulator.requests("PUT")) == puts  # applying the same settings writes nothing


EXACTLY = {
    NotificationLevel.NONE: [],
    NotificationLevel.ERRORS: ["backup_error", "backup_critical"],
    NotificationLevel.ERRORS_AND_WARNINGS: ["backup_error", "backup_critical", "backup_warning"],
    NotificationLevel.ALL: [
        "backup_error",
        "backup_critical",
        "backup_warning",
        "backup_info",
        "backup_daily_report",
    ],
}


@pytest.mark.parametrize("level", list(NotificationLevel), ids=lambda level: level.value)
def test_a_new_account_gets_exactly_the_notifications_of_its_level(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator, level: NotificationLevel
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    platform.apply_backup_settings(user_id, settings(acronis_emulator, notification_level=level))
    assert acronis_emulator.account(LOGIN).notifications == EXACTLY[level]


@pytest.mark.parametrize("level", list(NotificationLevel), ids=lambda level: level.value)
def test_a_changed_level_replaces_the_backup_notifications_and_keeps_the_others(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator, level: NotificationLevel
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    platform.apply_backup_settings(
        user_id, settings(acronis_emulator, notification_level=NotificationLevel.ALL)
    )
    with acronis_emulator.state.lock:  # switched on in the portal since
        acronis_emulator.state.accounts[user_id].notifications[:0] = ["maintenance", "quota", "reports"]
    platform.apply_backup_settings(user_id, settings(acronis_emulator, notification_level=level))
    assert acronis_emulator.account(LOGIN).notifications == [
        "maintenance",
        "quota",
        "reports",
        *EXACTLY[level],
    ]


def test_writes_that_met_a_concurrent_change_are_read_again_and_repeated(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    before = len(acronis_emulator.requests("PUT", f"/users/{user_id}"))
    acronis_emulator.fail("PUT", f"/users/{user_id}", status=409)
    acronis_emulator.fail("PUT", r"/tenants/.+/offering_items", status=426)
    platform.apply_backup_settings(user_id, settings(acronis_emulator, quotas=Quotas(workstations=1)))
    account = acronis_emulator.account(LOGIN)
    assert "backup_error" in account.notifications and account.quota("workstations") == (1, 0)
    assert [r.status for r in acronis_emulator.requests("PUT", f"/users/{user_id}")][before:] == [409, 200]


def test_a_failing_role_assignment_says_the_account_exists(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_spec = spec(acronis_emulator, role=Role.ADMINISTRATOR)
    user_id = platform.create_user(user_spec)
    acronis_emulator.fail(
        "PUT", r"/users/.+/access_policies", status=500, times=None, message="role service down"
    )
    with pytest.raises(PlatformError) as caught:
        platform.set_role(user_id, user_spec)
    assert caught.value.transient
    assert str(caught.value) == (
        f"The account {LOGIN} exists on Acronis, but Acronis failed when giving it the Administrator role "
        "(HTTP 500: role service down)"
    )


@pytest.mark.parametrize(
    ("role", "role_id"), [(Role.USER, "backup_user"), (Role.ADMINISTRATOR, "company_admin")]
)
def test_a_role_assignment_answered_500_after_it_was_applied_converges(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator, role: Role, role_id: str
) -> None:
    user_spec = spec(acronis_emulator, role=role)
    user_id = platform.create_user(user_spec)
    acronis_emulator.fail("PUT", r"/users/[^/]+/access_policies", status=500, apply_first=True)
    platform.set_role(user_id, user_spec)  # the PUT replaces the roles, so it is sent again
    account = acronis_emulator.account(LOGIN)
    assert account.roles == {role_id} and len(account.policies) == 1
    assert acronis_emulator.accounts() == [LOGIN]
    assert [r.status for r in acronis_emulator.requests("PUT", r"/users/.+/access_policies")] == [500, 200]
    platform.set_role(user_id, user_spec)  # a later attempt finds nothing left to do
    assert len(acronis_emulator.requests("PUT", r"/users/.+/access_policies")) == 2


def test_a_role_applied_while_every_answer_was_500_is_found_in_place_by_the_next_attempt(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_spec = spec(acronis_emulator)
    user_id = platform.create_user(user_spec)
    acronis_emulator.fail("PUT", r"/users/[^/]+/access_policies", status=500, apply_first=True, times=None)
    with pytest.raises(PlatformError) as caught:
        platform.set_role(user_id, user_spec)  # the retry budget runs out: each try applied, then 500
    assert caught.value.transient and str(caught.value).startswith(
        f"The account {LOGIN} exists on Acronis, but"
    )
    # The next attempt (the outbox's, or Retry) reads the roles first: in place, so no PUT, no error.
    puts = len(acronis_emulator.requests("PUT", r"/users/.+/access_policies"))
    platform.set_role(user_id, user_spec)
    platform.apply_backup_settings(user_id, settings(acronis_emulator))
    assert len(acronis_emulator.requests("PUT", r"/users/.+/access_policies")) == puts
    account = acronis_emulator.account(LOGIN)
    assert account.roles == {"backup_user"} and len(account.policies) == 1
    assert acronis_emulator.accounts() == [LOGIN] and len(acronis_emulator.requests("POST", "/users")) == 1


def test_failing_quotas_say_what_is_already_in_place(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    acronis_emulator.fail("PUT", r"/tenants/.+/offering_items", status=503, times=None, message="try later")
    with pytest.raises(PlatformError) as caught:
        platform.apply_backup_settings(user_id, settings(acronis_emulator, quotas=Quotas(storage_gb=10)))
    assert caught.value.transient
    assert str(caught.value) == (
        f"The account {LOGIN} exists on Acronis with its roles and notifications “Errors only”, but Acronis "
        "failed when setting its quotas on “Capped Storage” (HTTP 503: try later)"
    )


def test_a_subscription_the_customer_does_not_have_is_refused(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator, customer="Globex Logistics")
    with pytest.raises(PlatformError, match="not offered to this customer") as caught:
        platform.apply_backup_settings(
            user_id, settings(acronis_emulator, subscription="Microsoft Office 365")
        )
    assert not caught.value.transient


def test_the_activation_email_is_asked_of_acronis(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    platform.send_activation_email(user_id)
    [email] = acronis_emulator.activation_emails()
    assert (email.login, email.to) == (LOGIN, "john.private@example.org")


# --- customers and doctor -------------------------------------------------------------------


def test_customers_and_their_subscriptions_come_from_the_platform(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    customers = {c.name: c for c in platform.list_customers()}
    # Initech sits in a folder; the disabled tenant is left out.
    assert set(customers) == {"Acme Corporation", "Globex Logistics", "Initech Dental"}
    assert [s.name for s in customers["Acme Corporation"].subscriptions] == [
        "PAYG",
        "Capped Storage",
        "Microsoft Office 365",
    ]
    assert [s.name for s in customers["Initech Dental"].subscriptions] == ["PAYG", "Capped Storage"]
    assert customers["Globex Logistics"].provider_id == acronis_emulator.tenant_id("Globex Logistics")
    assert customers["Globex Logistics"].subscriptions[0].provider_id == acronis_emulator.storage_id("PAYG")


def test_check_names_the_partner_and_counts_its_customers(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    assert platform.check() == (
        f'acronis: {acronis_emulator.url} partner "Example MSP" (tenant {acronis_emulator.state.partner_id}), '
        "3 customers"
    )
