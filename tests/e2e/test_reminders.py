"""Reminders in #helpdesk on a controlled clock: invitations about to expire and users pending
activation are posted once per thing and window (also after a restart), expired invitations move
to expired, and the buttons work from the reminder message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.enrollment.invitations import extend_invitation
from bot.enrollment.models import Invitation, InvitationState, Platform
from bot.reminders.service import due_reminders
from bot.scheduler.runner import RunOutcome
from console import Message, SlackEmulator
from tests.support.channels import START, ChannelsApp, add_backup_user, add_invitation, channels_app, run_job
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER

RESEND = "enroll.invitation.resend"
EXTEND = "enroll.invitation.extend"
REVOKE = "enroll.invitation.revoke"
ANOTHER_DEVICE = "enroll.invitation.another_device"
ACTIVATE = "backup.user.activate"


@pytest.fixture
def app(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[ChannelsApp]:
    with channels_app(slack_emulator, database_url, tmp_path) as running:
        yield running


def reminders(emu: SlackEmulator) -> list[Message]:
    return emu.channel(HELPDESK_CHANNEL).messages()


def state_of(app: ChannelsApp, invitation_id: int) -> InvitationState:
    with app.app.deps.db.read() as session:
        state = session.scalar(select(Invitation.state).where(Invitation.id == invitation_id))
        assert state is not None
        return state


def test_expiring_invitations_and_long_pending_users_are_reminded_once_each(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    soon = add_invitation(app, email="sara@acme.example", name="Sara Soon", expires_in=timedelta(hours=30))
    later = add_invitation(app, email="luke@acme.example", name="Luke Later", expires_in=timedelta(hours=100))
    add_invitation(
        app,
        email="queued@acme.example",
        name="Quinn Queued",
        expires_in=timedelta(hours=10),
        state=InvitationState.QUEUED,
    )
    add_backup_user(app, email="pat@globex.example")

    assert run_job(app, "reminders") is RunOutcome.RAN
    [first] = reminders(slack_emulator)
    text = first.all_text()
    assert "1 invitation expires within 48 hours" in text and "Sara Soon" in text
    assert "Luke Later" not in text and "Quinn Queued" not in text and "Pat Pending" not in text
    assert [b.action_id for b in first.buttons()] == [RESEND, EXTEND, ANOTHER_DEVICE, REVOKE]

    app.clock.advance(timedelta(minutes=5))
    run_job(app, "reminders")
    assert len(reminders(slack_emulator)) == 1

    # Three days on: Sara's invitation has expired, Luke's is close, Pat still has not activated.
    app.clock.set(START + timedelta(days=3, minutes=1))
    run_job(app, "reminders")
    assert state_of(app, soon) is InvitationState.EXPIRED
    first_again, second = reminders(slack_emulator)
    assert first_again.ts == first.ts
    text = second.all_text()
    assert "Luke Later" in text and "Pat Pending" in text and "Sara Soon" not in text
    assert "1 user is still pending activation after 3 days" in text

    # The buttons work from the reminder: Resend goes out, Activate sends the activation e-mail.
    helen = slack_emulator.person(HELPDESK_USER)
    helen.click(second, RESEND)
    helen.click(second, ACTIVATE)
    app.app.wait_for_outbox()
    answers = [e.text for e in slack_emulator.ephemerals(user=HELPDESK_USER)]
    assert any("A new iOS invitation is on its way to luke@acme.example" in a for a in answers)
    assert any("Activation e-mail for Pat Pending is on its way" in a for a in answers)
    assert state_of(app, later) is InvitationState.SENT
    run_job(app, "reminders")
    assert len(reminders(slack_emulator)) == 2

    # Extending Luke's invitation opens a new window: reminded again when that one nears its end.
    with app.app.deps.db.transaction() as session:
        extend_invitation(session, invitation_id=later, days=1, actor=HELPDESK_USER, now=app.clock.now())
    run_job(app, "reminders")
    assert len(reminders(slack_emulator)) == 2  # 52 hours left: outside the window
    app.clock.advance(timedelta(hours=5))
    run_job(app, "reminders")
    third = reminders(slack_emulator)[-1]
    assert len(reminders(slack_emulator)) == 3 and "Luke Later" in third.all_text()

    # Extend works from the reminder too: two more days on Luke's invitation.
    with app.app.deps.db.read() as session:
        before = session.scalar(select(Invitation.expires_at).where(Invitation.id == later))
    helen.click(third, EXTEND)
    extend = helen.wait_for_view(callback_id="enroll.invitation.extend_days")
    extend.fill("days", "2")
    assert extend.submit().closed
    app.app.wait_for_outbox()
    with app.app.deps.db.read() as session:
        after = session.scalar(select(Invitation.expires_at).where(Invitation.id == later))
    assert before is not None and after == before + timedelta(days=2)


def test_a_restarted_app_does_not_remind_again(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    with channels_app(slack_emulator, database_url, tmp_path / "first") as first:
        add_invitation(first, email="sara@acme.example", name="Sara Soon", expires_in=timedelta(hours=30))
        run_job(first, "reminders")
    assert len(reminders(slack_emulator)) == 1
    with channels_app(
        slack_emulator, database_url, tmp_path / "second", start=START + timedelta(hours=1)
    ) as second:
        assert run_job(second, "reminders") is RunOutcome.RAN
    assert len(reminders(slack_emulator)) == 1


def test_what_was_reminded_is_left_out_by_the_query_not_only_by_the_unique_key(app: ChannelsApp) -> None:
    """The job reads only what is still due (the reminder scan over a million invitations depends
    on it): after a run nothing is due until a window changes."""
    sara = add_invitation(app, email="sara@acme.example", name="Sara Soon", expires_in=timedelta(hours=100))
    pat = add_backup_user(app, email="pat@globex.example")
    app.clock.set(START + timedelta(hours=73))  # Pat pending for 3 days, Sara's link 27 hours left

    def due() -> list[tuple[str, int]]:
        with app.app.deps.db.read() as session:
            rows = due_reminders(
                session, now=app.clock.now(), expiry_window=timedelta(hours=48), pending_days=3
            )
        return [(str(row["kind"]), int(row["subject_id"])) for row in rows]

    assert due() == [("invitation_expiring", sara), ("activation_pending", pat)]
    assert run_job(app, "reminders") is RunOutcome.RAN
    assert due() == []
    with app.app.deps.db.transaction() as session:
        extend_invitation(session, invitation_id=sara, days=1, actor=HELPDESK_USER, now=app.clock.now())
    assert due() == []  # 51 hours left
    app.clock.advance(timedelta(hours=4))
    assert due() == [("invitation_expiring", sara)]


def test_without_a_helpdesk_channel_invitations_still_expire(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    with channels_app(slack_emulator, database_url, tmp_path, helpdesk_channel=None) as app:
        gone = add_invitation(app, email="sara@acme.example", name="Sara Soon", expires_in=timedelta(hours=1))
        app.clock.advance(timedelta(hours=2))
        run_job(app, "reminders")
        assert state_of(app, gone) is InvitationState.EXPIRED
    assert reminders(slack_emulator) == []


def test_invite_another_device_from_a_reminder_sends_one_more_invitation_once(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    add_invitation(
        app,
        email="sara@acme.example",
        name="Sara Soon",
        expires_in=timedelta(hours=30),
        platform=Platform.ANDROID,
    )
    run_job(app, "reminders")
    [reminder] = reminders(slack_emulator)
    helen = slack_emulator.person(HELPDESK_USER)
    helen.click(reminder, ANOTHER_DEVICE)
    helen.click(reminder, ANOTHER_DEVICE)  # a double click
    app.app.wait_for_outbox()
    with app.app.deps.db.read() as session:
        invitations = session.scalars(
            select(Invitation).where(Invitation.email_key == "sara@acme.example").order_by(Invitation.id)
        ).all()
        assert [(i.platform.value, i.state) for i in invitations] == [
            ("android", InvitationState.SENT),
            ("android", InvitationState.SENT),
        ]
    mails = [m for m in app.app.eml_files() if "invitation-" in m.name]
    assert len(mails) == 1  # the one new invitation (the first was made by the test, not e-mailed)
    answers = [e.text for e in slack_emulator.ephemerals(user=HELPDESK_USER)]
    assert any("Another invitation is on its way to Sara Soon (sara@acme.example)" in a for a in answers)
    assert any("already sent Sara Soon (sara@acme.example) another invitation" in a for a in answers)


def test_a_user_e_mailed_before_is_reminded_with_activate(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    """DESIGN §1: users still pending activation are posted with Activate, also when an activation
    e-mail went before; the line beside the button says when it went."""
    add_backup_user(app, email="pat@globex.example")
    app.clock.set(START + timedelta(days=3, minutes=1))
    run_job(app, "reminders")
    [first] = reminders(slack_emulator)
    assert [b.text for b in first.buttons()] == ["Activate"]
    slack_emulator.person(HELPDESK_USER).click(first, ACTIVATE)
    app.app.wait_for_outbox()

    app.clock.advance(timedelta(days=3, minutes=1))  # pending 3 days after the e-mail: a new window
    run_job(app, "reminders")
    again = reminders(slack_emulator)[-1]
    assert again.ts != first.ts
    assert "activation e-mail sent" in again.all_text()
    [button] = again.buttons()
    assert (button.action_id, button.text) == (ACTIVATE, "Activate")
