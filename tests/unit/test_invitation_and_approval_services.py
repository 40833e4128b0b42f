"""Services behind the buttons on invitations (Resend, Extend, Revoke, Retry) and on approval
requests (Approve, Reject, Cancel), and the App Home read: each owns its unit of work; a repeat
acts once; a refusal says why and changes nothing. SQLite of the test's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bot.approvals.decisions import Decide, approve_request, cancel_request, reject_request, rejection_form
from bot.approvals.executors import Executors
from bot.approvals.fields import Field as ApprovalField
from bot.approvals.models import ApprovalRequest, ApprovalState
from bot.approvals.service import request_approval
from bot.config import load_settings
from bot.customers.scope import EVERY_CUSTOMER
from bot.db import Database
from bot.enrollment import drafts
from bot.enrollment import invitation_actions as actions
from bot.enrollment.another_device import invite_another_device
from bot.enrollment.batches import send_batch
from bot.enrollment.fields import Field
from bot.enrollment.invitation_actions import Extend, InvitationAction
from bot.enrollment.jobs import EnrollJob
from bot.enrollment.models import Invitation, InvitationState, PlatformChoice
from bot.errors import FieldErrors, InvalidState, NotAllowed
from bot.integrations.directory.port import DirectoryUser
from bot.slack.home import HomeSettings, Viewer, read_home
from bot.tokens import LinkTokens
from tests.support.accounts import audit_actions, outbox_kinds

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HELEN, ANNA = "U0HELEN01", "U0ANNA001"
TOKENS = LinkTokens(b"k" * 32)


def an_invitation(db: Database) -> int:
    john = DirectoryUser("uid=jdoe", "jdoe", "John Doe", None, None, "john.doe@example.com")
    with db.transaction() as session:
        draft = drafts.start_draft(session, owner=HELEN, channel_id=None, now=NOW)
        drafts.add_invitees(session, draft, [john], source=None, now=NOW)
        batch = send_batch(
            session, draft=draft, days=7, platform=PlatformChoice.IOS, actor=HELEN, now=NOW, tokens=TOKENS
        )
        return session.query(Invitation.id).filter(Invitation.batch_id == batch.id).scalar()


def expiry(db: Database, invitation_id: int) -> datetime:
    with db.read() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        return invitation.expires_at


def test_the_same_extend_submission_twice_extends_once(unit_db: Database) -> None:
    invitation_id = an_invitation(unit_db)
    command = Extend(invitation_id, HELEN, "3", change_key="V0EXTEND:hash1")
    first = actions.extend(unit_db, command, now=NOW)
    again = actions.extend(unit_db, command, now=NOW)
    assert first.expires_at == NOW + timedelta(days=10) and again.expires_at == first.expires_at
    assert expiry(unit_db, invitation_id) == NOW + timedelta(days=10)
    assert audit_actions(unit_db).count("invitation.extended") == 1


def test_extend_names_the_days_field_and_changes_nothing(unit_db: Database) -> None:
    invitation_id = an_invitation(unit_db)
    with pytest.raises(FieldErrors) as refused:
        actions.extend(unit_db, Extend(invitation_id, HELEN, "a week", None), now=NOW)
    assert list(refused.value.errors) == [Field.DAYS]
    assert expiry(unit_db, invitation_id) == NOW + timedelta(days=7)


def test_a_revoked_invitation_cannot_be_extended_but_can_be_sent_again(unit_db: Database) -> None:
    invitation_id = an_invitation(unit_db)
    revoked = actions.revoke(unit_db, InvitationAction(invitation_id, HELEN), now=NOW)
    assert revoked.state is InvitationState.REVOKED
    with pytest.raises(InvalidState, match="revoked"):
        actions.extend(unit_db, Extend(invitation_id, HELEN, "3", None), now=NOW)
    resent = actions.resend(unit_db, InvitationAction(invitation_id, HELEN), now=NOW, tokens=TOKENS)
    assert resent.state is InvitationState.QUEUED and resent.email == "john.doe@example.com"
    assert outbox_kinds(unit_db).count(EnrollJob.INVITATION_EMAIL) == 2


def test_the_extend_form_names_the_person_and_platform(unit_db: Database) -> None:
    form = actions.extension_form(unit_db, an_invitation(unit_db))
    assert (form.who, form.days) == ("John Doe (iOS)", 7)


def test_invite_another_device_clicked_twice_sends_one_more_invitation(unit_db: Database) -> None:
    invitation_id = an_invitation(unit_db)
    first = invite_another_device(
        unit_db, invitation_id=invitation_id, request_key="button-1", actor=HELEN, now=NOW, tokens=TOKENS
    )
    again = invite_another_device(
        unit_db, invitation_id=invitation_id, request_key="button-1", actor=HELEN, now=NOW, tokens=TOKENS
    )
    assert first.created and not again.created and again.email == "john.doe@example.com"
    assert outbox_kinds(unit_db).count(EnrollJob.INVITATION_EMAIL) == 2  # the batch's and one more
    other = invite_another_device(
        unit_db, invitation_id=invitation_id, request_key="button-2", actor=HELEN, now=NOW, tokens=TOKENS
    )
    assert other.created and outbox_kinds(unit_db).count(EnrollJob.INVITATION_EMAIL) == 3


# --- approvals --------------------------------------------------------------------------------


class CountingExecutor:
    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, session: Session, request: ApprovalRequest, *, now: datetime) -> str | None:
        self.runs += 1
        return "Done it."


def held(db: Database) -> tuple[int, Executors, CountingExecutor]:
    settings = load_settings(_env_file=None, approvals_channel="C0APPR01", approvers=ANNA)
    executor = CountingExecutor()
    executors = Executors()
    executors.register("test.action", executor)
    with db.transaction() as session:
        request = request_approval(
            session,
            settings=settings,
            kind="test.action",
            payload={},
            requester=HELEN,
            summary="Do it",
            now=NOW,
        )
        return request.id, executors, executor


def test_an_approval_clicked_twice_runs_the_action_once(unit_db: Database) -> None:
    request_id, executors, executor = held(unit_db)
    decided = approve_request(unit_db, Decide(request_id, ANNA), executors=executors, now=NOW)
    assert (decided.summary, decided.state, decided.outcome) == ("Do it", ApprovalState.APPROVED, "Done it.")
    with pytest.raises(InvalidState, match="already approved"):
        approve_request(unit_db, Decide(request_id, ANNA), executors=executors, now=NOW)
    assert executor.runs == 1


def test_the_requester_may_neither_approve_nor_reject_their_own_request(unit_db: Database) -> None:
    request_id, executors, executor = held(unit_db)
    with pytest.raises(NotAllowed, match="another approver"):
        approve_request(unit_db, Decide(request_id, HELEN), executors=executors, now=NOW)
    with pytest.raises(NotAllowed, match="another approver"):
        rejection_form(unit_db, Decide(request_id, HELEN), approvals_channel="C0APPR01", now=NOW)
    assert executor.runs == 0


def test_a_rejection_needs_a_reason_and_then_ends_the_request(unit_db: Database) -> None:
    request_id, executors, executor = held(unit_db)
    shown = rejection_form(unit_db, Decide(request_id, ANNA), approvals_channel="C0APPR01", now=NOW)
    assert shown.summary == "Do it" and shown.state is ApprovalState.PENDING
    with pytest.raises(FieldErrors) as refused:
        reject_request(unit_db, Decide(request_id, ANNA), reason="  ", executors=executors, now=NOW)
    assert list(refused.value.errors) == [ApprovalField.REASON]
    rejected = reject_request(
        unit_db, Decide(request_id, ANNA), reason="Not now", executors=executors, now=NOW
    )
    assert rejected.state is ApprovalState.REJECTED and executor.runs == 0


def test_only_the_requester_cancels(unit_db: Database) -> None:
    request_id, executors, _ = held(unit_db)
    with pytest.raises(NotAllowed, match="Only the person who asked"):
        cancel_request(unit_db, Decide(request_id, ANNA), executors=executors, now=NOW)
    assert cancel_request(unit_db, Decide(request_id, HELEN), executors=executors, now=NOW).state is (
        ApprovalState.CANCELLED
    )


def test_home_shows_an_approver_what_to_decide_and_a_stranger_nothing_of_the_helpdesk(
    unit_db: Database,
) -> None:
    held(unit_db)
    invitation_id = an_invitation(unit_db)
    with unit_db.transaction() as session:  # its e-mail went out
        sent = session.get(Invitation, invitation_id)
        assert sent is not None
        sent.state, sent.sent_at = InvitationState.SENT, NOW
    settings = HomeSettings(approvals_channel="C0APPR01", expiry_window_hours=24 * 8)
    approver = Viewer(ANNA, helpdesk=True, approvals_on=True, approver=True, scope=EVERY_CUSTOMER)
    home = read_home(unit_db, approver, settings=settings, now=NOW, notice="Hello")
    assert [r.summary for r in home.to_decide] == ["Do it"] and home.allowed and home.notice == "Hello"
    assert [i.email for i in home.expiring] == ["john.doe@example.com"]
    stranger = Viewer("U0STRANGE", helpdesk=False, approvals_on=True, approver=False, scope=EVERY_CUSTOMER)
    outside = read_home(unit_db, stranger, settings=settings, now=NOW)
    assert not outside.allowed and outside.to_decide == [] and list(outside.expiring) == []
