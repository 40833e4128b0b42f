"""/backup find, disable and enable end to end over signed Slack requests and the emulator."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.accounts.activation import verify_password
from bot.accounts.models import BackupUser, UserStatus
from bot.audit.models import AuditEvent
from console import SlackEmulator
from tests.e2e.backup_flows import activation_link, add_user_with_backup, add_user_without_backup, read_eml
from tests.support.app import RunningApp
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER


def status_of(deskops: RunningApp, email: str) -> UserStatus:
    with deskops.deps.db.read() as session:
        return session.scalars(select(BackupUser.status).where(BackupUser.email == email)).one()


def latest_ephemeral(slack_emulator: SlackEmulator, text: str):  # type: ignore[no-untyped-def]
    return slack_emulator.wait_until(
        lambda: [e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if text in e.all_text()]
    )[-1]


def test_find_lists_matches_across_customers_with_their_actions(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", email="zoe.mueller@acme.example", subscription="PAYG")
    add_user_without_backup(helen, "Globex", first="Zoë", last="Zimmer", email="zz@globex.example")
    deskops.wait_for_outbox()
    helen.slash("/backup", "find zoe", channel=HELPDESK_CHANNEL)
    found = latest_ephemeral(slack_emulator, "Users matching")
    text = found.all_text()
    assert "zoe.mueller@acme.example" in text and "zz@globex.example" in text
    assert "Acme Corporation" in text and "Globex Logistics" in text
    # Each result carries its actions: Activate (pending) and Assign service / settings.
    assert [b.action_id for b in found.buttons()].count("backup.user.activate") == 2
    # The same buttons as on the card (DESIGN §1: Activate, Assign service), Backup or not.
    assert [b.text for b in found.buttons()] == ["Activate", "Assign service"] * 2
    helen.slash("/backup", "find nobody-like-this", channel=HELPDESK_CHANNEL)
    assert (
        "No backup user's name or e-mail contains"
        in latest_ephemeral(slack_emulator, "nobody-like").all_text()
    )


def test_disable_asks_first_then_the_card_says_disabled_and_offers_enable(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="PAYG")
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    helen.slash("/backup", "disable john.doe@example.com", channel=HELPDESK_CHANNEL)
    question = latest_ephemeral(slack_emulator, "no longer be able to sign in")
    assert status_of(deskops, "john.doe@example.com") is UserStatus.PENDING_ACTIVATION  # nothing yet
    helen.click(question, "backup.user.disable")
    slack_emulator.wait_until(lambda: status_of(deskops, "john.doe@example.com") is UserStatus.DISABLED)
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).wait_for_message(
        lambda m: m.ts == card.ts and "Disabled" in m.all_text()
    )
    assert [b.action_id for b in card.buttons()] == ["backup.user.assign_service", "backup.user.enable"]
    # The follow-up goes into the card's thread, not a new top-level post.
    [reply] = [m for m in slack_emulator.channel(HELPDESK_CHANNEL).messages() if m.thread_ts == card.ts]
    assert "Disabled by" in reply.all_text()
    # A disabled user cannot be sent an activation e-mail.
    helen.slash("/backup", "activate john.doe@example.com", channel=HELPDESK_CHANNEL)
    assert "/backup enable" in latest_ephemeral(slack_emulator, "enable the user first").all_text()
    # Disabling again changes nothing; Enable on the card brings the user back as they were.
    helen.click(question, "backup.user.disable")
    latest_ephemeral(slack_emulator, "was already disabled")
    helen.click(card, "backup.user.enable")
    slack_emulator.wait_until(
        lambda: status_of(deskops, "john.doe@example.com") is UserStatus.PENDING_ACTIVATION
    )
    with deskops.deps.db.read() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("user.disabled") == 1 and actions.count("user.enabled") == 1


def test_delete_asks_for_the_email_then_the_card_says_deleted_and_the_address_is_free_again(
    deskops: RunningApp, slack_emulator: SlackEmulator, backup_provider: str
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="PAYG")
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    helen.slash("/backup", "delete john.doe@example.com", channel=HELPDESK_CHANNEL)
    modal = helen.wait_for_view(callback_id="backup.delete_user")
    assert modal.title == "Delete User"
    modal.fill("confirm_email", "john.doe@example.org")
    wrong = modal.submit()
    assert wrong.errors == {"confirm_email": "Type john.doe@example.com exactly to delete this user."}
    assert status_of(deskops, "john.doe@example.com") is UserStatus.PENDING_ACTIVATION
    modal.fill("confirm_email", "John.Doe@example.com")
    done = modal.submit()
    assert done.errors is None and done.closed
    deskops.wait_for_outbox()
    assert status_of(deskops, "john.doe@example.com") is UserStatus.DELETED
    card = slack_emulator.channel(HELPDESK_CHANNEL).wait_for_message(
        lambda m: m.ts == card.ts and "Deleted" in m.all_text()
    )
    assert card.buttons() == []
    replies = [m for m in slack_emulator.channel(HELPDESK_CHANNEL).messages() if m.thread_ts == card.ts]
    assert any("Deleted by" in m.all_text() for m in replies)
    if backup_provider == "acronis":
        assert deskops.acronis is not None
        assert "john.doe@example.com" not in deskops.acronis.accounts()
    # The audit trail keeps who, when and what; the address can be used for a new user.
    with deskops.deps.db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.deleted")).one()
        assert event.actor == HELPDESK_USER and event.details["name"] == "John Doe"
    helen.slash("/backup", "delete john.doe@example.com", channel=HELPDESK_CHANNEL)
    assert "No backup user" in latest_ephemeral(slack_emulator, "john.doe@example.com").all_text()
    add_user_without_backup(helen, "Acme", email="john.doe@example.com")


def test_edit_user_is_prefilled_checked_like_add_and_updates_the_card_in_place(
    deskops: RunningApp, slack_emulator: SlackEmulator, backup_provider: str
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="PAYG")
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    helen.slash("/backup", "edit john.doe@example.com", channel=HELPDESK_CHANNEL)
    modal = helen.wait_for_view(callback_id="backup.edit_user")
    assert modal.title == "Edit User"
    assert modal.block("first_name")["element"]["initial_value"] == "John"
    assert modal.block("email")["element"]["initial_value"] == "john.doe@example.com"
    modal.fill("last_name", "")
    modal.choose("role", "administrator")
    bad = modal.submit(force=True)
    assert bad.errors is not None and {"last_name", "address", "phone"} <= set(bad.errors)
    modal.fill("last_name", "Doe-Smith")
    modal.choose("role", "user")
    modal.fill("notification_email", "john.private@example.org")
    saved = modal.submit()
    assert saved.errors is None and saved.closed
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).wait_for_message(
        lambda m: m.ts == card.ts and "Doe-Smith" in m.all_text()
    )
    assert "john.private@example.org" in card.all_text()
    if backup_provider == "acronis":
        assert deskops.acronis is not None
        contact = deskops.acronis.account("john.doe@example.com").contact
        assert contact["lastname"] == "Doe-Smith" and contact["email"] == "john.private@example.org"
        # Acronis keeps the sign-in name: changing it is refused on the field.
        helen.slash("/backup", "edit john.doe@example.com", channel=HELPDESK_CHANNEL)
        again = helen.wait_for_view(callback_id="backup.edit_user")
        again.fill("email", "jds@example.com")
        refused = again.submit()
        assert refused.errors is not None and "keeps the sign-in name" in refused.errors["email"]


@pytest.mark.backup_provider("local")
def test_reset_mails_a_single_use_link_that_sets_a_new_password(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", subscription="PAYG")
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    helen.click(card, "backup.user.activate")
    deskops.wait_for_outbox()
    link = activation_link(read_eml(deskops.eml_files()[-1]))
    with deskops.http() as http:
        password = "correct horse battery staple"
        assert http.post(link, data={"password": password, "confirmation": password}).status_code == 200
    helen.slash("/backup", "reset john.doe@example.com", channel=HELPDESK_CHANNEL)
    assert "works once" in latest_ephemeral(slack_emulator, "new password is on its way").all_text()
    deskops.wait_for_outbox()
    mail = read_eml(deskops.eml_files()[-1])
    assert mail["Subject"] == "Choose a new password for your backup account at Acme Corporation"
    reset = activation_link(mail)
    assert reset != link
    with deskops.http() as http:
        new = "purple elephant marmalade 42"
        assert http.post(reset, data={"password": new, "confirmation": new}).status_code == 200
        assert http.get(reset).status_code == 410  # spent
    with deskops.deps.db.read() as session:
        user = session.scalars(select(BackupUser)).one()
        assert user.status is UserStatus.ACTIVE and verify_password(user, new)
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "user.password_reset_sent" in actions and "user.password_reset" in actions
