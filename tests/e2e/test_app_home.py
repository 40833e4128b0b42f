"""App Home: the dashboard of a helpdesk person, an approver, or both; every view published is
checked against the Block Kit limits file by the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from console import SlackEmulator
from console.models import iter_buttons
from tests.e2e.backup_flows import add_user_with_backup
from tests.support.app import RunningApp
from tests.support.channels import (
    SUMMARY,
    ChannelsApp,
    add_backup_user,
    add_invitation,
    ask_for_administrator,
    channels_app,
)
from tests.support.slack import (
    APPROVALS_CHANNEL,
    APPROVER,
    HELPDESK_CHANNEL,
    HELPDESK_USER,
    OTHER_HELPDESK_USER,
)


# deskops' own activation e-mail (.eml); on Acronis the platform sends it.
@pytest.mark.backup_provider("local")
def test_home_lists_users_pending_activation_and_my_recent_actions(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex")
    deskops.wait_for_outbox()
    helen.open_home()
    home = helen.wait_for_home()
    text = home.all_text()
    assert "Users pending activation* (1)" in text
    assert "John Doe" in text and "Globex Logistics" in text
    assert "added backup user john.doe@example.com" in text
    home.click("backup.user.activate")
    deskops.wait_for_outbox()
    assert len(deskops.eml_files()) == 1
    # The answer appears on the Home tab itself (there is no message to answer under).
    refreshed = helen.home().all_text()
    assert "Activation e-mail for John Doe is on its way to john.doe@example.com" in refreshed
    # The list says the e-mail went; its button still reads Activate (DESIGN §1) and sends another.
    assert "activation e-mail sent" in refreshed
    [activate] = [b for b in iter_buttons(helen.home().blocks) if b.action_id == "backup.user.activate"]
    assert activate.text == "Activate"
    assert slack_emulator.dm_channel(HELPDESK_USER).messages() == []


def test_home_of_someone_outside_the_helpdesk_shows_no_customer_data(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    add_user_with_backup(slack_emulator.person(HELPDESK_USER), "Globex")
    deskops.wait_for_outbox()
    outsider = slack_emulator.person(APPROVER)
    outsider.open_home()
    text = outsider.wait_for_home().all_text()
    assert "not in the helpdesk" in text
    assert "John Doe" not in text


@pytest.fixture
def channels(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[ChannelsApp]:
    with channels_app(slack_emulator, database_url, tmp_path) as running:
        yield running


def test_home_of_a_helpdesk_person_shows_their_requests_expiring_invitations_and_pending_users(
    channels: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    ask_for_administrator(helen)
    add_invitation(channels, email="sara@acme.example", name="Sara Soon", expires_in=timedelta(hours=30))
    add_invitation(channels, email="luke@acme.example", name="Luke Later", expires_in=timedelta(days=5))
    add_backup_user(channels, email="pat@globex.example")
    channels.app.wait_for_outbox()
    helen.open_home()
    home = helen.wait_for_home()
    text = home.all_text()
    assert "Waiting for your approval" not in text  # Helen is not an approver
    assert "Your requests waiting for approval* (1)" in text and SUMMARY in text
    assert "Invitations expiring within 48 hours* (1)" in text and "Sara Soon" in text
    assert "Luke Later" not in text
    assert "Users pending activation* (1)" in text and "Pat Pending" in text
    assert "asked for approval: Create Administrator Ada Admin" in text
    actions = [b["action_id"] for b in home.blocks if b["type"] == "actions" for b in b["elements"]]
    assert actions == [
        "enroll.invitation.resend",
        "enroll.invitation.extend",
        "enroll.invitation.another_device",
        "enroll.invitation.revoke",
    ]

    home.click("approvals.cancel")
    channels.app.wait_for_outbox()
    text = helen.home().all_text()
    assert "Cancelled your request" in text and "Your requests waiting for approval" not in text
    assert (
        "Cancelled* by the requester" in slack_emulator.channel(APPROVALS_CHANNEL).last_message().all_text()
    )


def test_home_of_an_approver_lists_requests_to_decide_and_approves_from_there(
    channels: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    ask_for_administrator(slack_emulator.person(HELPDESK_USER))
    channels.app.wait_for_outbox()
    # Anna approves but is not in the helpdesk: she sees what waits for her, and no customer lists.
    anna = slack_emulator.person(APPROVER)
    anna.open_home()
    home = anna.wait_for_home()
    text = home.all_text()
    assert "Waiting for your approval* (1)" in text and SUMMARY in text and f"<@{HELPDESK_USER}>" in text
    assert "Users pending activation" not in text and "not in the helpdesk" not in text
    # Harry is both: the request waits for him too, next to the helpdesk sections.
    harry = slack_emulator.person(OTHER_HELPDESK_USER)
    harry.open_home()
    harry_home = harry.wait_for_home().all_text()
    assert "Waiting for your approval* (1)" in harry_home and "Users pending activation" in harry_home

    home.click("approvals.approve")
    channels.app.wait_for_outbox()
    text = anna.home().all_text()
    assert "You approved" in text and "Waiting for your approval* (0)" in text
    assert (
        "Backup user created: Ada Admin" in slack_emulator.channel(HELPDESK_CHANNEL).last_message().all_text()
    )
