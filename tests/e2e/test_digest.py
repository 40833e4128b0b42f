"""The daily digest on a controlled clock: 08:30 in Amsterdam on both sides of the daylight-saving
changes, once a day, what happened per customer and what needs a human, and a quiet day in one line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.accounts.models import BackupUser, ProvisioningState, UserStatus
from bot.approvals.service import request_approval
from bot.enrollment.models import BatchState, Invitation, InvitationBatch, InvitationState
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.scheduler.runner import RunOutcome
from console import Message, SlackEmulator
from tests.support.channels import (
    DIGEST_CHANNEL,
    START,
    ChannelsApp,
    add_backup_user,
    add_invitation,
    channels_app,
    run_job,
)
from tests.support.slack import HELPDESK_USER


@pytest.fixture
def app(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[ChannelsApp]:
    with channels_app(slack_emulator, database_url, tmp_path) as running:
        yield running


def digests(emu: SlackEmulator) -> list[Message]:
    return emu.channel(DIGEST_CHANNEL).messages()


def at(app: ChannelsApp, moment: datetime) -> RunOutcome:
    app.clock.set(moment)
    return run_job(app, "digest")


def test_the_digest_goes_out_at_0830_amsterdam_time_across_both_changes_once_a_day(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    # Saturday 28 March 2026, still winter time (UTC+1): 08:30 is 07:30 UTC.
    assert at(app, datetime(2026, 3, 28, 7, 29, tzinfo=UTC)) is RunOutcome.NOT_DUE
    assert digests(slack_emulator) == []
    assert at(app, datetime(2026, 3, 28, 7, 30, tzinfo=UTC)) is RunOutcome.RAN
    assert at(app, datetime(2026, 3, 28, 7, 45, tzinfo=UTC)) is RunOutcome.ALREADY_DONE
    assert len(digests(slack_emulator)) == 1
    assert "Saturday 28 March 2026" in digests(slack_emulator)[0].all_text()
    # Sunday 29 March: the clocks went forward at 02:00; 08:30 is now 06:30 UTC.
    assert at(app, datetime(2026, 3, 29, 6, 29, tzinfo=UTC)) is RunOutcome.NOT_DUE
    assert at(app, datetime(2026, 3, 29, 6, 30, tzinfo=UTC)) is RunOutcome.RAN
    assert len(digests(slack_emulator)) == 2
    # Sunday 25 October: the clocks went back at 03:00; 08:30 is 07:30 UTC again.
    assert at(app, datetime(2026, 10, 24, 6, 30, tzinfo=UTC)) is RunOutcome.RAN  # Saturday, summer time
    assert at(app, datetime(2026, 10, 25, 6, 30, tzinfo=UTC)) is RunOutcome.NOT_DUE
    assert at(app, datetime(2026, 10, 25, 7, 30, tzinfo=UTC)) is RunOutcome.RAN
    days = [m.all_text() for m in digests(slack_emulator)]
    assert len(days) == 4
    assert "Saturday 24 October 2026" in days[2] and "Sunday 25 October 2026" in days[3]


def test_the_digest_shows_each_customer_and_what_needs_a_human(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    deps = app.app.deps
    # Friday 27 March, after that morning's digest: what Saturday's digest covers.
    add_backup_user(app, email="pat@globex.example")
    add_backup_user(app, email="kim@globex.example", first="Kim", last="Active")
    failing = add_backup_user(
        app, email="fay@acme.example", first="Fay", last="Failing", customer="Acme Corporation"
    )
    add_invitation(app, email="sara@acme.example", name="Sara Soon", expires_in=timedelta(hours=30))
    add_invitation(app, email="olga@acme.example", name="Olga Opened", expires_in=timedelta(days=7))
    app.app.wait_for_outbox()  # the accounts are set up on the platform; then Fay's fails
    with deps.db.transaction() as session:
        session.execute(
            update(BackupUser)
            .where(BackupUser.email == "kim@globex.example")
            .values(status=UserStatus.ACTIVE, activated_at=START + timedelta(hours=2))
        )
        session.execute(
            update(BackupUser)
            .where(BackupUser.id == failing)
            .values(
                provisioning=ProvisioningState.FAILED, provisioning_error="the platform refused the login"
            )
        )
        session.execute(
            update(Invitation)
            .where(Invitation.email == "olga@acme.example")
            .values(state=InvitationState.OPENED, opened_at=START + timedelta(hours=3))
        )
        session.execute(
            update(InvitationBatch)
            .where(InvitationBatch.id == 1)
            .values(
                state=BatchState.WAITING, problem="the SMTP server refused the login for helpdesk@msp.example"
            )
        )
        session.add(
            OutboxMessage(
                kind="accounts.user_card",
                payload={},
                status=OutboxStatus.FAILED,
                attempts=8,
                max_attempts=8,
                next_attempt_at=START,
                created_at=START,
                last_error="Slack refused posting the message (not_in_channel)",
            )
        )
        request_approval(
            session,
            settings=deps.settings,
            kind="administrator",
            payload={},
            requester=HELPDESK_USER,
            summary="Create Administrator Ada Admin (ada@acme.example) for Acme Corporation",
            now=START,
        )
    app.app.wait_for_outbox()

    at(app, datetime(2026, 3, 28, 7, 30, tzinfo=UTC))
    [digest] = digests(slack_emulator)
    text = digest.all_text()
    assert "*Globex Logistics*: 2 added · 1 activated · 1 pending activation" in text
    assert "*Acme Corporation*: 1 added · 0 activated · 1 pending activation" in text
    assert "Initech Dental" not in text
    assert "2 sent · 1 opened · 0 accepted · 1 expiring within 48 hours · 0 expired · 0 failed" in text
    assert "*Licences used:* 0 licensed users" in text
    assert "*Waiting for approval* (1)" in text and "Create Administrator Ada Admin" in text
    assert (
        "1 failed delivery of accounts.user_card: Slack refused posting the message (not_in_channel)" in text
    )
    assert (
        "Fay Failing (fay@acme.example) is not finished on the backup platform: the platform refused" in text
    )
    assert "is waiting for mail: the SMTP server refused the login for helpdesk@msp.example" in text

    # Sunday's digest covers Saturday 08:30 to Sunday 08:30: nothing new was added.
    at(app, datetime(2026, 3, 29, 6, 30, tzinfo=UTC))
    sunday = digests(slack_emulator)[-1].all_text()
    assert "*Globex Logistics*: 0 added · 0 activated · 1 pending activation" in sunday
    assert "1 expired" in sunday  # Sara's invitation ran out on Saturday afternoon


def test_a_quiet_day_says_so_in_one_line(app: ChannelsApp, slack_emulator: SlackEmulator) -> None:
    at(app, datetime(2026, 3, 28, 7, 30, tzinfo=UTC))
    [digest] = digests(slack_emulator)
    assert len(digest.blocks) == 1
    assert "Daily digest for Saturday 28 March 2026: a quiet day" in digest.all_text()
