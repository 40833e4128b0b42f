"""The authorisation matrix, part one: every command, every button on a message and an action
inside a modal, tried by a helpdesk person (Helen), an approver who is not helpdesk (Anna),
another workspace member (Sam) and a helpdesk person who is also an approver (Harry).
Only HELPDESK_USERS may use /backup, /enroll and their buttons."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.accounts.forms import NewUser
from bot.accounts.jobs import refresh_cards
from bot.accounts.models import BackupUser, ProvisioningState, Role
from bot.accounts.users import create_user
from bot.clock import ManualClock
from bot.customers.service import find_customer
from bot.enrollment import drafts
from bot.enrollment.batches import refresh_batch_card
from bot.enrollment.models import (
    BatchState,
    DraftInvitee,
    Invitation,
    InvitationBatch,
    InvitationState,
    InviteDraft,
    PlatformChoice,
)
from bot.integrations.directory.port import DirectoryUser
from console import SlackEmulator
from console.models import JSON, Ephemeral, Message
from console.viewhandle import ViewHandle
from tests.e2e.backup_flows import add_user_with_backup, add_user_without_backup, fill_user, open_add_user
from tests.e2e.enroll_flows import add_result, open_invite, remove_invitee, search, wait_for_notice
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.matrix import (
    ANNA,
    HARRY,
    HELEN,
    HELPDESK_REFUSAL,
    SAM,
    Matrix,
    ephemeral_click,
    forged_view_action,
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
                actor=HELEN,
                now=deps.clock.now(),
                request_key=f"many-{n}",
                notify_channels=[],
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
        # The batch sent from the modal (Invite another device makes batches of one).
        batch = session.scalars(select(InvitationBatch).order_by(InvitationBatch.id).limit(1)).one()
        batch.state = BatchState.DONE
        clock = matrix.app.deps.clock
        assert isinstance(clock, ManualClock)
        clock.advance(timedelta(seconds=5))  # a new moment: the card's final update is not a repeat
        refresh_batch_card(session, batch.id, now=clock.now(), final=True)
    matrix.app.wait_for_outbox()


def _card_click(emu: SlackEmulator, name: str, action_id: str) -> Callable[[str], object]:
    """The button on the card in #helpdesk that names `name`."""
    return lambda person: emu.person(person).click(_card(emu, name), action_id)


def _own_ephemeral_click(
    emu: SlackEmulator, command: str, header: str, action_id: str
) -> Callable[[str], None]:
    """The person types the command and clicks the button on the answer only they see."""
    name, _, text = command.partition(" ")

    def act(person: str) -> None:
        shown = len(emu.ephemerals(user=person))
        emu.person(person).slash(name, text, channel=HELPDESK_CHANNEL)
        emu.wait_until(lambda: len(emu.ephemerals(user=person)) > shown)
        emu.person(person).click(_ephemeral(emu, person, header), action_id)

    return act


def _others_ephemeral_click(
    emu: SlackEmulator, command: str, header: str, action_id: str
) -> Callable[[str], object]:
    """The button on the answer Helen got to the command, clicked by someone else (a forger)."""
    name, _, text = command.partition(" ")
    emu.person(HELEN).slash(name, text, channel=HELPDESK_CHANNEL)
    shown = _ephemeral(emu, HELEN, header)
    return lambda person: ephemeral_click(emu, person, shown, action_id)


Row = tuple[str, Callable[[str], object], Callable[[str], object], Callable[[str, str], object]]


def _try_every_row(matrix: Matrix, rows: list[Row]) -> None:
    for surface, refused_act, allowed_act, works in rows:
        for person in REFUSED:
            matrix.cell(surface, person, refused_act, refusal=HELPDESK_REFUSAL)
        for person in ALLOWED:
            matrix.cell(surface, person, allowed_act, works=works)
    matrix.assert_all_passed()


