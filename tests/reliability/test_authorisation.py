"""The authorisation matrix, part one: every command, every button on a message and an action
inside a modal, tried by a helpdesk person (Helen), an approver who is not helpdesk (Anna),
another workspace member (Sam) and a helpdesk person who is also an approver (Harry).
Only HELPDESK_USERS may use /backup, /enroll and their buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.accounts.forms import NewUser
from bot.accounts.jobs import refresh_cards
from bot.accounts.models import BackupUser, ProvisioningState, Role
from bot.accounts.users import create_user
from bot.clock import ManualClock
from bot.console import SlackEmulator
from bot.console.models import Ephemeral, Message
from bot.customers.service import find_customer
from bot.enrollment.batches import refresh_batch_card
from bot.enrollment.models import BatchState, Invitation, InvitationBatch, InvitationState
from tests.e2e.backup_flows import add_user_with_backup, add_user_without_backup
from tests.e2e.enroll_flows import add_result, open_invite, search
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.matrix import (
    ANNA,
    HARRY,
    HELEN,
    HELPDESK_REFUSAL,
    SAM,
    Matrix,
    ephemeral_click,
    modal_action,
)
from tests.support.channels import ChannelsApp
from tests.support.reliability import Figures
from tests.support.slack import HELPDESK_CHANNEL

pytestmark = SQLITE_ONLY
REFUSED = (ANNA, SAM)
ALLOWED = (HELEN, HARRY)


@pytest.fixture
def matrix(approvals_app: ChannelsApp, slack_emulator: SlackEmulator, figures: Figures) -> Matrix:
    app = approvals_app.app
    return Matrix(app=app, emulator=slack_emulator, figures=figures, emails=lambda: len(app.eml_files()))


def modal_opened(emulator: SlackEmulator, callback_id: str) -> Callable[[str, str], bool]:
    def opened(person: str, _seen: str) -> bool:
        stack = emulator.modal_stack(person)
        return bool(stack) and stack[-1].get("callback_id") == callback_id

    return opened


def says(*texts: str) -> Callable[[str, str], bool]:
    return lambda _person, seen: any(text in seen for text in texts)


def test_every_command(matrix: Matrix, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELEN)
    add_user_with_backup(helen, "Globex", email="alice@globex.example")
    add_user_without_backup(helen, "Globex", first="Bob", last="Plain", email="bob@globex.example")
    matrix.app.wait_for_outbox()
    activation = says("is on its way to alice@globex.example", "sent moments ago")
    rows: list[tuple[str, Callable[[str, str], object]]] = [
        ("/backup add Globex", modal_opened(slack_emulator, "backup.add_user")),
        ("/backup assign bob@globex.example", modal_opened(slack_emulator, "backup.assign_service")),
        ("/backup settings alice@globex.example", modal_opened(slack_emulator, "backup.user_settings")),
        ("/backup activate alice@globex.example", activation),
        ("/backup users Globex", says("Globex Logistics — backup users")),
        ("/backup help", says("/backup add")),
        ("/enroll invite", modal_opened(slack_emulator, "enroll.invite")),
        ("/enroll url", says("access.msp.example")),
        ("/enroll status", says("Enrollment status")),
        ("/enroll help", says("/enroll invite")),
    ]
    for typed, works in rows:
        command, _, text = typed.partition(" ")

        def act(person: str, command: str = command, text: str = text) -> None:
            slack_emulator.person(person).slash(command, text, channel=HELPDESK_CHANNEL)

        for person in REFUSED:
            matrix.cell(typed, person, act, refusal=HELPDESK_REFUSAL)
        for person in ALLOWED:
            matrix.cell(typed, person, act, works=works)
    matrix.assert_all_passed()


def _failed_provisioning(matrix: Matrix, email: str) -> None:
    with matrix.db.transaction() as session:
        session.execute(
            update(BackupUser)
            .where(BackupUser.email == email)
            .values(provisioning=ProvisioningState.FAILED, provisioning_error="the platform said no")
        )
        user_id = session.scalar(select(BackupUser.id).where(BackupUser.email == email))
        assert user_id is not None
        refresh_cards(session, user_id, now=matrix.app.deps.clock.now())
    matrix.app.wait_for_outbox()


def _many_users(matrix: Matrix, count: int) -> None:
    deps = matrix.app.deps
    with deps.db.transaction() as session:
        customer_id = find_customer(session, "Globex").id
        for n in range(count):
            new_user = NewUser(
                customer_id=customer_id,
                first_name="Zed",
                last_name=f"Zulu {n:02d}",
                email=f"zed{n:02d}@globex.example",
                role=Role.USER,
                address=None,
                phone=None,
                notification_email=None,
            )
            create_user(
                session,
                new_user=new_user,
                backup=None,
                actor=HELEN,
                now=deps.clock.now(),
                request_key=f"many-{n}",
                notify_channels=[],
                platform=deps.platform,
            )
    matrix.app.wait_for_outbox()


def _card(emulator: SlackEmulator, name: str) -> Message:
    return emulator.channel(HELPDESK_CHANNEL).wait_for_message(lambda m: name in m.all_text())


def _ephemeral(emulator: SlackEmulator, person: str, text: str) -> Ephemeral:
    found: list[Ephemeral] = emulator.wait_until(
        lambda: [e for e in emulator.ephemerals(user=person) if text in e.all_text()]
    )
    return found[-1]


def _failed_invitation(matrix: Matrix, email: str) -> None:
    with matrix.db.transaction() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.email == email)
            .values(state=InvitationState.FAILED, failure="the SMTP server refused the recipient")
        )
        batch = session.scalars(select(InvitationBatch)).one()
        batch.state = BatchState.DONE
        clock = matrix.app.deps.clock
        assert isinstance(clock, ManualClock)
        clock.advance(timedelta(seconds=5))  # a new moment: the card's final update is not a repeat
        refresh_batch_card(session, batch.id, now=clock.now(), final=True)
    matrix.app.wait_for_outbox()


def test_every_button_and_modal_action(matrix: Matrix, slack_emulator: SlackEmulator) -> None:
    emu = slack_emulator
    helen = emu.person(HELEN)
    add_user_with_backup(helen, "Globex", email="alice@globex.example")
    add_user_without_backup(helen, "Globex", first="Bob", last="Plain", email="bob@globex.example")
    add_user_without_backup(helen, "Globex", first="Fay", last="Failed", email="fay@globex.example")
    _many_users(matrix, 21)
    _failed_provisioning(matrix, "fay@globex.example")
    view = open_invite(helen)
    search(view, "Jo")
    add_result(view, "John Doe")
    add_result(view, "Mary Johnson")
    view.choose("platform", "ios")
    view.wait_for_update()
    assert view.submit().closed
    matrix.app.wait_for_outbox()
    _failed_invitation(matrix, "mary.johnson@example.com")

    def card_click(name: str, action_id: str) -> Callable[[str], object]:
        return lambda person: emu.person(person).click(_card(emu, name), action_id)

    def own_ephemeral_click(command: str, text: str, header: str, action_id: str) -> Callable[[str], None]:
        def act(person: str) -> None:
            shown = len(emu.ephemerals(user=person))
            emu.person(person).slash(command, text, channel=HELPDESK_CHANNEL)
            emu.wait_until(lambda: len(emu.ephemerals(user=person)) > shown)
            emu.person(person).click(_ephemeral(emu, person, header), action_id)

        return act

    def others_ephemeral_click(
        command: str, text: str, header: str, action_id: str
    ) -> Callable[[str], object]:
        helen.slash(command, text, channel=HELPDESK_CHANNEL)
        shown = _ephemeral(emu, HELEN, header)
        return lambda person: ephemeral_click(emu, person, shown, action_id)

    def revoke(person: str) -> None:
        with matrix.db.transaction() as session:  # live again, as after a Resend
            session.execute(
                update(Invitation)
                .where(Invitation.email == "john.doe@example.com")
                .values(state=InvitationState.SENT)
            )
        own_ephemeral_click(
            "/enroll", "status john.doe@example.com", "Enrollment status", "enroll.invitation.revoke"
        )(person)

    def retry_batch(person: str) -> None:
        _failed_invitation(matrix, "mary.johnson@example.com")
        emu.person(person).click(_card(emu, "Enrollment invitations"), "enroll.batch.retry")

    def retry_provisioning(person: str) -> None:
        _failed_provisioning(matrix, "fay@globex.example")
        emu.person(person).click(_card(emu, "Fay Failed"), "backup.user.retry_provisioning")

    rows: list[tuple[str, Callable[[str], object], Callable[[str], object], Callable[[str, str], object]]] = [
        (
            "Activate (user card)",
            card_click("alice@globex.example", "backup.user.activate"),
            card_click("alice@globex.example", "backup.user.activate"),
            says("Activation e-mail for", "sent moments ago"),
        ),
        (
            "Assign service (user card)",
            card_click("Bob Plain", "backup.user.assign_service"),
            card_click("Bob Plain", "backup.user.assign_service"),
            modal_opened(emu, "backup.assign_service"),
        ),
        (
            "Retry (user card, platform failed)",
            card_click("Fay Failed", "backup.user.retry_provisioning"),
            retry_provisioning,
            says("Trying again to finish Fay Failed"),
        ),
        (
            "Next (users list)",
            others_ephemeral_click("/backup", "users Globex", "backup users", "backup.users.page.next"),
            own_ephemeral_click("/backup", "users Globex", "backup users", "backup.users.page.next"),
            says("Showing 21 to"),
        ),
        (
            "Resend (invitation)",
            others_ephemeral_click(
                "/enroll", "status john.doe@example.com", "Enrollment status", "enroll.invitation.resend"
            ),
            own_ephemeral_click(
                "/enroll", "status john.doe@example.com", "Enrollment status", "enroll.invitation.resend"
            ),
            says("invitation is on its way to john.doe@example.com"),
        ),
        (
            "Extend (invitation)",
            others_ephemeral_click(
                "/enroll", "status john.doe@example.com", "Enrollment status", "enroll.invitation.extend"
            ),
            own_ephemeral_click(
                "/enroll", "status john.doe@example.com", "Enrollment status", "enroll.invitation.extend"
            ),
            modal_opened(emu, "enroll.invitation.extend_days"),
        ),
        (
            "Revoke (invitation)",
            others_ephemeral_click(
                "/enroll", "status john.doe@example.com", "Enrollment status", "enroll.invitation.revoke"
            ),
            revoke,
            says("Revoked the iOS invitation of john.doe@example.com"),
        ),
        (
            "Retry (batch card)",
            card_click("Enrollment invitations", "enroll.batch.retry"),
            retry_batch,
            says("Trying again to send the invitations"),
        ),
    ]
    for surface, refused_act, allowed_act, works in rows:
        for person in REFUSED:
            matrix.cell(surface, person, refused_act, refusal=HELPDESK_REFUSAL)
        for person in ALLOWED:
            matrix.cell(surface, person, allowed_act, works=works)

    # Inside the invitation modal: the search (someone else's modal, as a forger would send it).
    helens = open_invite(helen)
    for person in REFUSED:
        matrix.cell(
            "Search (invitation modal)",
            person,
            lambda person: modal_action(emu, person, helens, "enroll.invite.search", "search"),
            refusal=HELPDESK_REFUSAL,
        )

    def own_search(person: str) -> None:
        matrix.close_modals(person)
        search(open_invite(emu.person(person)), "Jo")

    def found(person: str, _seen: str) -> bool:
        stack = emu.modal_stack(person)
        return bool(stack) and "John Doe" in str(stack[-1]["blocks"])

    for person in ALLOWED:
        matrix.cell("Search (invitation modal)", person, own_search, works=found)
    matrix.assert_all_passed()
