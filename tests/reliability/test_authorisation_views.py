"""The authorisation matrix, part two: every view submission (a modal of a helpdesk person
submitted by someone else, as after being removed from HELPDESK_USERS or as a forger would send
it) and the approval decisions: Approve, Reject (button and modal) and Cancel, on requests Harry
raised — so Harry is the requester-as-approver, Anna the approver, Helen a helpdesk person who
is not an approver, Sam neither."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.accounts.models import BackupUser, ServiceAssignment
from bot.approvals.models import ApprovalRequest, ApprovalState
from bot.enrollment.models import DraftInvitee, InvitationBatch
from console import SlackEmulator
from console.driver import Person
from console.viewhandle import ViewHandle
from tests.e2e.backup_flows import add_user_with_backup, add_user_without_backup, fill_user, open_add_user
from tests.e2e.enroll_flows import add_result, open_invite, search
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.helpers import audit_actions, count_rows, submit_again
from tests.reliability.matrix import (
    ANNA,
    APPROVER_REFUSAL,
    HARRY,
    HELEN,
    HELPDESK_REFUSAL,
    NOT_REQUESTER,
    SAM,
    SELF_APPROVAL,
    Matrix,
)
from tests.support.channels import ChannelsApp, ask_for_administrator
from tests.support.reliability import Figures
from tests.support.slack import APPROVALS_CHANNEL, HELPDESK_CHANNEL

pytestmark = SQLITE_ONLY
REFUSED = (ANNA, SAM)
ALLOWED = (HELEN, HARRY)
Works = Callable[[str, str], object]


@pytest.fixture
def matrix(approvals_app: ChannelsApp, slack_emulator: SlackEmulator, figures: Figures) -> Matrix:
    app = approvals_app.app
    return Matrix(app=app, emulator=slack_emulator, figures=figures, emails=lambda: len(app.eml_files()))


def button_value(view: ViewHandle, action_id: str) -> str:
    return next(
        str(e["value"])
        for b in view.blocks
        for e in (b.get("elements") or [b.get("accessory") or {}])
        if e.get("action_id") == action_id
    )


class Views:
    """Opening each modal as a person, filled in and ready to submit."""

    def __init__(self, emulator: SlackEmulator) -> None:
        self.emu = emulator
        self.serial = 0

    def person(self, user: str) -> Person:
        return self.emu.person(user)

    def next_email(self) -> str:
        self.serial += 1
        return f"new{self.serial}@globex.example"

    def add_user(self, user: str, email: str) -> ViewHandle:
        view = open_add_user(self.person(user), "Globex")
        fill_user(view, "Nina", "New", email)
        view.tick("services", [])
        view.wait_for_update()
        return view

    def backup_settings(self, user: str, email: str) -> ViewHandle:
        view = open_add_user(self.person(user), "Globex")
        fill_user(view, "Nina", "New", email)
        step = view.submit()
        assert step.view is not None
        step.view.choose("notifications", "all")
        return step.view

    def assign(self, user: str, email: str) -> ViewHandle:
        self.person(user).slash("/backup", f"assign {email}", channel=HELPDESK_CHANNEL)
        view = self.person(user).wait_for_view(callback_id="backup.assign_service")
        view.choose("notifications", "all")
        return view

    def settings(self, user: str) -> ViewHandle:
        self.person(user).slash("/backup", "settings alice@globex.example", channel=HELPDESK_CHANNEL)
        view = self.person(user).wait_for_view(callback_id="backup.user_settings")
        view.fill("quota_servers", "3")
        return view

    def invite(self, user: str) -> ViewHandle:
        view = open_invite(self.person(user))
        search(view, "Jo")
        add_result(view, "John Doe")
        view.choose("platform", "ios")
        view.wait_for_update()
        return view

    def edit_email(self, user: str) -> ViewHandle:
        view = open_invite(self.person(user))
        search(view, "Field")
        add_result(view, "Field Engineers")
        view.click("enroll.invite.edit_email", value=button_value(view, "enroll.invite.edit_email"))
        editor = self.person(user).wait_for_view(callback_id="enroll.invite.edit_email")
        editor.fill("email", f"kwame.{user.lower()}@example.com")
        return editor

    def extend(self, user: str) -> ViewHandle:
        self.person(user).slash("/enroll", "status john.doe@example.com", channel=HELPDESK_CHANNEL)
        status = self.emu.wait_until(
            lambda: [e for e in self.emu.ephemerals(user=user) if "Enrollment status" in e.all_text()]
        )[-1]
        first = next(b for b in status.buttons() if b.action_id == "enroll.invitation.extend")
        self.person(user).click(status, "enroll.invitation.extend", value=first.value)
        view = self.person(user).wait_for_view(callback_id="enroll.invitation.extend_days")
        view.fill("days", "3")
        return view


def rows_count(matrix: Matrix, model: type[Any], *where: Any) -> Callable[[], int]:
    return lambda: count_rows(matrix.db, model, *where)


def test_every_view_submission(matrix: Matrix, slack_emulator: SlackEmulator) -> None:
    emu, views = slack_emulator, Views(slack_emulator)
    helen = emu.person(HELEN)
    add_user_with_backup(helen, "Globex", email="alice@globex.example")
    for name in ("bob", "bert", "bill"):
        add_user_without_backup(
            helen, "Globex", first=name.title(), last="Plain", email=f"{name}@globex.example"
        )
    assert views.invite(HELEN).submit().closed  # an invitation to extend
    matrix.app.wait_for_outbox()
    assignees = iter(["bert@globex.example", "bill@globex.example"])
    db = matrix.db

    def grew(count: Callable[[], int]) -> tuple[Callable[[], None], Works]:
        start: list[int] = []
        return (lambda: start.append(count())), (lambda _person, _seen: count() > start[-1])

    users = rows_count(matrix, BackupUser)
    # (what, Helen's modal that the others submit, a modal of the person's own, what grows when it works)
    rows: list[tuple[str, Callable[[], ViewHandle], Callable[[str], ViewHandle], Callable[[], int]]] = [
        (
            "Add New User",
            lambda: views.add_user(HELEN, "nina@globex.example"),
            lambda user: views.add_user(user, views.next_email()),
            users,
        ),
        (
            "Acronis Backup Settings (second step)",
            lambda: views.backup_settings(HELEN, "nina@globex.example"),
            lambda user: views.backup_settings(user, views.next_email()),
            users,
        ),
        (
            "Assign Service",
            lambda: views.assign(HELEN, "bob@globex.example"),
            lambda user: views.assign(user, next(assignees)),
            rows_count(matrix, ServiceAssignment),
        ),
        (
            "Backup User Settings",
            lambda: views.settings(HELEN),
            views.settings,
            lambda: len(audit_actions(db, "service.settings_changed")),
        ),
        (
            "Send Enrollment Invitation",
            lambda: views.invite(HELEN),
            views.invite,
            rows_count(matrix, InvitationBatch),
        ),
        (
            "No email address assigned (edit e-mail)",
            lambda: views.edit_email(HELEN),
            views.edit_email,
            rows_count(matrix, DraftInvitee, DraftInvitee.email.like("kwame.%")),
        ),
        (
            "Extend invitation",
            lambda: views.extend(HELEN),
            views.extend,
            lambda: len(audit_actions(db, "invitation.extended")),
        ),
    ]
    for surface, helens, open_view, count in rows:
        target = helens().view
        matrix.close_modals(HELEN)
        for person in REFUSED:
            matrix.cell(
                surface,
                person,
                lambda person, view=target: submit_again(emu, person, view),
                refusal=HELPDESK_REFUSAL,
            )
        for person in ALLOWED:
            before, works = grew(count)

            def act(
                person: str,
                open_view: Callable[[str], ViewHandle] = open_view,
                before: Callable[[], None] = before,
            ) -> None:
                matrix.close_modals(person)
                view = open_view(person)
                before()
                result = view.submit()
                assert result.errors is None, result.errors

            matrix.cell(surface, person, act, works=works)
    matrix.assert_all_passed()


def test_approve_reject_and_cancel(matrix: Matrix, slack_emulator: SlackEmulator) -> None:
    emu = slack_emulator
    harry = emu.person(HARRY)
    approvals = emu.channel(APPROVALS_CHANNEL)

    def ask(email: str) -> Any:
        ask_for_administrator(harry, email=email)
        matrix.app.wait_for_outbox()
        return approvals.last_message()

    def state(request_ts: str) -> ApprovalState:
        with matrix.db.read() as session:
            found = session.scalar(select(ApprovalRequest.state).order_by(ApprovalRequest.id.desc()).limit(1))
            assert found is not None
            return found

    first = ask("ada1@acme.example")

    def click_approve(person: str) -> object:
        return emu.person(person).click(first, "approvals.approve")

    for person, refusal in ((HELEN, APPROVER_REFUSAL), (SAM, APPROVER_REFUSAL), (HARRY, SELF_APPROVAL)):
        matrix.cell("Approve", person, click_approve, refusal=refusal)
    matrix.cell(
        "Approve",
        ANNA,
        click_approve,
        works=lambda _p, _s: count_rows(matrix.db, BackupUser, BackupUser.email == "ada1@acme.example"),
    )

    second = ask("ada2@acme.example")

    def click_reject(person: str) -> object:
        return emu.person(person).click(second, "approvals.reject")

    for person, refusal in ((HELEN, APPROVER_REFUSAL), (SAM, APPROVER_REFUSAL), (HARRY, SELF_APPROVAL)):
        matrix.cell("Reject (button)", person, click_reject, refusal=refusal)
    matrix.cell(
        "Reject (button)",
        ANNA,
        click_reject,
        works=lambda person, _s: (
            emu.modal_stack(person) and emu.modal_stack(person)[-1]["callback_id"] == "approvals.reject"
        ),
    )

    emu.person(ANNA).click(second, "approvals.reject")
    reject = emu.person(ANNA).wait_for_view(callback_id="approvals.reject")
    reject.fill("reason", "Ask the customer's IT lead first.")
    target = reject.view
    for person, refusal in ((HELEN, APPROVER_REFUSAL), (SAM, APPROVER_REFUSAL), (HARRY, SELF_APPROVAL)):
        matrix.cell(
            "Reject (reason modal)", person, lambda person: submit_again(emu, person, target), refusal=refusal
        )
    matrix.cell(
        "Reject (reason modal)",
        ANNA,
        lambda person: submit_again(emu, person, target),
        works=lambda _p, _s: state(second.ts) is ApprovalState.REJECTED,
    )

    ask("ada3@acme.example")
    dm = emu.dm_channel(HARRY).last_message()

    def click_cancel(person: str) -> object:
        return emu.person(person).click(dm, "approvals.cancel")

    for person in (HELEN, ANNA, SAM):
        matrix.cell("Cancel", person, click_cancel, refusal=NOT_REQUESTER)
    matrix.cell("Cancel", HARRY, click_cancel, works=lambda _p, seen: "Cancelled your request" in seen)
    matrix.assert_all_passed()
    with matrix.db.read() as session:
        decided = dict(
            session.execute(select(ApprovalRequest.state, func.count()).group_by(ApprovalRequest.state)).all()
        )
    assert decided == {ApprovalState.APPROVED: 1, ApprovalState.REJECTED: 1, ApprovalState.CANCELLED: 1}
