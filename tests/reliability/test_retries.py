"""Every interaction that changes something, delivered again as Slack retries it (the same body
with X-Slack-Retry-Num 1 and 2), and every view submitted a second time as a double click on
Submit sends it (the same view, a new trigger_id): it acts once — one user, one e-mail, one
batch, one decision, one card."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.accounts.jobs import refresh_cards
from bot.accounts.models import BackupUser, ProvisioningState, ServiceAssignment
from bot.approvals.models import ApprovalRequest
from bot.enrollment import invite_search
from bot.enrollment.models import DraftInvitee, Invitation, InvitationBatch, InviteDraft, PlatformChoice
from bot.outbox.models import OutboxMessage
from console import SlackEmulator
from console.models import Ephemeral
from console.transport import Delivery, SentRequest
from console.viewhandle import ViewHandle
from tests.e2e.backup_flows import add_user_without_backup, fill_user
from tests.e2e.enroll_flows import add_result, open_invite, result_names, search, wait_for_notice
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.helpers import audit_actions, count_rows, submit_again
from tests.support.app import RunningApp, run_app
from tests.support.channels import ChannelsApp, ask_for_administrator
from tests.support.reliability import Figures
from tests.support.slack import APPROVALS_CHANNEL, APPROVER, HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk
from tests.support.smtp_sink import MakeSmtpSink, SmtpSink


class Retries:
    """Slack's retries of a request: the same body again, twice, marked as retries."""

    def __init__(self, emulator: SlackEmulator, figures: Figures) -> None:
        self.emulator, self.figures = emulator, figures

    def of(self, request: SentRequest) -> None:
        for number in (1, 2):
            answer = self.emulator.send_raw(request, retry_num=number, retry_reason="http_timeout")
            assert answer.status == 200, answer.text
            self.figures.add("Slack retries sent")

    def double_submit(self, user: str, view: dict[str, object]) -> Delivery:
        answer = submit_again(self.emulator, user, view)
        assert answer.status == 200, answer.text
        self.figures.add("second submissions of a view")
        return answer


@pytest.fixture
def retries(slack_emulator: SlackEmulator, figures: Figures) -> Retries:
    return Retries(slack_emulator, figures)


def views_opened(emulator: SlackEmulator) -> int:
    return len([call for call in emulator.calls("views.open") if call.ok])


def cards(emulator: SlackEmulator, text: str) -> int:
    return len([m for m in emulator.channel(HELPDESK_CHANNEL).messages() if text in m.all_text()])


def ephemeral_with(emulator: SlackEmulator, text: str) -> Ephemeral:
    found: list[Ephemeral] = emulator.wait_until(
        lambda: [e for e in emulator.ephemerals(user=HELPDESK_USER) if text in e.all_text()]
    )
    return found[-1]


