"""/backup with BACKUP_PROVIDER=acronis, end to end: Slack in, the Acronis emulator's state out.

What the helpdesk chose in the modals must be what the platform holds: the account in the
customer's tenant, its role, its notifications and its quotas; the activation e-mail is the
platform's own. When the platform fails part-way, the card says what exists there and offers
Retry, and Retry finishes the job once the platform works again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.accounts.models import BackupUser, ProvisioningState, UserStatus
from bot.clock import ManualClock
from bot.integrations.backup.acronis import AcronisBackupPlatform, RetryPolicy
from bot.outbox.models import OutboxStatus
from console import SlackEmulator
from tests.e2e.backup_flows import add_user_with_backup, fill_user, open_add_user, option_value
from tests.support.acronis import GIB, AcronisEmulator
from tests.support.app import RunningApp, run_app_on_acronis
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk

# Only the Acronis variant of `deskops` (on SQLite, see tests/support/app.py).
pytestmark = pytest.mark.backup_provider("acronis")
RETRY = "backup.user.retry_provisioning"


def emulator_of(deskops: RunningApp) -> AcronisEmulator:
    assert deskops.acronis is not None
    return deskops.acronis


def local_user(app: RunningApp, email: str = "john.doe@example.com") -> BackupUser:
    with app.deps.db.transaction() as session:
        return session.scalars(select(BackupUser).where(BackupUser.email_key == email)).one()


def test_the_account_on_acronis_is_what_the_helpdesk_chose(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    acronis = emulator_of(deskops)
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Acme")
    fill_user(view, email="john.doe@example.com")
    settings = view.submit().view
    assert settings is not None
    settings.choose("subscription", option_value(settings, "subscription", "Capped Storage"))
    settings.choose("notifications", "errors_and_warnings")
    settings.fill("quota_storage_gb", "250")
    settings.fill("quota_workstations", "3")
    settings.fill("quota_m365_seats", "0")
    assert settings.submit().closed
    deskops.wait_for_outbox()
    account = acronis.account("john.doe@example.com")
    assert (account.tenant, account.contact["firstname"], account.contact["lastname"]) == (
        "Acme Corporation",
        "John",
        "Doe",
    )
    assert account.roles == {"backup_user"}
    assert account.notifications == ["backup_error", "backup_critical", "backup_warning"]
    assert account.quota("storage", storage=acronis.storage_id("Capped Storage")) == (250 * GIB, 0)
    assert account.quota("workstations") == (3, 0) and account.quota("o365_seats") == (0, 0)
    assert account.quota("servers") == (None, None)
    user = local_user(deskops)
    assert (user.provider_id, user.provisioning) == (account.id, ProvisioningState.DONE)
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message().all_text()
    assert "Capped Storage" in card and "Pending activation" in card and "Not finished" not in card


def test_an_administrator_gets_company_admin_and_mail_goes_to_the_notification_address(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    acronis = emulator_of(deskops)
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Globex")
    fill_user(view, "Ada", "Admin", "ada@globex.example")
    view.choose("role", "administrator")
    view.wait_for_update()
    view.fill("address", "Keizersgracht 1\n1015 CJ Amsterdam")
    view.fill("phone", "+31 20 123 4567")
    view.tick("separate_notification_email", ["separate"])
    view.wait_for_update()
    view.fill("notification_email", "ada.private@example.org")
    settings = view.submit().view
    assert settings is not None and settings.submit().closed
    deskops.wait_for_outbox()
    account = acronis.account("ada@globex.example")
    assert account.roles == {"company_admin"}
    assert (
        account.contact["email"],
        account.contact["address1"],
        account.contact["address2"],
        account.contact["phone"],
    ) == (
        "ada.private@example.org",
        "Keizersgracht 1",
        "1015 CJ Amsterdam",
        "+31201234567",
    )
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    helen.click(card, "backup.user.activate")
    deskops.wait_for_outbox()
    [email] = acronis.activation_emails()
    assert (email.login, email.to) == ("ada@globex.example", "ada.private@example.org")
    assert deskops.eml_files() == []  # Acronis sends it, not deskops
    assert (
        "is on its way to ada.private@example.org"
        in slack_emulator.ephemerals(user=HELPDESK_USER)[-1].all_text()
    )


def test_a_sign_in_name_taken_on_acronis_is_an_error_on_the_email_field(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    acronis = emulator_of(deskops)
    platform = deskops.deps.platform
    assert isinstance(platform, AcronisBackupPlatform)
    # Someone created this login in the Acronis portal, for another customer.
    platform.client.post(
        "/users",
        {
            "tenant_id": acronis.tenant_id("Initech Dental"),
            "login": "taken@example.com",
            "contact": {"email": "taken@example.com"},
        },
        what="creating an account by hand",
    )
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Acme")
    fill_user(view, email="taken@example.com")
    result = view.submit()
    assert result.errors == {"email": "This sign-in name is already taken on the backup platform."}
    assert view.is_open


def test_changed_settings_reach_acronis_and_an_expired_token_goes_unnoticed(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    acronis = emulator_of(deskops)
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="PAYG", notifications="all")
    deskops.wait_for_outbox()
    account = acronis.account("john.doe@example.com")
    assert account.notifications == [
        "backup_error",
        "backup_critical",
        "backup_warning",
        "backup_info",
        "backup_daily_report",
    ]
    with acronis.state.lock:  # the user switched quota and report mails on in the portal
        acronis.state.accounts[account.id].notifications += ["quota", "reports"]
    acronis.expire_tokens()
    helen.slash("/backup", "settings john.doe@example.com", channel=HELPDESK_CHANNEL)
    view = helen.wait_for_view(callback_id="backup.user_settings")
    view.choose("notifications", "none")
    view.choose("backup_role", "read_only_administrator")
    view.fill("quota_storage_gb", "500")
    assert view.submit().closed
    deskops.wait_for_outbox()
    account = acronis.account("john.doe@example.com")
    assert account.roles == {"readonly_admin"}
    assert account.notifications == ["quota", "reports"]  # None: the backup ones off, the rest kept
    assert account.quota("storage", storage=acronis.storage_id("PAYG")) == (500 * GIB, 0)
    assert acronis.tokens_issued == 2
    assert "Not finished" not in slack_emulator.channel(HELPDESK_CHANNEL).last_message().all_text()


def test_notifications_none_creates_the_account_with_no_notifications(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    acronis = emulator_of(deskops)
    add_user_with_backup(slack_emulator.person(HELPDESK_USER), "Globex", notifications="none")
    deskops.wait_for_outbox()
    account = acronis.account("john.doe@example.com")
    assert account.notifications == []
    assert account.roles == {"backup_user"} and local_user(deskops).provisioning is ProvisioningState.DONE


def test_a_lost_create_answer_makes_no_second_account(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    acronis = emulator_of(deskops)
    acronis.fail("POST", "/users", status=500, apply_first=True)
    add_user_with_backup(slack_emulator.person(HELPDESK_USER), "Globex")
    deskops.wait_for_outbox()
    assert acronis.accounts() == ["john.doe@example.com"]
    assert len(acronis.requests("POST", "/users")) == 1
    assert local_user(deskops).provider_id == acronis.account("john.doe@example.com").id


# --- partial failure ------------------------------------------------------------------------


@pytest.fixture
def acronis_app(
    slack_emulator: SlackEmulator,
    acronis_emulator: AcronisEmulator,
    tmp_path: Path,
    migrated_sqlite_template: Path,
) -> Iterator[tuple[RunningApp, ManualClock]]:
    """The app on Acronis with a clock the test moves, so the outbox's backoff takes no real time."""
    database = tmp_path / "deskops.db"
    database.write_bytes(migrated_sqlite_template.read_bytes())
    seed_helpdesk(slack_emulator)
    clock = ManualClock(datetime.now(UTC))
    with run_app_on_acronis(
        slack_emulator, f"sqlite:///{database}", tmp_path, acronis_emulator, clock=clock
    ) as app:
        platform = app.deps.platform
        assert isinstance(platform, AcronisBackupPlatform)
        platform.client.retry = RetryPolicy(attempts=2, backoff_base=0.01, backoff_max=0.02)
        yield app, clock


