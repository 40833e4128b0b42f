"""/backup add end to end: signed Slack requests in, Web API calls out, e-mail read back."""

from __future__ import annotations

from console import SlackEmulator
from tests.support.app import RunningApp
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER


def test_add_user_with_backup_for_a_multi_subscription_customer(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    helen.slash("/backup", "add Acme", channel=HELPDESK_CHANNEL)
    modal = helen.wait_for_view(callback_id="backup.add_user")
    assert modal.title == "Add New User"
    modal.fill("first_name", "John")
    modal.fill("last_name", "Doe")
    modal.fill("email", "john.doe@example.com")
    result = modal.submit()
    assert result.errors is None, result.errors
    settings = result.view
    assert settings is not None and settings.title == "Acronis Backup Settings"
    settings.choose("subscription", settings_option(settings, "Capped Storage"))
    settings.choose("notifications", "all")
    settings.fill("quota_storage_gb", "250")
    done = settings.submit()
    assert done.errors is None, done.errors
    assert done.closed
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    text = card.all_text()
    assert "John Doe" in text and "Capped Storage" in text and "Pending activation" in text
    assert "Storage: 250 GB" in text
    assert [b.action_id for b in card.buttons()] == ["backup.user.activate", "backup.user.assign_service"]
    # John has Backup already: Assign service opens his Backup User Settings.
    helen.click(card, "backup.user.assign_service")
    settings_view = helen.wait_for_view(callback_id="backup.user_settings")
    assert settings_view.title == "Backup User Settings"


def settings_option(view, label: str) -> str:  # type: ignore[no-untyped-def]
    block = view.block("subscription")
    return next(o["value"] for o in block["element"]["options"] if o["text"]["text"] == label)