@pytest.mark.backup_provider("local")
def test_backup_commands_buttons_and_submissions_act_once(
    deskops: RunningApp, slack_emulator: SlackEmulator, retries: Retries, figures: Figures
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    db = deskops.deps.db
    # /backup add: one modal, whatever Slack repeats.
    opened = views_opened(slack_emulator)
    retries.of(helen.slash("/backup", "add Globex", channel=HELPDESK_CHANNEL).request)
    view = helen.wait_for_view(callback_id="backup.add_user")
    assert views_opened(slack_emulator) == opened + 1
    fill_user(view, "John", "Doe", "john.doe@example.com")
    step = view.submit()
    assert step.view is not None and step.delivery is not None
    retries.of(step.delivery.request)
    settings = step.view
    settings.choose("notifications", "errors")
    final_view = settings.view
    done = settings.submit()
    assert done.closed and done.delivery is not None
    retries.of(done.delivery.request)
    assert "clear" in retries.double_submit(HELPDESK_USER, final_view).text
    deskops.wait_for_outbox()
    assert count_rows(db, BackupUser) == 1
    assert audit_actions(db, "user.created") == ["user.created"]
    assert cards(slack_emulator, "Backup user created: John Doe") == 1

    # Activate on the card: one e-mail.
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    retries.of(helen.click(card, "backup.user.activate").request)
    deskops.wait_for_outbox()
    assert deskops.activation_emails_sent() == 1

    # A user without Backup: /backup activate, /backup assign, then /backup settings.
    add_user_without_backup(helen, "Globex", first="Mary", last="Major", email="mary@example.com")
    deskops.wait_for_outbox()
    retries.of(helen.slash("/backup", "activate mary@example.com", channel=HELPDESK_CHANNEL).request)
    deskops.wait_for_outbox()
    assert deskops.activation_emails_sent() == 2
    opened = views_opened(slack_emulator)
    mary_card = slack_emulator.channel(HELPDESK_CHANNEL).wait_for_message(
        lambda m: "Mary Major" in m.all_text()
    )
    retries.of(helen.click(mary_card, "backup.user.assign_service").request)  # the card's button
    helen.wait_for_view(callback_id="backup.assign_service").close()
    retries.of(helen.slash("/backup", "assign mary@example.com", channel=HELPDESK_CHANNEL).request)
    assign = helen.wait_for_view(callback_id="backup.assign_service")
    assert views_opened(slack_emulator) == opened + 2
    assign.choose("notifications", "all")
    assign_view = assign.view
    assigned = assign.submit()
    assert assigned.closed and assigned.delivery is not None
    retries.of(assigned.delivery.request)
    again = retries.double_submit(HELPDESK_USER, assign_view)
    assert "already has the Backup service" in again.text  # answered in the (closed) modal only
    deskops.wait_for_outbox()
    assert count_rows(db, ServiceAssignment) == 2
    assert audit_actions(db, "service.assigned") == ["service.assigned"]
    assert cards(slack_emulator, "Backup service assigned") == 1

    retries.of(helen.slash("/backup", "settings mary@example.com", channel=HELPDESK_CHANNEL).request)
    change = helen.wait_for_view(callback_id="backup.user_settings")
    assert views_opened(slack_emulator) == opened + 3  # the card's button, /backup assign, /backup settings
    change.fill("quota_storage_gb", "250")
    change_view = change.view
    changed = change.submit()
    assert changed.closed and changed.delivery is not None
    retries.of(changed.delivery.request)
    retries.double_submit(HELPDESK_USER, change_view)
    deskops.wait_for_outbox()
    assert audit_actions(db, "service.settings_changed") == ["service.settings_changed"]
    assert cards(slack_emulator, "Backup settings changed") == 1

    # Retry on a card whose platform set-up failed.
    with db.transaction() as session:
        mary = session.scalars(select(BackupUser).where(BackupUser.email == "mary@example.com")).one()
        mary.provisioning, mary.provisioning_error = ProvisioningState.FAILED, "the platform said no"
        refresh_cards(session, mary.id, now=deskops.deps.clock.now())
    failed = slack_emulator.channel(HELPDESK_CHANNEL).wait_for_message(
        lambda m: "Mary Major" in m.all_text() and "Not finished on the backup platform" in m.all_text()
    )
    retries.of(helen.click(failed, "backup.user.retry_provisioning").request)
    deskops.wait_for_outbox()
    assert audit_actions(db, "user.provisioning_retried") == ["user.provisioning_retried"]
    figures.add("state-changing interactions retried", 10)


@pytest.fixture
def enroll_app(
    slack_emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    make_smtp_sink: MakeSmtpSink,
    figures: Figures,
) -> Iterator[tuple[RunningApp, SmtpSink]]:
    """Mail over SMTP to a sink that refuses one recipient, so a batch ends with a failure to Retry."""
    sink = make_smtp_sink(refuse_recipients=["mary.johnson@example.com"])
    seed_helpdesk(slack_emulator)
    figures.watch(slack_emulator)
    with run_app(slack_emulator, database_url, tmp_path, smtp_url=sink.url) as app:
        yield app, sink


@SQLITE_ONLY
def test_enroll_invite_send_resend_extend_revoke_and_retry_act_once(
    enroll_app: tuple[RunningApp, SmtpSink], slack_emulator: SlackEmulator, retries: Retries, figures: Figures
) -> None:
    app, sink = enroll_app
    db = app.deps.db
    helen = slack_emulator.person(HELPDESK_USER)
    opened = views_opened(slack_emulator)
    retries.of(helen.slash("/enroll", "invite", channel=HELPDESK_CHANNEL).request)
    view = helen.wait_for_view(callback_id="enroll.invite")
    assert views_opened(slack_emulator) == opened + 1 and count_rows(db, InviteDraft) == 1
    search(view, "Jo")
    add_click = view.click("enroll.invite.add_user", value=_value(view, "John Doe"))
    view.wait_for_update()
    retries.of(add_click.request)
    add_result(view, "Mary Johnson")
    view.choose("platform", "ios")
    view.wait_for_update()
    sent_view = view.view
    sent = view.submit()
    assert sent.closed and sent.delivery is not None
    retries.of(sent.delivery.request)
    retries.double_submit(HELPDESK_USER, sent_view)
    app.wait_for_outbox()
    assert count_rows(db, InvitationBatch) == 1 and count_rows(db, Invitation) == 2
    assert count_rows(db, InviteDraft) == 0 and len(sink.messages) == 1  # Mary's address is refused
    card = slack_emulator.channel(HELPDESK_CHANNEL).wait_for_message(lambda m: "1 failed" in m.all_text())
    sink.refuse_recipients.clear()  # the address is fixed; Retry sends Mary's invitation

    retries.of(helen.click(card, "enroll.batch.retry").request)
    app.wait_for_outbox()
    assert audit_actions(db, "invitations.batch_retried") == ["invitations.batch_retried"]
    assert [m["To"] for m in sink.messages].count("mary.johnson@example.com") == 1

    helen.slash("/enroll", "status john.doe@example.com", channel=HELPDESK_CHANNEL)
    status = ephemeral_with(slack_emulator, "Enrollment status")
    retries.of(helen.click(status, "enroll.invitation.resend").request)
    app.wait_for_outbox()
    assert [m["To"] for m in sink.messages].count("john.doe@example.com") == 2  # the first and the resent
    assert audit_actions(db, "invitation.resent") == ["invitation.resent"]

    before = _expiry(app, "john.doe@example.com")
    opened = views_opened(slack_emulator)
    retries.of(helen.click(status, "enroll.invitation.extend").request)
    extend = helen.wait_for_view(callback_id="enroll.invitation.extend_days")
    assert views_opened(slack_emulator) == opened + 1
    extend.fill("days", "5")
    extend_view = extend.view
    extended = extend.submit()
    assert extended.closed and extended.delivery is not None
    retries.of(extended.delivery.request)
    retries.double_submit(HELPDESK_USER, extend_view)
    assert _expiry(app, "john.doe@example.com") - before == timedelta(days=5)
    assert audit_actions(db, "invitation.extended") == ["invitation.extended"]

    retries.of(helen.click(status, "enroll.invitation.revoke").request)
    app.wait_for_outbox()
    assert audit_actions(db, "invitation.revoked") == ["invitation.revoked"]
    figures.add("state-changing interactions retried", 8)


def _value(view: ViewHandle, name: str, action_id: str = "enroll.invite.add_user") -> str:
    """The value of the `action_id` button in the row of `name` (a result or an invitee)."""
    for block in view.blocks:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == action_id and f"*{name}*" in block["text"]["text"]:
            return str(accessory["value"])
    raise AssertionError(f"{name} has no {action_id} button")


@dataclass(frozen=True)
class DraftRows:
    """The draft as stored: its platform, notice and last change, and every invitee row (a row
    removed and added again comes back with a new id)."""

    platform: PlatformChoice
    notice: str | None
    updated_at: datetime
    invitees: tuple[tuple[int, str, str | None], ...]

    def names(self) -> list[str]:
        return [name for _, name, _ in self.invitees]


def _draft(app: RunningApp) -> DraftRows:
    with app.deps.db.read() as session:
        draft_id = session.scalars(select(InviteDraft.id)).one()
    invite_search.settled(draft_id)  # a search's results are kept just after the modal shows them
    with app.deps.db.read() as session:
        draft = session.scalars(select(InviteDraft)).one()
        invitees = session.execute(
            select(DraftInvitee.id, DraftInvitee.display_name, DraftInvitee.email)
            .where(DraftInvitee.draft_id == draft.id)
            .order_by(DraftInvitee.id)
        ).all()
        rows = tuple((int(id_), str(name), email) for id_, name, email in invitees)
        return DraftRows(draft.platform, draft.notice, draft.updated_at, rows)


@SQLITE_ONLY
def test_invitation_modal_changes_retried_by_slack_act_once(
    enroll_app: tuple[RunningApp, SmtpSink], slack_emulator: SlackEmulator, retries: Retries, figures: Figures
) -> None:
    """Add (a group), Remove, Remove all, Platform and the edit-e-mail modal's submission, each
    retried by Slack after Helen has gone on working: a retry that acted again would undo or
    redo her change (a removed member back, a new addition gone, the platform switched back, a
    notice overwritten) or refresh the modal. The draft holds the same rows as after one."""
    app, _ = enroll_app
    emu = slack_emulator
    helen = emu.person(HELPDESK_USER)
    view = open_invite(helen)

    def seen() -> tuple[object, ...]:
        app.wait_for_outbox()
        updates = len([c for c in emu.calls("views.update") if c.ok])
        told = len(emu.ephemerals(user=HELPDESK_USER)) + len(emu.dm_channel(HELPDESK_USER).messages())
        return _draft(app), updates, told, view.hash, count_rows(app.deps.db, OutboxMessage)

    def retried(request: SentRequest) -> None:
        after_one = seen()
        retries.of(request)
        assert seen() == after_one, "a retry acted again"

    search(view, "Sales")
    added = view.click("enroll.invite.add_group", value=_value(view, "Sales", "enroll.invite.add_group"))
    wait_for_notice(view, "Added 4 members of Sales")
    view.click("enroll.invite.remove", value=_value(view, "Zoë Lefèvre", "enroll.invite.remove"))
    wait_for_notice(view, "Removed Zoë Lefèvre")
    retried(added.request)
    assert "Zoë Lefèvre" not in _draft(app).names()

    removed = view.click("enroll.invite.remove", value=_value(view, "Mary Johnson", "enroll.invite.remove"))
    wait_for_notice(view, "Removed Mary Johnson")
    search(view, "Mary")
    add_result(view, "Mary Johnson")  # added again: a new row Slack's retries must leave alone
    retried(removed.request)

    everyone = view.click("enroll.invite.remove_all", value="all")
    wait_for_notice(view, "Everyone was removed from the list.")
    search(view, "Jo")
    add_result(view, "John Doe")
    retried(everyone.request)
    assert _draft(app).names() == ["John Doe"]

    ios = view.choose("platform", "ios")
    assert ios is not None
    view.wait_for_update()
    view.choose("platform", "android")
    view.wait_for_update()
    retried(ios.request)
    assert _draft(app).platform is PlatformChoice.ANDROID

    search(view, "Field")
    add_result(view, "Field Engineers")
    view.click("enroll.invite.edit_email", value=_value_of_edit_email(view, "Kwame Mensah"))
    editor = helen.wait_for_view(callback_id="enroll.invite.edit_email")
    editor.fill("email", "kwame.mensah@example.com")
    saved = editor.submit()
    assert saved.errors is None and saved.delivery is not None
    wait_for_notice(view, "E-mail address saved.")
    search(view, "Jo")  # the notice goes: a second save would bring it back
    retried(saved.delivery.request)
    emails = {name: email for _, name, email in _draft(app).invitees}
    assert emails["Kwame Mensah"] == "kwame.mensah@example.com"

    # Search claims its request in the write that records the results: a retry acting again
    # would bring back the older results and update the modal once more.
    searched = view.click("enroll.invite.search")
    view.wait_for_update()
    search(view, "Sales")
    retried(searched.request)
    assert result_names(view) == ["Sales"]
    figures.add("state-changing interactions retried", 6)


def _value_of_edit_email(view: ViewHandle, name: str) -> str:
    """The edit-e-mail button sits in an actions block right after the person's row."""
    for row, below in zip(view.blocks, view.blocks[1:], strict=False):
        if f"*{name}*" in str((row.get("text") or {}).get("text")) and below["type"] == "actions":
            for element in below["elements"]:
                if element["action_id"] == "enroll.invite.edit_email":
                    return str(element["value"])
    raise AssertionError(f"{name} has no edit-e-mail button")


def _expiry(app: RunningApp, email: str) -> datetime:
    with app.deps.db.read() as session:
        expiry = session.scalar(select(Invitation.expires_at).where(Invitation.email == email))
        assert expiry is not None
        return expiry


@SQLITE_ONLY
def test_approve_reject_and_cancel_decide_once(
    approvals_app: ChannelsApp, slack_emulator: SlackEmulator, retries: Retries, figures: Figures
) -> None:
    app = approvals_app.app
    db = app.deps.db
    helen, anna = slack_emulator.person(HELPDESK_USER), slack_emulator.person(APPROVER)
    approvals = slack_emulator.channel(APPROVALS_CHANNEL)

    def ask(email: str) -> None:
        asked = ask_for_administrator(helen, email=email)
        assert asked.delivery is not None
        retries.of(asked.delivery.request)
        app.wait_for_outbox()

    def decided(action: str) -> Callable[[], list[str]]:
        return lambda: audit_actions(db, action)

    ask("ada@acme.example")
    assert count_rows(db, ApprovalRequest) == 1
    retries.of(anna.click(approvals.last_message(), "approvals.approve").request)
    app.wait_for_outbox()
    assert count_rows(db, BackupUser) == 1 and decided("approval.approved")() == ["approval.approved"]
    assert len([r for r in slack_emulator.ephemerals(user=APPROVER) if "You approved" in r.text]) == 1

    ask("ada.second@acme.example")
    opened = views_opened(slack_emulator)
    retries.of(anna.click(approvals.last_message(), "approvals.reject").request)
    reject = anna.wait_for_view(callback_id="approvals.reject")
    assert views_opened(slack_emulator) == opened + 1
    reject.fill("reason", "Not without the customer's written request.")
    reject_view = reject.view
    rejected = reject.submit()
    assert rejected.closed and rejected.delivery is not None
    retries.of(rejected.delivery.request)
    assert "already rejected" in retries.double_submit(APPROVER, reject_view).text
    app.wait_for_outbox()
    assert decided("approval.rejected")() == ["approval.rejected"] and count_rows(db, BackupUser) == 1

    ask("ada.third@acme.example")
    dm = slack_emulator.dm_channel(HELPDESK_USER).last_message()
    retries.of(helen.click(dm, "approvals.cancel").request)
    app.wait_for_outbox()
    assert decided("approval.cancelled")() == ["approval.cancelled"]
    assert (
        len([e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "Cancelled your request" in e.text])
        == 1
    )
    assert count_rows(db, ApprovalRequest) == 3 and count_rows(db, BackupUser) == 1
    figures.add("state-changing interactions retried", 7)