def drive_outbox(
    app: RunningApp, clock: ManualClock, until: Callable[[], bool], timeout: float = 20.0
) -> None:
    """Let the worker run its retries, moving the clock past each backoff, until `until()`. The
    clock moves only while no delivery is under way: past a delivery's lease, a second worker would
    rightly take the row over as if the first had hung, and the two would race."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if until():
            return
        if any(status == OutboxStatus.SENDING for _, status, _ in app.outbox_rows()):
            time.sleep(0.02)
            continue
        clock.advance(timedelta(hours=1))
        app.service.worker.wake()
        time.sleep(0.05)
    raise AssertionError(f"the outbox did not get there: {app.outbox_rows()}")


def settled(app: RunningApp) -> bool:
    return all(
        status not in (OutboxStatus.PENDING, OutboxStatus.SENDING) for _, status, _ in app.outbox_rows()
    )


def test_a_role_assignment_that_keeps_failing_is_reported_and_retry_finishes_it(
    acronis_app: tuple[RunningApp, ManualClock],
    acronis_emulator: AcronisEmulator,
    slack_emulator: SlackEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app, clock = acronis_app
    acronis_emulator.fail(
        "PUT", r"/users/[^/]+/access_policies", status=500, times=None, message="role service down"
    )
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="PAYG")
    drive_outbox(
        app, clock, lambda: local_user(app).provisioning is ProvisioningState.FAILED and settled(app)
    )
    account = acronis_emulator.account("john.doe@example.com")
    assert account.roles == set()  # the account exists, the role does not
    expected = (
        "The account john.doe@example.com exists on Acronis, but Acronis failed when giving it the User role "
        f"(HTTP 500: role service down) (the account exists on the platform as {account.id})"
    )
    user = local_user(app)
    assert user.provisioning_error == expected and user.provider_id == account.id
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert f"Not finished on the backup platform:* {expected}" in card.all_text()
    assert RETRY in [b.action_id for b in card.buttons()]
    assert [b.action_id for b in card.buttons()].count(RETRY) == 1

    acronis_emulator.clear_faults()
    helen.click(card, RETRY)
    drive_outbox(app, clock, lambda: local_user(app).provisioning is ProvisioningState.DONE and settled(app))
    account = acronis_emulator.account("john.doe@example.com")
    assert account.roles == {"backup_user"} and "backup_error" in account.notifications
    assert acronis_emulator.accounts() == ["john.doe@example.com"]  # Retry created nothing new
    updated = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert updated.ts == card.ts and "Not finished" not in updated.all_text()
    assert RETRY not in [b.action_id for b in updated.buttons()]
    assert local_user(app).status is UserStatus.PENDING_ACTIVATION
    # Failures were logged (each retry, the give-up) without the client secret or any token.
    assert "role service down" in caplog.text
    for secret in [acronis_emulator.client_secret, *acronis_emulator.state.tokens]:
        assert secret not in caplog.text and secret not in expected


@pytest.mark.parametrize("times", [1, None], ids=["once", "every-time"])
def test_a_role_assignment_answered_500_after_it_was_applied_ends_in_the_normal_confirmation(
    acronis_app: tuple[RunningApp, ManualClock],
    acronis_emulator: AcronisEmulator,
    slack_emulator: SlackEmulator,
    times: int | None,
) -> None:
    # Acronis gives the role, then answers 500: once (the client's retry sends it again), or every
    # time (the client's retries run out; the outbox's next attempt finds the role in place).
    app, clock = acronis_app
    acronis_emulator.fail(
        "PUT", r"/users/[^/]+/access_policies", status=500, apply_first=True, times=times, message="oops"
    )
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="PAYG")
    drive_outbox(app, clock, lambda: local_user(app).provisioning is ProvisioningState.DONE and settled(app))
    account = acronis_emulator.account("john.doe@example.com")
    assert account.roles == {"backup_user"} and len(account.policies) == 1
    assert acronis_emulator.accounts() == ["john.doe@example.com"]
    assert len(acronis_emulator.requests("POST", "/users")) == 1
    assert account.notifications == ["backup_error", "backup_critical"]
    user = local_user(app)
    assert (user.provider_id, user.provisioning_error) == (account.id, None)
    assert {status for _, status, _ in app.outbox_rows()} == {OutboxStatus.DELIVERED}  # none given up
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    text = card.all_text()
    assert "PAYG" in text and "Pending activation" in text and "Not finished" not in text
    assert RETRY not in [b.action_id for b in card.buttons()]
    assert [b.action_id for b in card.buttons()].count("backup.user.activate") == 1
