"""App Home: the helpdesk person's dashboard."""

from __future__ import annotations

import pytest

from bot.console import SlackEmulator
from tests.e2e.backup_flows import add_user_with_backup
from tests.support.app import RunningApp
from tests.support.slack import APPROVER, HELPDESK_USER


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