def test_every_button_on_backup_user_cards_and_lists(matrix: Matrix, slack_emulator: SlackEmulator) -> None:
    emu = slack_emulator
    helen = emu.person(HELEN)
    add_user_with_backup(helen, "Globex", email="alice@globex.example")
    add_user_without_backup(helen, "Globex", first="Bob", last="Plain", email="bob@globex.example")
    add_user_without_backup(helen, "Globex", first="Fay", last="Failed", email="fay@globex.example")
    _many_users(matrix, 21)
    _failed_provisioning(matrix, "fay@globex.example")

    def retry_provisioning(person: str) -> None:
        _failed_provisioning(matrix, "fay@globex.example")
        emu.person(person).click(_card(emu, "Fay Failed"), "backup.user.retry_provisioning")

    users = "users Globex"
    rows: list[Row] = [
        (
            "Activate (user card)",
            _card_click(emu, "alice@globex.example", "backup.user.activate"),
            _card_click(emu, "alice@globex.example", "backup.user.activate"),
            says("Activation e-mail for", "sent moments ago"),
        ),
        (
            "Assign service (user card)",
            _card_click(emu, "Bob Plain", "backup.user.assign_service"),
            _card_click(emu, "Bob Plain", "backup.user.assign_service"),
            modal_opened(emu, "backup.assign_service"),
        ),
        (
            "Retry (user card, platform failed)",
            _card_click(emu, "Fay Failed", "backup.user.retry_provisioning"),
            retry_provisioning,
            says("Trying again to finish Fay Failed"),
        ),
        (
            "Next (users list)",
            _others_ephemeral_click(emu, f"/backup {users}", "backup users", "backup.users.page.next"),
            _own_ephemeral_click(emu, f"/backup {users}", "backup users", "backup.users.page.next"),
            says("Showing 21 to"),
        ),
    ]
    _try_every_row(matrix, rows)


def test_every_button_on_invitations_and_batch_cards(matrix: Matrix, slack_emulator: SlackEmulator) -> None:
    emu = slack_emulator
    view = open_invite(emu.person(HELEN))
    search(view, "Jo")
    add_result(view, "John Doe")
    add_result(view, "Mary Johnson")
    view.choose("platform", "ios")
    view.wait_for_update()
    assert view.submit().closed
    matrix.app.wait_for_outbox()
    _failed_invitation(matrix, "mary.johnson@example.com")
    status = "/enroll status john.doe@example.com"

    def revoke(person: str) -> None:
        with matrix.db.transaction() as session:  # live again, as after a Resend
            session.execute(
                update(Invitation)
                .where(Invitation.email == "john.doe@example.com")
                .values(state=InvitationState.SENT)
            )
        _own_ephemeral_click(emu, status, "Enrollment status", "enroll.invitation.revoke")(person)

    def retry_batch(person: str) -> None:
        _failed_invitation(matrix, "mary.johnson@example.com")
        emu.person(person).click(_card(emu, "Enrollment invitations"), "enroll.batch.retry")

    def on_status(action_id: str) -> tuple[Callable[[str], object], Callable[[str], object]]:
        return (
            _others_ephemeral_click(emu, status, "Enrollment status", action_id),
            _own_ephemeral_click(emu, status, "Enrollment status", action_id),
        )

    rows: list[Row] = [
        (
            "Resend (invitation)",
            *on_status("enroll.invitation.resend"),
            says("invitation is on its way to john.doe@example.com"),
        ),
        (
            "Extend (invitation)",
            *on_status("enroll.invitation.extend"),
            modal_opened(emu, "enroll.invitation.extend_days"),
        ),
        (
            "Revoke (invitation)",
            _others_ephemeral_click(emu, status, "Enrollment status", "enroll.invitation.revoke"),
            revoke,
            says("Revoked the iOS invitation of john.doe@example.com"),
        ),
        (
            "Invite another device (invitation)",
            *on_status("enroll.invitation.another_device"),
            says("Another invitation is on its way to John Doe (john.doe@example.com)"),
        ),
        (
            "Retry (batch card)",
            _card_click(emu, "Enrollment invitations", "enroll.batch.retry"),
            retry_batch,
            says("Trying again to send the invitations"),
        ),
    ]
    _try_every_row(matrix, rows)


# --- inside the modals: every action of Send Enrollment Invitation and of Add New User ---------
# Anna and Sam send them on a copy of Helen's modal, as a forger would: the exact refusal, and
# Helen's modal, her draft and every row stay as they were. Helen and Harry use them in their own
# modal: they work.


def _draft_id(view: ViewHandle) -> str:
    return str(json.loads(view.private_metadata.partition(".")[2])["draft_id"])  # after its seal


def _drafts(matrix: Matrix) -> tuple[object, ...]:
    """Every draft as stored (platform, devices per person, notice, last search, last change) and
    every invitee."""
    with matrix.db.read() as session:
        drafts = session.execute(
            select(
                InviteDraft.id,
                InviteDraft.platform,
                InviteDraft.devices_per_person,
                InviteDraft.notice,
                InviteDraft.search,
                InviteDraft.updated_at,
            ).order_by(InviteDraft.id)
        ).all()
        invitees = session.execute(
            select(DraftInvitee.id, DraftInvitee.draft_id, DraftInvitee.email).order_by(DraftInvitee.id)
        ).all()
        return tuple(tuple(row) for row in drafts), tuple(tuple(row) for row in invitees)


