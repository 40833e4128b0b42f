"""The authorisation matrix, part one: every command, every button on a message and an action
inside a modal, tried by a helpdesk person (Helen), an approver who is not helpdesk (Anna),
another workspace member (Sam) and a helpdesk person who is also an approver (Harry).
Only HELPDESK_USERS may use /backup, /enroll and their buttons."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
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
            "Invite another device (invitation)",
            others_ephemeral_click(
                "/enroll",
                "status john.doe@example.com",
                "Enrollment status",
                "enroll.invitation.another_device",
            ),
            own_ephemeral_click(
                "/enroll",
                "status john.doe@example.com",
                "Enrollment status",
                "enroll.invitation.another_device",
            ),
            says("Another invitation is on its way to John Doe (john.doe@example.com)"),
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

    matrix.assert_all_passed()


# --- inside the modals: every action of Send Enrollment Invitation and of Add New User ---------


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


def test_every_action_inside_the_invitation_and_add_user_modals(
    matrix: Matrix, slack_emulator: SlackEmulator
) -> None:
    """Every block action registered for the Send Enrollment Invitation modal (commands/enroll/
    invite.py) and the Add New User modal (commands/backup/add_user.py). Anna and Sam send them
    on a copy of Helen's modal, as a forger would: the exact refusal, and Helen's modal, her draft
    and every row stay as they were. Helen and Harry use them in their own modal: they work."""
    emu = slack_emulator
    helen = emu.person(HELEN)

    # Helen's invitation modal: 25 people (Kwame Mensah has no e-mail address: the edit button),
    # results with a group, then with people, then the second page. The others send what they
    # would by copying her modal as it is at that moment.
    helens = open_invite(helen)
    search(helens, "Field")
    add_result(helens, "Field Engineers")
    _seed_invitees(matrix, helens, 20)
    search(helens, "Sales")
    matrix.app.wait_for_outbox()

    def untouched() -> tuple[object, ...]:
        updates = len([c for c in emu.calls("views.update") if c.ok])
        return helens.hash, _drafts(matrix), updates

    def forged(
        view: ViewHandle, action_id: str, *, row: Callable[[str], str | None] | None = None, **what: Any
    ) -> Callable[[str], object]:
        """The action on a copy of `view` as it is at that moment; with `row`, a button whose value
        is read from that copy (in the row of the name `row(person)` returns, or the only one)."""

        def act(person: str) -> object:
            current = copy.deepcopy(view.view)
            value = None if row is None else _button_value(current, action_id, row(person))
            return forged_view_action(emu, person, current, action_id, **({"value": value} | what))

        return act

    def refused(surface: str, act: Callable[[str], object]) -> None:
        for person in REFUSED:
            matrix.cell(
                f"{surface} (invitation modal)", person, act, refusal=HELPDESK_REFUSAL, keeps=untouched
            )

    refused("Add (a group)", forged(helens, "enroll.invite.add_group", row=lambda _person: "Sales"))
    search(helens, "Jo")
    matrix.app.wait_for_outbox()
    others = {ANNA: "Bjørn Halvorsen", SAM: "Łukasz Wróbel"}  # each tries to remove someone else
    invite_rows: list[tuple[str, Callable[[str], object]]] = [
        ("Search (button)", forged(helens, "enroll.invite.search")),
        ("Search (Enter in the search box)", forged(helens, "enroll.invite.search_text", typed="Mary")),
        ("Add (a person)", forged(helens, "enroll.invite.add_user", row=lambda _person: "John Doe")),
        ("Remove", forged(helens, "enroll.invite.remove", row=others.__getitem__)),
        ("Remove all", forged(helens, "enroll.invite.remove_all", value="all")),
        ("Next (page)", forged(helens, "enroll.invite.page.next", row=lambda _person: None)),
        ("Platform", forged(helens, "enroll.invite.platform", chosen="android")),
        ("Devices per person", forged(helens, "enroll.invite.devices", typed="4")),
        (
            "No email address assigned (edit e-mail)",
            forged(helens, "enroll.invite.edit_email", row=lambda _person: "Kwame Mensah"),
        ),
    ]
    for surface, act in invite_rows:
        refused(surface, act)
    helens.click("enroll.invite.page.next", value=_button_value(helens.view, "enroll.invite.page.next"))
    helens.wait_for_update()
    matrix.app.wait_for_outbox()
    refused("Previous (page)", forged(helens, "enroll.invite.page.previous", row=lambda _person: None))
    matrix.close_modals(HELEN)

    # Helen's Add New User modal, filled in.
    helens_add = open_add_user(helen, "Globex")
    fill_user(helens_add, "Nina", "New", "nina@globex.example")

    def add_user_untouched() -> tuple[object, ...]:
        updates = len([c for c in emu.calls("views.update") if c.ok])
        return helens_add.hash, helens_add.has_block("address"), updates

    add_user_rows: list[tuple[str, Callable[[str], object]]] = [
        ("Role", forged(helens_add, "backup.add_user.role", chosen="administrator")),
        (
            "Use different emails (checkbox)",
            forged(helens_add, "backup.add_user.separate_notification_email", chosen=["separate"]),
        ),
        ("Assign services", forged(helens_add, "backup.add_user.services", chosen=[])),
    ]
    for surface, act in add_user_rows:
        for person in REFUSED:
            matrix.cell(
                f"{surface} (Add New User)", person, act, refusal=HELPDESK_REFUSAL, keeps=add_user_untouched
            )
    matrix.close_modals(HELEN)

    # Helen and Harry, each in a modal of their own.
    own: dict[str, ViewHandle] = {}

    def invite(prepare: Callable[[ViewHandle], object]) -> Callable[[str], None]:
        def act(person: str) -> None:
            matrix.close_modals(person)
            own[person] = view = open_invite(emu.person(person))
            prepare(view)

        return act

    def shows(*texts: str) -> Callable[[str, str], bool]:
        return lambda person, _seen: all(text in own[person].all_text() for text in texts)

    def listed(*names: str) -> Callable[[str, str], bool]:
        return lambda person, _seen: _invitees(matrix, own[person]) == list(names)

    def search_button(view: ViewHandle) -> None:
        search(view, "ohn", contains=True)  # types (Enter searches too), picks Contains, clicks Search

    def add_person(view: ViewHandle) -> None:
        search(view, "Jo")
        add_result(view, "John Doe")

    def add_group(view: ViewHandle) -> None:
        search(view, "Sales")
        add_result(view, "Sales")

    def remove(view: ViewHandle) -> None:
        add_person(view)
        add_result(view, "Mary Johnson")
        remove_invitee(view, "John Doe")

    def remove_all(view: ViewHandle) -> None:
        add_group(view)
        view.click("enroll.invite.remove_all", value="all")
        wait_for_notice(view, "Everyone was removed")

    def next_page(view: ViewHandle) -> None:
        _seed_invitees(matrix, view, 25)
        search(view, "Jo")  # shows the list as it is now: 25 people, Next
        view.click("enroll.invite.page.next", value=_button_value(view.view, "enroll.invite.page.next"))
        view.wait_for_update()

    def previous_page(view: ViewHandle) -> None:
        next_page(view)
        view.click(
            "enroll.invite.page.previous", value=_button_value(view.view, "enroll.invite.page.previous")
        )
        view.wait_for_update()

    def platform(view: ViewHandle) -> None:
        view.choose("platform", "android")
        view.wait_for_update()

    def devices(view: ViewHandle) -> None:
        add_person(view)
        view.fill("devices", "4")
        view.wait_for_update()

    def edit_email(view: ViewHandle) -> None:
        search(view, "Field")
        add_result(view, "Field Engineers")
        view.click(
            "enroll.invite.edit_email",
            value=_button_value(view.view, "enroll.invite.edit_email", "Kwame Mensah"),
        )

    def platform_is(choice: PlatformChoice) -> Callable[[str, str], bool]:
        def chosen(person: str, _seen: str) -> bool:
            with matrix.db.read() as session:
                draft = session.get(InviteDraft, _draft_id(own[person]))
                return draft is not None and draft.platform is choice

        return chosen

    allowed_invite: list[tuple[str, Callable[[str], object], Callable[[str, str], object]]] = [
        ("Search (button)", invite(search_button), shows("Results* for “ohn” (contains)", "John Doe")),
        (
            "Search (Enter in the search box)",
            invite(lambda view: search(view, "Mary")),
            shows("Results* for “Mary”", "Mary Johnson"),
        ),
        ("Add (a person)", invite(add_person), listed("John Doe")),
        (
            "Add (a group)",
            invite(add_group),
            listed("Mary Johnson", "Zoë Lefèvre", "François Dubois", "Ana Sofía Pérez"),
        ),
        ("Remove", invite(remove), listed("Mary Johnson")),
        ("Remove all", invite(remove_all), listed()),
        ("Next (page)", invite(next_page), shows("Showing 21 to 25 of 25")),
        ("Previous (page)", invite(previous_page), shows("Showing 1 to 20 of 25")),
        ("Platform", invite(platform), platform_is(PlatformChoice.ANDROID)),
        ("Devices per person", invite(devices), shows("1 person, 4 devices each = 4 invitations")),
        (
            "No email address assigned (edit e-mail)",
            invite(edit_email),
            modal_opened(emu, "enroll.invite.edit_email"),
        ),
    ]
    for surface, act, works in allowed_invite:
        for person in ALLOWED:
            matrix.cell(f"{surface} (invitation modal)", person, act, works=works)

    def add_user_modal(change: Callable[[ViewHandle], object]) -> Callable[[str], None]:
        def act(person: str) -> None:
            matrix.close_modals(person)
            own[person] = view = open_add_user(emu.person(person), "Globex")
            change(view)
            view.wait_for_update()

        return act

    def has(*blocks: str) -> Callable[[str, str], bool]:
        return lambda person, _seen: all(own[person].has_block(block) for block in blocks)

    def submits_as(label: str) -> Callable[[str, str], bool]:
        return lambda person, _seen: own[person].view["submit"]["text"] == label

    allowed_add_user: list[tuple[str, Callable[[str], object], Callable[[str, str], object]]] = [
        ("Role", add_user_modal(lambda view: view.choose("role", "administrator")), has("address", "phone")),
        (
            "Use different emails (checkbox)",
            add_user_modal(lambda view: view.tick("separate_notification_email", ["separate"])),
            has("notification_email"),
        ),
        ("Assign services", add_user_modal(lambda view: view.tick("services", [])), submits_as("Create")),
    ]
    for surface, act, works in allowed_add_user:
        for person in ALLOWED:
            matrix.cell(f"{surface} (Add New User)", person, act, works=works)
    matrix.assert_all_passed()
