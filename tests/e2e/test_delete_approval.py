"""Deleting a backup user follows the approval policy (APPROVAL_DELETIONS), as an Administrator does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.accounts.models import BackupUser, UserStatus
from console import SlackEmulator
from tests.e2e.backup_flows import add_user_without_backup
from tests.support.channels import ChannelsApp, channels_app
from tests.support.slack import APPROVALS_CHANNEL, APPROVER, HELPDESK_CHANNEL, HELPDESK_USER


@pytest.fixture
def app(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[ChannelsApp]:
    with channels_app(slack_emulator, database_url, tmp_path) as running:
        yield running


def status(app: ChannelsApp) -> UserStatus:
    with app.app.deps.db.read() as session:
        return session.scalars(select(BackupUser.status)).one()


def test_a_deletion_waits_for_an_approver_and_happens_once_approved(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_without_backup(helen, "Acme")
    app.app.wait_for_outbox()
    helen.slash("/backup", "delete john.doe@example.com", channel=HELPDESK_CHANNEL)
    modal = helen.wait_for_view(callback_id="backup.delete_user")
    assert "needs an approver's OK" in modal.all_text()
    modal.fill("confirm_email", "john.doe@example.com")
    result = modal.submit()
    assert result.view is not None and "Sent for approval" in result.view.all_text()
    app.app.wait_for_outbox()
    assert status(app) is UserStatus.PENDING_ACTIVATION  # nothing deleted yet
    request = slack_emulator.channel(APPROVALS_CHANNEL).last_message()
    assert "Delete John Doe (john.doe@example.com) at Acme Corporation" in request.all_text()
    slack_emulator.person(APPROVER).click(request, "approvals.approve")
    app.app.wait_for_outbox()
    assert status(app) is UserStatus.DELETED