def _invitees(matrix: Matrix, view: ViewHandle) -> list[str]:
    with matrix.db.read() as session:
        return list(
            session.scalars(
                select(DraftInvitee.display_name)
                .where(DraftInvitee.draft_id == _draft_id(view))
                .order_by(DraftInvitee.id)
            )
        )


def _seed_invitees(matrix: Matrix, view: ViewHandle, count: int) -> None:
    """People added to the person's draft directly (the sample directory has 14): enough for pages."""
    people = [
        DirectoryUser(
            id=f"seed{n:02d}",
            account_name=f"seed{n:02d}",
            display_name=f"Seed Person {n:02d}",
            first_name="Seed",
            last_name=f"Person {n:02d}",
            email=f"seed{n:02d}@example.com",
        )
        for n in range(count)
    ]
    with matrix.db.transaction() as session:
        draft = drafts.owned_draft(session, _draft_id(view), view.user_id)
        drafts.add_invitees(session, draft, people, source=None, now=matrix.app.deps.clock.now())


def _button_value(view: JSON, action_id: str, name: str | None = None) -> str:
    """The value of the `action_id` button (in the row of `name`, when given: its own button, or
    for someone without an e-mail address, the buttons under the row)."""
    blocks: list[JSON] = view["blocks"]
    for index, block in enumerate(blocks):
        if name is not None and f"*{name}*" not in str((block.get("text") or {}).get("text")):
            continue
        candidates = [block.get("accessory") or {}, *(block.get("elements") or [])]
        if name is not None and index + 1 < len(blocks):
            candidates += blocks[index + 1].get("elements") or []
        for element in candidates:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button" + (f" for {name}" if name else ""))


def _forged(
    emu: SlackEmulator,
    view: ViewHandle,
    action_id: str,
    *,
    row: Callable[[str], str | None] | None = None,
    **what: Any,
) -> Callable[[str], object]:
    """The action on a copy of `view` as it is at that moment, as a forger would send it; with
    `row`, a button whose value is read from that copy (in the row of the name `row(person)`
    returns, or the only one)."""

    def act(person: str) -> object:
        current = copy.deepcopy(view.view)
        value = None if row is None else _button_value(current, action_id, row(person))
        return forged_view_action(emu, person, current, action_id, **({"value": value} | what))

    return act


def _views_updated(emu: SlackEmulator) -> int:
    return len([c for c in emu.calls("views.update") if c.ok])


@pytest.fixture
def helens_invitation(matrix: Matrix, slack_emulator: SlackEmulator) -> ViewHandle:
    """Helen's Send Enrollment Invitation modal: 25 people (Kwame Mensah has no e-mail address:
    the edit button), and results for "Sales" (a group)."""
    helens = open_invite(slack_emulator.person(HELEN))
    search(helens, "Field")
    add_result(helens, "Field Engineers")
    _seed_invitees(matrix, helens, 20)
    search(helens, "Sales")
    matrix.app.wait_for_outbox()
    return helens


