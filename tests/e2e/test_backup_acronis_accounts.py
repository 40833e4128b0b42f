"""With BACKUP_PROVIDER=acronis, what happens on the platform itself reaches deskops:

- a user who activates through Acronis's own e-mail turns Active here (card included) when the
  helpdesk lists users, before reminders (nobody is reminded who has activated) and by the
  periodic activation_sync job;
- an account made in the Acronis management portal is found by its login within the customer's
  tenant by /backup assign|settings|activate, imported into deskops on first use (audited), and
  then acted on like any other user.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.accounts.models import BackupUser, UserStatus
from bot.audit.models import AuditEvent
from bot.clock import ManualClock
from bot.scheduler.runner import RunOutcome
from console import SlackEmulator
from tests.e2e.backup_flows import add_user_with_backup, option_value
from tests.support.acronis import GIB, AcronisEmulator
from tests.support.app import RunningApp, run_app_on_acronis
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACME = "Acme Corporation"


@pytest.fixture
def app(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, acronis_emulator: AcronisEmulator
) -> Iterator[RunningApp]:
    seed_helpdesk(slack_emulator)
    with run_app_on_acronis(
        slack_emulator,
        database_url,
        tmp_path,
        acronis_emulator,
        clock=ManualClock(START),
        helpdesk_channel=HELPDESK_CHANNEL,
        scheduler_enabled=False,
    ) as running:
        yield running


def clock_of(app: RunningApp) -> ManualClock:
    clock = app.deps.clock
    assert isinstance(clock, ManualClock)
    return clock


def user(app: RunningApp, email: str) -> dict[str, object]:
    with app.deps.db.read() as session:
        found = session.scalars(select(BackupUser).where(BackupUser.email_key == email)).one()
        return {
            "status": found.status,
            "provider_id": found.provider_id,
            "name": found.full_name,
            "notification_email": found.notification_email,
        }


def audit(app: RunningApp, action: str) -> list[tuple[str, str, dict[str, object]]]:
    """(actor, target, details) of each audit event of this action."""
    with app.deps.db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return [(e.actor, e.target, dict(e.details)) for e in events]


def ephemeral_with(slack: SlackEmulator, text: str) -> str:
    found = slack.wait_until(
        lambda: [e for e in slack.ephemerals(user=HELPDESK_USER) if text in e.all_text()], timeout=10.0
    )
    return str(found[-1].all_text())


def run_job(app: RunningApp, job_id: str) -> RunOutcome:
    outcome = app.service.scheduler.run_now(job_id)
    app.wait_for_outbox()
    return outcome


def test_an_account_activated_on_acronis_turns_active_in_the_list_and_on_its_card(
    app: RunningApp, slack_emulator: SlackEmulator, acronis_emulator: AcronisEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", email="john.doe@example.com", subscription="PAYG")
    app.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert "Pending activation" in card.all_text()

    acronis_emulator.activate("john.doe@example.com")
    helen.slash("/backup", "users Acme", channel=HELPDESK_CHANNEL)
    listed = ephemeral_with(slack_emulator, "john.doe@example.com")
    assert "Active" in listed and "Pending activation" not in listed
    app.wait_for_outbox()
    card = next(m for m in slack_emulator.channel(HELPDESK_CHANNEL).messages() if m.ts == card.ts)
    assert "Active" in card.all_text() and "Pending activation" not in card.all_text() and card.edited
    assert user(app, "john.doe@example.com")["status"] is UserStatus.ACTIVE
    [(actor, _, details)] = audit(app, "user.activated")
    assert (actor, details["read_back"]) == ("backup-platform", True)
    # Activate is answered as for any active user: no e-mail is asked of Acronis.
    helen.slash("/backup", "activate john.doe@example.com", channel=HELPDESK_CHANNEL)
    assert "already active" in ephemeral_with(slack_emulator, "already active")
    assert acronis_emulator.activation_emails() == []


def test_reminders_skip_who_activated_on_acronis_and_the_sync_job_reads_back_the_rest(
    app: RunningApp, slack_emulator: SlackEmulator, acronis_emulator: AcronisEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", email="ann.early@example.com", subscription="PAYG")
    add_user_with_backup(helen, "Acme", email="bob.late@example.com", subscription="PAYG")
    app.wait_for_outbox()
    posted = len(slack_emulator.channel(HELPDESK_CHANNEL).messages())

    clock_of(app).advance(timedelta(days=3, minutes=1))
    acronis_emulator.activate("ann.early@example.com")
    assert run_job(app, "reminders") is RunOutcome.RAN
    reminder = slack_emulator.channel(HELPDESK_CHANNEL).messages()[posted:]
    text = " ".join(m.all_text() for m in reminder)
    assert "bob.late@example.com" in text and "ann.early@example.com" not in text
    assert user(app, "ann.early@example.com")["status"] is UserStatus.ACTIVE
    assert user(app, "bob.late@example.com")["status"] is UserStatus.PENDING_ACTIVATION

    acronis_emulator.activate("bob.late@example.com")
    clock_of(app).advance(timedelta(minutes=5))
    assert run_job(app, "activation_sync") is RunOutcome.RAN
    assert user(app, "bob.late@example.com")["status"] is UserStatus.ACTIVE
    assert len(audit(app, "user.activated")) == 2


def test_an_account_made_in_the_portal_is_assigned_from_slack_and_imported_once(
    app: RunningApp, slack_emulator: SlackEmulator, acronis_emulator: AcronisEmulator
) -> None:
    # A company administrator made in the portal: no Backup items of its own until deskops enables them.
    made = acronis_emulator.create_account(
        ACME,
        "pat@acme.example",
        email="pat.home@example.org",
        first_name="Pat",
        last_name="Portal",
        roles=("company_admin",),
    )
    helen = slack_emulator.person(HELPDESK_USER)
    helen.slash("/backup", "assign pat@acme.example", channel=HELPDESK_CHANNEL)
    view = helen.wait_for_view(callback_id="backup.assign_service")
    view.choose("subscription", option_value(view, "subscription", "Capped Storage"))
    view.fill("quota_storage_gb", "40")
    assert view.submit().closed
    app.wait_for_outbox()

    account = acronis_emulator.account("pat@acme.example")
    assert account.id == made and acronis_emulator.requests("POST", "/users") == []
    assert account.roles == {"company_admin"}
    assert account.quota("storage", storage=acronis_emulator.storage_id("Capped Storage")) == (40 * GIB, 0)
    imported = user(app, "pat@acme.example")
    assert (imported["provider_id"], imported["name"], imported["notification_email"]) == (
        made,
        "Pat Portal",
        "pat.home@example.org",
    )
    assert "Backup service assigned" in slack_emulator.channel(HELPDESK_CHANNEL).last_message().all_text()
    [(actor, target, details)] = audit(app, "user.imported")
    assert (actor, target, details["provider_id"]) == (
        HELPDESK_USER,
        "pat@acme.example",
        made,
    )

    # From now on the same user as any other: activation is Acronis's own e-mail, no second import.
    helen.slash("/backup", "activate pat@acme.example", channel=HELPDESK_CHANNEL)
    assert "on its way to pat.home@example.org" in ephemeral_with(slack_emulator, "on its way")
    app.wait_for_outbox()
    assert [e.to for e in acronis_emulator.activation_emails()] == ["pat.home@example.org"]
    assert len(audit(app, "user.imported")) == 1


def test_portal_accounts_are_looked_for_in_the_named_customer_only(
    app: RunningApp, slack_emulator: SlackEmulator, acronis_emulator: AcronisEmulator
) -> None:
    acronis_emulator.create_account("Globex Logistics", "gil@globex.example", activated=True)
    acronis_emulator.create_account(ACME, "ada@acme.example", roles=("company_admin",))
    helen = slack_emulator.person(HELPDESK_USER)
    helen.slash("/backup", "assign gil@globex.example Acme", channel=HELPDESK_CHANNEL)
    answer = ephemeral_with(slack_emulator, "gil@globex.example")
    assert "taken on the backup platform, but not in Acme Corporation" in answer
    helen.slash("/backup", "settings nobody@acme.example", channel=HELPDESK_CHANNEL)
    assert "No backup user signs in with nobody@acme.example" in ephemeral_with(slack_emulator, "nobody@")
    assert audit(app, "user.imported") == []

    # An administrator made in the portal has no Backup items yet: imported, and told to assign.
    helen.slash("/backup", "settings ada@acme.example", channel=HELPDESK_CHANNEL)
    assert "has no Backup service yet" in ephemeral_with(slack_emulator, "has no Backup service yet")
    assert user(app, "ada@acme.example")["status"] is UserStatus.PENDING_ACTIVATION


def test_a_portal_accounts_backup_service_comes_along_and_its_settings_can_be_changed(
    app: RunningApp, slack_emulator: SlackEmulator, acronis_emulator: AcronisEmulator
) -> None:
    # Without a customer, every customer's tenant is looked in; an active account comes in Active
    # with the Backup service it has on Acronis (backup_user on Globex's PAYG storage, the
    # platform's default notifications, which amount to All).
    acronis_emulator.create_account("Globex Logistics", "gil@globex.example", activated=True)
    helen = slack_emulator.person(HELPDESK_USER)
    helen.slash("/backup", "settings gil@globex.example", channel=HELPDESK_CHANNEL)
    view = helen.wait_for_view(callback_id="backup.user_settings")
    assert user(app, "gil@globex.example")["status"] is UserStatus.ACTIVE
    assert view.block("notifications")["element"]["initial_option"]["value"] == "all"
    view.choose("notifications", "errors")
    view.fill("quota_storage_gb", "10")
    assert view.submit().closed
    app.wait_for_outbox()
    account = acronis_emulator.account("gil@globex.example")
    assert account.quota("storage", storage=acronis_emulator.storage_id("PAYG")) == (10 * GIB, 0)
    assert set(account.notifications) == {"quota", "reports", "backup_error", "backup_critical"}
    [(_, _, details)] = audit(app, "user.imported")
    assert details["backup"] is True and details["activated"] is True


def test_a_sign_in_name_acronis_cannot_take_is_an_error_on_the_email_field(
    app: RunningApp, slack_emulator: SlackEmulator, acronis_emulator: AcronisEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    helen.slash("/backup", "add Acme", channel=HELPDESK_CHANNEL)
    view = helen.wait_for_view(callback_id="backup.add_user")
    view.fill("first_name", "José")
    view.fill("last_name", "Núñez")
    view.fill("email", "josé@example.com")
    result = view.submit()
    assert result.errors is not None and "ASCII letters" in result.errors["email"]
    assert acronis_emulator.requests("GET", "/users/check_login") == []


def test_the_users_list_shows_what_deskops_knows_when_acronis_cannot_be_read(
    app: RunningApp, slack_emulator: SlackEmulator, acronis_emulator: AcronisEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", email="john.doe@example.com", subscription="PAYG")
    app.wait_for_outbox()
    acronis_emulator.activate("john.doe@example.com")
    acronis_emulator.fail("GET", "/users", status=403, times=None, message="Access denied")
    helen.slash("/backup", "users Acme", channel=HELPDESK_CHANNEL)
    listed = ephemeral_with(slack_emulator, "john.doe@example.com")
    assert "Pending activation" in listed
    assert user(app, "john.doe@example.com")["status"] is UserStatus.PENDING_ACTIVATION
    acronis_emulator.clear_faults()
    assert run_job(app, "activation_sync") is RunOutcome.RAN
    assert user(app, "john.doe@example.com")["status"] is UserStatus.ACTIVE
