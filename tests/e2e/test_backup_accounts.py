"""/backup end to end, as Slack drives it: signed requests to /slack/events, the Web API calls the
bot makes recorded by the emulator (which checks every view and message against the Block Kit
limits file), e-mails read back from the outbox folder, and the activation page over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.accounts.models import BackupUser, UserStatus
from bot.audit.models import AuditEvent
from console import SlackEmulator
from tests.e2e.backup_flows import (
    BACKUP_SETTINGS,
    activation_link,
    add_user_with_backup,
    add_user_without_backup,
    fill_user,
    open_add_user,
    option_value,
    read_eml,
)
from tests.support.app import RunningApp
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER


def users(deskops: RunningApp) -> list[BackupUser]:
    with deskops.deps.db.transaction() as session:
        return list(session.scalars(select(BackupUser).order_by(BackupUser.id)).all())


def test_single_subscription_customer_gets_it_chosen_silently(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Globex")
    fill_user(view, email="mary@globex.example")
    step = view.submit()
    settings = step.view
    assert settings is not None and settings.callback_id == BACKUP_SETTINGS
    assert not settings.has_block("subscription")
    assert "Subscription: *PAYG*" in settings.all_text()
    done = settings.submit()
    assert done.errors is None and done.closed
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert "PAYG" in card.all_text() and "Globex Logistics" in card.all_text()


def test_customer_select_is_shown_when_none_is_named_and_required(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen)
    options = [o["text"]["text"] for o in view.block("customer")["element"]["options"]]
    assert options == ["Acme Corporation", "Globex Logistics", "Initech Dental"]
    fill_user(view)
    result = view.submit(force=True)  # the Slack client would insist too; the bot must as well
    assert result.errors == {"customer": "Choose the customer this user belongs to."}
    view.choose("customer", option_value(view, "customer", "Initech Dental"))
    result = view.submit()
    assert result.errors is None
    assert result.view is not None and "Initech Dental" in result.view.all_text()


def test_administrator_needs_address_and_phone(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Acme")
    fill_user(view, "Ada", "Admin", "ada@acme.example")
    assert not view.has_block("address")
    view.choose("role", "administrator")
    view.wait_for_update()
    assert view.has_block("address") and view.has_block("phone")
    # What was typed before the modal changed shape is still there.
    assert view.value("first_name") == "Ada"
    result = view.submit(force=True)
    assert result.errors == {"address": "Enter an address.", "phone": "Enter a phone number."}
    view.fill("address", "Keizersgracht 1\n1015 CJ Amsterdam")
    view.fill("phone", "12345")
    result = view.submit()
    assert result.errors is not None and set(result.errors) == {"phone"}
    assert "include the country code" in result.errors["phone"]
    view.fill("phone", "+31 20 123 4567")
    step = view.submit()
    assert step.errors is None and step.view is not None
    settings = step.view
    # An Administrator account starts as an Administrator in Backup too.
    assert settings.value("backup_role") == "administrator"
    settings.choose("subscription", option_value(settings, "subscription", "PAYG"))
    assert settings.submit().closed
    deskops.wait_for_outbox()
    [ada] = users(deskops)
    assert (ada.role.value, ada.phone, ada.address) == (
        "administrator",
        "+31201234567",
        "Keizersgracht 1\n1015 CJ Amsterdam",
    )


def test_field_errors_name_the_field_and_keep_the_modal(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_without_backup(helen, "Acme", email="taken@acme.example")
    view = open_add_user(helen, "Acme")
    fill_user(view, first="   ", email="not-an-email")
    result = view.submit(force=True)
    assert result.errors is not None
    assert result.errors["first_name"] == "Enter a first name."
    assert "is not a valid e-mail address" in result.errors["email"]
    assert view.is_open and view.value("last_name") == "Doe"
    view.fill("first_name", "John")
    view.fill("email", "TAKEN@acme.example")
    result = view.submit()
    assert result.errors == {"email": "A user with this email already exists for Acme Corporation."}
    view.fill("email", "john@acme.example")
    step = view.submit()
    assert step.view is not None
    settings = step.view
    settings.choose("subscription", option_value(settings, "subscription", "PAYG"))
    settings.fill("quota_servers", "-3")
    settings.fill("quota_workstations", "2.5")
    result = settings.submit(force=True)
    assert result.errors is not None and set(result.errors) == {"quota_servers", "quota_workstations"}
    assert "whole number of 0 or more" in result.errors["quota_servers"]
    assert len(users(deskops)) == 1


# deskops' own activation e-mail (.eml); on Acronis the platform sends it.
@pytest.mark.backup_provider("local")
def test_separate_notification_email_gets_the_activation_mail(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Acme")
    fill_user(view, email="sam@acme.example")
    assert not view.has_block("notification_email")
    view.tick("separate_notification_email", ["separate"])
    view.wait_for_update()
    result = view.submit(force=True)
    assert result.errors == {"notification_email": "Enter an e-mail address."}
    view.fill("notification_email", "sam.private@example.org")
    step = view.submit()
    assert step.view is not None
    step.view.choose("subscription", option_value(step.view, "subscription", "PAYG"))
    assert step.view.submit().closed
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert "sam.private@example.org" in card.all_text()
    helen.click(card, "backup.user.activate")
    deskops.wait_for_outbox()
    [mail] = [read_eml(p) for p in deskops.eml_files()]
    assert mail["To"] == "sam.private@example.org"
    assert "sam@acme.example" in mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


# deskops' own activation e-mail (.eml); on Acronis the platform sends it.
@pytest.mark.backup_provider("local")
def test_activation_link_sets_password_and_updates_the_card_in_place(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="Microsoft Office 365")
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert "Pending activation" in card.all_text()
    outcome = helen.click(card, "backup.user.activate")
    assert outcome.status == 200
    deskops.wait_for_outbox()
    [ephemeral] = slack_emulator.ephemerals(user=HELPDESK_USER, channel=HELPDESK_CHANNEL)
    assert "is on its way to john.doe@example.com" in ephemeral.all_text()
    [mail] = [read_eml(p) for p in deskops.eml_files()]
    assert mail["To"] == "john.doe@example.com"
    assert mail["Subject"] == "Activate your backup account at Acme Corporation"
    link = activation_link(mail)
    assert link.startswith(deskops.url)
    with deskops.http() as http:
        page = http.get(link)
        assert page.status_code == 200 and "Activate your backup account" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        mismatch = http.post(
            link, data={"password": "correct horse battery", "confirmation": "correct horse"}
        )
        assert mismatch.status_code == 400 and "The two passwords are not the same." in mismatch.text
        done = http.post(
            link, data={"password": "correct horse battery", "confirmation": "correct horse battery"}
        )
        assert done.status_code == 200 and "Your backup account is active" in done.text
        assert "https://downloads.example.com/acronis-agent" in done.text
        again = http.get(link)
        assert again.status_code == 410 and "already used" in again.text
        unknown = http.get(link[:-4] + "abcd")
        assert unknown.status_code == 404
    deskops.wait_for_outbox()
    updated = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert updated.ts == card.ts and updated.edited
    assert "Active since" in updated.all_text()
    assert [b.action_id for b in updated.buttons()] == ["backup.user.assign_service"]  # no Activate any more
    [user] = users(deskops)
    assert user.status is UserStatus.ACTIVE


def test_assign_service_to_an_existing_user(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_without_backup(helen, "Acme", email="noservice@acme.example")
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert "None assigned yet" in card.all_text()
    helen.click(card, "backup.user.assign_service")
    view = helen.wait_for_view(callback_id="backup.assign_service")
    assert view.title == "Assign Service"
    view.choose("subscription", option_value(view, "subscription", "Capped Storage"))
    view.fill("quota_mobile_devices", "3")
    assert view.submit().closed
    deskops.wait_for_outbox()
    channel = slack_emulator.channel(HELPDESK_CHANNEL)
    # The card changes in place and the follow-up goes into its thread, not a new top-level post.
    assert channel.last_message().ts == card.ts
    first = next(m for m in channel.messages() if m.ts == card.ts)
    assert "Capped Storage" in first.all_text() and first.edited
    assert "Backup service assigned by" in channel.last_message(thread_ts=card.ts).all_text()
    # Assigning again is refused with a pointer to the settings command.
    helen.slash("/backup", "assign noservice@acme.example", channel=HELPDESK_CHANNEL)
    notice = slack_emulator.wait_until(
        lambda: [
            e
            for e in slack_emulator.ephemerals(user=HELPDESK_USER)
            if "already has the Backup" in e.all_text()
        ]
    )
    assert "/backup settings noservice@acme.example" in notice[0].all_text()


def test_settings_change_notifications_role_and_quotas(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="PAYG", notifications="errors")
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    helen.slash("/backup", "settings john.doe@example.com", channel=HELPDESK_CHANNEL)
    view = helen.wait_for_view(callback_id="backup.user_settings")
    assert view.title == "Backup User Settings"
    assert view.value("notifications") == "errors"
    view.choose("notifications", "errors_and_warnings")
    view.choose("backup_role", "read_only_administrator")
    view.fill("quota_storage_gb", "500")
    assert view.submit().closed
    deskops.wait_for_outbox()
    channel = slack_emulator.channel(HELPDESK_CHANNEL)
    latest = channel.last_message()
    assert latest.ts == card.ts and latest.edited  # the card, changed in place
    assert "Backup settings changed by" in channel.last_message(thread_ts=card.ts).all_text()
    text = latest.all_text()
    assert "Errors and warnings" in text and "Read-only administrator" in text and "Storage: 500 GB" in text
    assert "Subscription" in text and "PAYG" in text
    with deskops.deps.db.transaction() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == HELPDESK_USER).order_by(AuditEvent.id)
        ).all()
    assert actions == ["user.created", "service.settings_changed"]


def test_users_list_for_a_customer_with_users_and_one_without(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="PAYG")
    add_user_without_backup(helen, "Acme", first="Zoe", last="Zimmer", email="zoe@acme.example")
    deskops.wait_for_outbox()
    helen.slash("/backup", "users acme", channel=HELPDESK_CHANNEL)
    listing = slack_emulator.wait_until(
        lambda: [e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "backup users" in e.all_text()]
    )[-1].all_text()
    assert "Acme Corporation" in listing and "Customer" in listing
    assert listing.index("John Doe") < listing.index("Zoe Zimmer")
    assert "Backup (PAYG)" in listing and "No services" in listing and "Pending activation" in listing
    helen.slash("/backup", "users Initech Dental", channel=HELPDESK_CHANNEL)
    empty = slack_emulator.wait_until(
        lambda: [
            e
            for e in slack_emulator.ephemerals(user=HELPDESK_USER)
            if "Initech Dental — backup users" in e.all_text()
        ]
    )[-1]
    assert "No backup users yet" in empty.all_text()
    assert "John Doe" not in empty.all_text()


def test_unknown_customer_and_email_offer_close_matches(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    helen.slash("/backup", "add Acmee", channel=HELPDESK_CHANNEL)
    answer = slack_emulator.wait_until(lambda: slack_emulator.ephemerals(user=HELPDESK_USER))[-1].all_text()
    assert "No customer is called “Acmee”" in answer and "Acme Corporation" in answer
    assert slack_emulator.modal_stack(HELPDESK_USER) == []
    add_user_without_backup(helen, "Acme", email="john.doe@example.com")
    helen.slash("/backup", "activate jon.doe@example.com", channel=HELPDESK_CHANNEL)
    answer = slack_emulator.wait_until(
        lambda: [e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "No backup user" in e.all_text()]
    )[-1].all_text()
    assert "john.doe@example.com" in answer
    outcome = helen.slash("/backup", "frobnicate", channel=HELPDESK_CHANNEL)
    assert (
        outcome.ephemeral is not None
        and "`frobnicate` is not a /backup command" in outcome.ephemeral.all_text()
    )


def test_double_clicked_submit_creates_one_user(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Globex")
    fill_user(view)
    settings = view.submit().view
    assert settings is not None
    first = slack_emulator.driver.submit(HELPDESK_USER, settings.id, force=True)  # type: ignore[union-attr]
    assert first.closed
    # The second click of a double click carries the same view (Slack sends it before closing it).
    slack_emulator.send_raw(first.delivery.request)  # type: ignore[union-attr]
    deskops.wait_for_outbox()
    assert len(users(deskops)) == 1
    cards = [m for m in slack_emulator.channel(HELPDESK_CHANNEL).messages() if "John Doe" in m.all_text()]
    assert len(cards) == 1


def test_card_falls_back_to_a_direct_message_when_the_bot_is_not_in_the_channel(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("C0NOBOT1", name="elsewhere", members=[HELPDESK_USER], bot_is_member=False)
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Globex", channel="C0NOBOT1")
    fill_user(view)
    settings = view.submit().view
    assert settings is not None and settings.submit().closed
    deskops.wait_for_outbox()
    assert slack_emulator.channel("C0NOBOT1").messages() == []
    dm = slack_emulator.dm_channel(HELPDESK_USER).last_message()
    assert "John Doe" in dm.all_text()
    assert deskops.failed_outbox() == []


def test_audit_channel_gets_a_copy(slack_emulator: SlackEmulator, database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.app import run_app
    from tests.support.slack import seed_helpdesk

    seed_helpdesk(slack_emulator)
    slack_emulator.add_channel("C0AUDIT1", name="audit", members=[], bot_is_member=True)
    with run_app(slack_emulator, database_url, tmp_path, audit_channel="C0AUDIT1") as app:
        add_user_with_backup(slack_emulator.person(HELPDESK_USER), "Globex")
        app.wait_for_outbox()
        assert "John Doe" in slack_emulator.channel("C0AUDIT1").last_message().all_text()
        assert "John Doe" in slack_emulator.channel(HELPDESK_CHANNEL).last_message().all_text()
        with app.deps.db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(BackupUser)) == 1