def test_others_cannot_act_in_helens_invitation_modal(
    matrix: Matrix, slack_emulator: SlackEmulator, helens_invitation: ViewHandle
) -> None:
    """Every block action of the invitation modal (commands/enroll/invite.py), sent by Anna and
    Sam on a copy of Helen's modal: the exact refusal, and Helen's modal, her draft and every row
    stay as they were."""
    emu, helens = slack_emulator, helens_invitation

    def untouched() -> tuple[object, ...]:
        return helens.hash, _drafts(matrix), _views_updated(emu)

    def refused(surface: str, act: Callable[[str], object]) -> None:
        for person in REFUSED:
            matrix.cell(
                f"{surface} (invitation modal)", person, act, refusal=HELPDESK_REFUSAL, keeps=untouched
            )

    refused("Add (a group)", _forged(emu, helens, "enroll.invite.add_group", row=lambda _person: "Sales"))
    search(helens, "Jo")
    matrix.app.wait_for_outbox()
    others = {ANNA: "Bjørn Halvorsen", SAM: "Łukasz Wróbel"}  # each tries to remove someone else
    invite_rows: list[tuple[str, Callable[[str], object]]] = [
        ("Search (button)", _forged(emu, helens, "enroll.invite.search")),
        ("Search (Enter in the search box)", _forged(emu, helens, "enroll.invite.search_text", typed="Mary")),
        ("Add (a person)", _forged(emu, helens, "enroll.invite.add_user", row=lambda _person: "John Doe")),
        ("Remove", _forged(emu, helens, "enroll.invite.remove", row=others.__getitem__)),
        ("Remove all", _forged(emu, helens, "enroll.invite.remove_all", value="all")),
        ("Next (page)", _forged(emu, helens, "enroll.invite.page.next", row=lambda _person: None)),
        ("Platform", _forged(emu, helens, "enroll.invite.platform", chosen="android")),
        ("Devices per person", _forged(emu, helens, "enroll.invite.devices", typed="4")),
        (
            "No email address assigned (edit e-mail)",
            _forged(emu, helens, "enroll.invite.edit_email", row=lambda _person: "Kwame Mensah"),
        ),
    ]
    for surface, act in invite_rows:
        refused(surface, act)
    helens.click("enroll.invite.page.next", value=_button_value(helens.view, "enroll.invite.page.next"))
    helens.wait_for_update()
    matrix.app.wait_for_outbox()
    refused("Previous (page)", _forged(emu, helens, "enroll.invite.page.previous", row=lambda _person: None))
    matrix.assert_all_passed()


def test_others_cannot_act_in_helens_add_user_modal(matrix: Matrix, slack_emulator: SlackEmulator) -> None:
    """Every block action of the Add New User modal (commands/backup/add_user.py), sent by Anna
    and Sam on a copy of Helen's filled-in modal: the exact refusal, and her modal unchanged."""
    emu = slack_emulator
    helens_add = open_add_user(emu.person(HELEN), "Globex")
    fill_user(helens_add, "Nina", "New", "nina@globex.example")

    def untouched() -> tuple[object, ...]:
        return helens_add.hash, helens_add.has_block("address"), _views_updated(emu)

    add_user_rows: list[tuple[str, Callable[[str], object]]] = [
        ("Role", _forged(emu, helens_add, "backup.add_user.role", chosen="administrator")),
        (
            "Use different emails (checkbox)",
            _forged(emu, helens_add, "backup.add_user.separate_notification_email", chosen=["separate"]),
        ),
        ("Assign services", _forged(emu, helens_add, "backup.add_user.services", chosen=[])),
    ]
    for surface, act in add_user_rows:
        for person in REFUSED:
            matrix.cell(f"{surface} (Add New User)", person, act, refusal=HELPDESK_REFUSAL, keeps=untouched)
    matrix.assert_all_passed()


@dataclass
class OwnModals:
    """Helen's and Harry's own modals, opened afresh for each cell, and what they show."""

    matrix: Matrix
    emu: SlackEmulator
    views: dict[str, ViewHandle] = field(default_factory=dict)

    def invitation(self, prepare: Callable[[ViewHandle], object]) -> Callable[[str], None]:
        def act(person: str) -> None:
            self.matrix.close_modals(person)
            self.views[person] = view = open_invite(self.emu.person(person))
            prepare(view)

        return act

    def add_user(self, change: Callable[[ViewHandle], object]) -> Callable[[str], None]:
        def act(person: str) -> None:
            self.matrix.close_modals(person)
            self.views[person] = view = open_add_user(self.emu.person(person), "Globex")
            change(view)
            view.wait_for_update()

        return act

    def shows(self, *texts: str) -> Callable[[str, str], bool]:
        return lambda person, _seen: all(text in self.views[person].all_text() for text in texts)

    def listed(self, *names: str) -> Callable[[str, str], bool]:
        return lambda person, _seen: _invitees(self.matrix, self.views[person]) == list(names)

    def platform_is(self, choice: PlatformChoice) -> Callable[[str, str], bool]:
        def chosen(person: str, _seen: str) -> bool:
            with self.matrix.db.read() as session:
                draft = session.get(InviteDraft, _draft_id(self.views[person]))
                return draft is not None and draft.platform is choice

        return chosen

    def has(self, *blocks: str) -> Callable[[str, str], bool]:
        return lambda person, _seen: all(self.views[person].has_block(block) for block in blocks)

    def submits_as(self, label: str) -> Callable[[str, str], bool]:
        return lambda person, _seen: self.views[person].view["submit"]["text"] == label


def _add_person(view: ViewHandle) -> None:
    search(view, "Jo")
    add_result(view, "John Doe")


def _add_group(view: ViewHandle) -> None:
    search(view, "Sales")
    add_result(view, "Sales")


def _remove(view: ViewHandle) -> None:
    _add_person(view)
    add_result(view, "Mary Johnson")
    remove_invitee(view, "John Doe")


def _remove_all(view: ViewHandle) -> None:
    _add_group(view)
    view.click("enroll.invite.remove_all", value="all")
    wait_for_notice(view, "Everyone was removed")


def _choose_android(view: ViewHandle) -> None:
    view.choose("platform", "android")
    view.wait_for_update()


def _four_devices(view: ViewHandle) -> None:
    _add_person(view)
    view.fill("devices", "4")
    view.wait_for_update()


def _edit_email(view: ViewHandle) -> None:
    search(view, "Field")
    add_result(view, "Field Engineers")
    view.click(
        "enroll.invite.edit_email",
        value=_button_value(view.view, "enroll.invite.edit_email", "Kwame Mensah"),
    )


def _turn_page(view: ViewHandle, action_id: str) -> None:
    view.click(action_id, value=_button_value(view.view, action_id))
    view.wait_for_update()


def test_helpdesk_people_act_in_their_own_invitation_modal(
    matrix: Matrix, slack_emulator: SlackEmulator
) -> None:
    own = OwnModals(matrix, slack_emulator)

    def next_page(view: ViewHandle) -> None:
        _seed_invitees(matrix, view, 25)
        search(view, "Jo")  # shows the list as it is now: 25 people, Next
        _turn_page(view, "enroll.invite.page.next")

    def previous_page(view: ViewHandle) -> None:
        next_page(view)
        _turn_page(view, "enroll.invite.page.previous")

    rows: list[tuple[str, Callable[[str], object], Callable[[str, str], object]]] = [
        (
            "Search (button)",
            # types (Enter searches too), picks Contains, clicks Search
            own.invitation(lambda view: search(view, "ohn", contains=True)),
            own.shows("Results* for “ohn” (contains)", "John Doe"),
        ),
        (
            "Search (Enter in the search box)",
            own.invitation(lambda view: search(view, "Mary")),
            own.shows("Results* for “Mary”", "Mary Johnson"),
        ),
        ("Add (a person)", own.invitation(_add_person), own.listed("John Doe")),
        (
            "Add (a group)",
            own.invitation(_add_group),
            own.listed("Mary Johnson", "Zoë Lefèvre", "François Dubois", "Ana Sofía Pérez"),
        ),
        ("Remove", own.invitation(_remove), own.listed("Mary Johnson")),
        ("Remove all", own.invitation(_remove_all), own.listed()),
        ("Next (page)", own.invitation(next_page), own.shows("Showing 21 to 25 of 25")),
        ("Previous (page)", own.invitation(previous_page), own.shows("Showing 1 to 20 of 25")),
        ("Platform", own.invitation(_choose_android), own.platform_is(PlatformChoice.ANDROID)),
        (
            "Devices per person",
            own.invitation(_four_devices),
            own.shows("1 person, 4 devices each = 4 invitations"),
        ),
        (
            "No email address assigned (edit e-mail)",
            own.invitation(_edit_email),
            modal_opened(slack_emulator, "enroll.invite.edit_email"),
        ),
    ]
    for surface, act, works in rows:
        for person in ALLOWED:
            matrix.cell(f"{surface} (invitation modal)", person, act, works=works)
    matrix.assert_all_passed()


def test_helpdesk_people_act_in_their_own_add_user_modal(
    matrix: Matrix, slack_emulator: SlackEmulator
) -> None:
    own = OwnModals(matrix, slack_emulator)
    rows: list[tuple[str, Callable[[str], object], Callable[[str, str], object]]] = [
        (
            "Role",
            own.add_user(lambda view: view.choose("role", "administrator")),
            own.has("address", "phone"),
        ),
        (
            "Use different emails (checkbox)",
            own.add_user(lambda view: view.tick("separate_notification_email", ["separate"])),
            own.has("notification_email"),
        ),
        ("Assign services", own.add_user(lambda view: view.tick("services", [])), own.submits_as("Create")),
    ]
    for surface, act, works in rows:
        for person in ALLOWED:
            matrix.cell(f"{surface} (Add New User)", person, act, works=works)
    matrix.assert_all_passed()
