"""The authorisation matrix, part three: what came with the whole life of a backup user — find,
edit, disable, enable, delete (and its approval), reset, /enroll status pages, the global shortcuts
and options requests — tried by Helen (helpdesk), Harry (helpdesk and approver), Anna (approver
only) and Sam (neither); then ACCESS_FILE: Helen scoped to Acme is refused on a Globex user by
every one of them, the refusal naming the customer.

/backup import and export are here as commands (helpdesk only, in scope only), and so are the Import
Users modal's two submissions (the file Helen picked; Import on her preview) sent by someone else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.accounts.models import BackupUser, UserStatus
from console import SlackEmulator
from console.models import Message
from console.payloads import interactivity_body
from console.suggestions import block_suggestion
from console.transport import Delivery
from tests.e2e.backup_flows import add_user_with_backup, add_user_without_backup
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.helpers import send, submit_again
from tests.reliability.matrix import (
    ANNA,
    APPROVER_REFUSAL,
    HARRY,
    HELEN,
    HELPDESK_REFUSAL,
    SAM,
    SELF_APPROVAL,
    Matrix,
    ephemeral_click,
)
from tests.reliability.test_authorisation import _card, _ephemeral, _many_users, modal_opened, says
from tests.support.channels import ChannelsApp, add_invitation_rows, channels_app
from tests.support.reliability import Figures
from tests.support.slack import APPROVALS_CHANNEL, HELPDESK_CHANNEL

pytestmark = SQLITE_ONLY
REFUSED = (ANNA, SAM)
ALLOWED = (HELEN, HARRY)
Act = Callable[[str], object]
Works = Callable[[str, str], object]


@pytest.fixture
def matrix(approvals_app: ChannelsApp, slack_emulator: SlackEmulator, figures: Figures) -> Matrix:
    app = approvals_app.app
    return Matrix(app=app, emulator=slack_emulator, figures=figures, emails=lambda: len(app.eml_files()))


def typed(command: str, text: str, emu: SlackEmulator) -> Act:
    return lambda person: emu.person(person).slash(command, text, channel=HELPDESK_CHANNEL)


def rows_of(matrix: Matrix, rows: list[tuple[str, Act, Act, Works]], refusal: str = HELPDESK_REFUSAL) -> None:
    for surface, refused_act, allowed_act, works in rows:
        for person in REFUSED:
            matrix.cell(surface, person, refused_act, refusal=refusal)
        for person in ALLOWED:
            matrix.cell(surface, person, allowed_act, works=works)


def test_every_lifecycle_command_and_shortcut(matrix: Matrix, slack_emulator: SlackEmulator) -> None:
    emu = slack_emulator
    helen = emu.person(HELEN)
    add_user_with_backup(helen, "Globex", email="alice@globex.example")
    add_user_without_backup(helen, "Globex", first="Bob", last="Plain", email="bob@globex.example")
    matrix.app.wait_for_outbox()
    commands: list[tuple[str, Works]] = [
        ("find alice", says("alice@globex.example")),
        ("edit bob@globex.example", modal_opened(emu, "backup.edit_user")),
        ("disable bob@globex.example", says("Disable *Bob Plain*")),
        ("enable bob@globex.example", says("is not disabled", "can sign in again")),
        ("delete bob@globex.example", modal_opened(emu, "backup.delete_user")),
        ("reset alice@globex.example", says("on its way to alice@globex.example")),
        ("import Globex", modal_opened(emu, "backup.import_users")),
        ("export Globex", says("is posted in this channel", "is in your direct messages")),
    ]
    rows_of(
        matrix, [(f"/backup {t}", typed("/backup", t, emu), typed("/backup", t, emu), w) for t, w in commands]
    )

    def shortcut(name: str) -> Act:
        return lambda person: emu.person(person).shortcut(name)

    rows_of(
        matrix,
        [
            ("Add backup user (shortcut)", shortcut("Add backup user"), shortcut("Add backup user"),
             modal_opened(emu, "backup.add_user")),
            ("Send enrollment invitation (shortcut)", shortcut("Send enrollment invitation"),
             shortcut("Send enrollment invitation"), modal_opened(emu, "enroll.invite")),
        ],
    )  # fmt: skip
    matrix.assert_all_passed()


def options_answer(emu: SlackEmulator, person: str, text: str) -> list[str]:
    """The options a person's type-ahead Customer field would be offered for `text`."""
    ws = emu.workspace
    view = {
        "id": "V0FORGED1",
        "type": "modal",
        "callback_id": "backup.add_user",
        "blocks": [],
        "state": {"values": {}},
    }
    payload = block_suggestion(
        ws.identity, user=ws.user(person), view=view, block_id="customer",
        action_id="backup.customer.search", value=text,
    )  # fmt: skip
    answer: Delivery = send(emu, "options", interactivity_body(payload))
    assert answer.status == 200 and "application/json" in answer.headers.get("content-type", "")
    return [o["text"]["text"] for o in answer.json()["options"]]


def test_options_requests_offer_customers_to_the_helpdesk_only(
    matrix: Matrix, slack_emulator: SlackEmulator
) -> None:
    for person in ALLOWED:
        assert options_answer(slack_emulator, person, "glob") == ["Globex Logistics"]
    for person in REFUSED:  # answered, as Slack requires, with nothing to choose
        assert options_answer(slack_emulator, person, "glob") == []
    matrix.figures.add("authorisation cells: allowed and working", 2)
    matrix.figures.add("authorisation cells: refused, nothing changed", 2)


def test_every_lifecycle_button_and_submission(matrix: Matrix, slack_emulator: SlackEmulator) -> None:
    emu = slack_emulator
    helen = emu.person(HELEN)
    add_user_without_backup(helen, "Globex", first="Bob", last="Plain", email="bob@globex.example")
    add_user_without_backup(helen, "Globex", first="Dee", last="Gone", email="dee@globex.example")
    _many_users(matrix, 12)
    for n in range(12):
        add_invitation_rows(matrix.db, email=f"p{n:02d}@example.com", name=f"Person {n:02d}",
                            now=matrix.app.deps.clock.now(), expires_in=timedelta(days=7))  # fmt: skip

    def others_page(command: str, text: str, header: str, action_id: str) -> Act:
        helen.slash(command, text, channel=HELPDESK_CHANNEL)
        shown = _ephemeral(emu, HELEN, header)
        return lambda person: ephemeral_click(emu, person, shown, action_id)

    def own_page(command: str, text: str, header: str, action_id: str) -> Act:
        def act(person: str) -> None:
            seen = len(emu.ephemerals(user=person))
            emu.person(person).slash(command, text, channel=HELPDESK_CHANNEL)
            emu.wait_until(lambda: len(emu.ephemerals(user=person)) > seen)
            emu.person(person).click(_ephemeral(emu, person, header), action_id)

        return act

    def enable_on_card(person: str) -> None:
        """Bob disabled (from the confirmation) if he is not, then Enable on his card."""
        if _status(matrix, "bob@globex.example") is not UserStatus.DISABLED:
            own_page("/backup", "disable bob@globex.example", "Disable *Bob", "backup.user.disable")(person)
            emu.wait_until(lambda: _status(matrix, "bob@globex.example") is UserStatus.DISABLED)
            matrix.app.wait_for_outbox()
        card = emu.wait_until(lambda: [m for m in [_card(emu, "Bob Plain")] if "Enable" in m.all_text()])[0]
        emu.person(person).click(card, "backup.user.enable")

    def others_enable(person: str) -> object:
        return emu.person(person).click(_card(emu, "Bob Plain"), "backup.user.enable")

    rows_of(
        matrix,
        [
            ("Disable (confirmation)", others_page("/backup", "disable bob@globex.example", "Disable *Bob", "backup.user.disable"),
             own_page("/backup", "disable bob@globex.example", "Disable *Bob", "backup.user.disable"),
             says("is disabled", "was already disabled")),
            ("Enable (user card)", others_enable, enable_on_card, says("can sign in again")),
            ("Next (find results)", others_page("/backup", "find zulu", "Showing 1 to", "backup.find.page.next"),
             own_page("/backup", "find zulu", "Showing 1 to", "backup.find.page.next"), says("Showing 11 to 12")),
            ("Next (enroll status people)",
             others_page("/enroll", "status", "Enrollment status", "enroll.status.page.people.next"),
             own_page("/enroll", "status", "Enrollment status", "enroll.status.page.people.next"),
             says("Showing 11 to 12 of 12 people")),
        ],
    )  # fmt: skip

    # Delete User: Helen's confirmed modal, submitted again by each; the deletion then waits for
    # an approver, whose Approve only an approver other than the requester may give.
    helen.slash("/backup", "delete dee@globex.example", channel=HELPDESK_CHANNEL)
    modal = helen.wait_for_view(callback_id="backup.delete_user")
    modal.fill("confirm_email", "dee@globex.example")
    filled = modal.view
    matrix.close_modals(HELEN)
    for person in REFUSED:
        matrix.cell("Delete (Delete User submitted)", person, lambda p: submit_again(emu, p, filled),
                    refusal=HELPDESK_REFUSAL)  # fmt: skip
    matrix.cell("Delete (Delete User submitted)", HARRY, lambda p: submit_again(emu, p, filled),
                works=lambda _p, _s: _request_about(emu, "dee@globex.example"))  # fmt: skip
    request = _request_about(emu, "dee@globex.example")
    assert request is not None

    def approve(person: str) -> object:
        return emu.person(person).click(request, "approvals.approve")

    for person, refusal in ((HELEN, APPROVER_REFUSAL), (SAM, APPROVER_REFUSAL), (HARRY, SELF_APPROVAL)):
        matrix.cell("Approve (deletion)", person, approve, refusal=refusal)
    matrix.cell(
        "Approve (deletion)",
        ANNA,
        approve,
        works=lambda _p, _s: _status(matrix, "dee@globex.example") is UserStatus.DELETED,
    )
    matrix.assert_all_passed()


def test_import_users_submissions_by_someone_outside_the_helpdesk(
    matrix: Matrix, slack_emulator: SlackEmulator
) -> None:
    """Helen's Import Users modal, submitted by Anna and Sam: with her file (nothing is read:
    no files.info), then Import on her preview (nothing is imported)."""
    emu = slack_emulator
    helen = emu.person(HELEN)
    helen.slash("/backup", "import Globex", channel=HELPDESK_CHANNEL)
    picking = helen.wait_for_view(callback_id="backup.import_users")
    picking.attach_file("import_file", "users.csv", IMPORT_CSV)
    with_file = picking.view
    reads = lambda: len([c for c in emu.calls() if c.method == "files.info"])  # noqa: E731
    for person in REFUSED:
        matrix.cell("Import Users (file submitted)", person, lambda p: submit_again(emu, p, with_file),
                    refusal=HELPDESK_REFUSAL, keeps=reads)  # fmt: skip
    result = picking.submit()
    assert result.view is not None
    preview = emu.wait_until(
        lambda: [v for v in [result.view] if v.is_open and v.callback_id == "backup.import_users.confirm"],
        timeout=30,
    )[0]
    previewed = preview.view
    assert "Import" in preview.all_text() and reads() >= 1  # Helen's own submission read the file
    for person in REFUSED:
        matrix.cell("Import Users (Import pressed)", person, lambda p: submit_again(emu, p, previewed),
                    refusal=HELPDESK_REFUSAL)  # fmt: skip
    matrix.assert_all_passed()


IMPORT_CSV = (
    b"first_name,last_name,email,role,notification_email,address,phone,subscription,notifications\r\n"
    b"Ira,Import,ira.import@globex.example,User,,,,PAYG,All\r\n"
)


def _request_about(emu: SlackEmulator, email: str) -> Message | None:
    found = [m for m in emu.channel(APPROVALS_CHANNEL).messages() if f"({email})" in m.all_text()]
    return found[-1] if found else None


def _status(matrix: Matrix, email: str) -> UserStatus | None:
    with matrix.db.read() as session:
        return session.query(BackupUser.status).filter(BackupUser.email == email).scalar()


# --- ACCESS_FILE: Helen acts on Acme only, Harry on everything ----------------------------------

SCOPES = f"""
scopes:
  - who: [{HELEN}]
    customers: [Acme Corporation]
  - who: [{HARRY}]
    customers: all
"""
OUT_OF_SCOPE = "Globex Logistics is outside your scope"


@pytest.fixture
def scoped_matrix(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, figures: Figures
) -> Iterator[Matrix]:
    access = tmp_path / "access.yaml"
    access.write_text(SCOPES, encoding="utf-8")
    figures.watch(slack_emulator)
    with channels_app(slack_emulator, database_url, tmp_path, access_file=str(access)) as app:
        yield Matrix(
            app=app.app, emulator=slack_emulator, figures=figures, emails=lambda: len(app.app.eml_files())
        )


def test_a_person_out_of_scope_is_refused_every_action_naming_the_customer(
    scoped_matrix: Matrix, slack_emulator: SlackEmulator
) -> None:
    matrix, emu = scoped_matrix, slack_emulator
    add_user_without_backup(
        emu.person(HARRY), "Globex", first="Gina", last="Globex", email="gina@globex.example"
    )
    matrix.app.wait_for_outbox()
    card: Message = _card(emu, "Gina Globex")
    acts: list[tuple[str, Act]] = [
        *[(f"/backup {t} gina@globex.example", typed("/backup", f"{t} gina@globex.example", emu))
          for t in ("edit", "disable", "enable", "delete", "reset", "activate", "assign", "settings")],
        ("/backup add Globex", typed("/backup", "add Globex", emu)),
        ("/backup import Globex", typed("/backup", "import Globex", emu)),
        ("/backup export Globex", typed("/backup", "export Globex", emu)),
        ("/backup users Globex", typed("/backup", "users Globex", emu)),
        ("Assign service (user card)", lambda p: emu.person(p).click(card, "backup.user.assign_service")),
        ("Activate (user card)", lambda p: emu.person(p).click(card, "backup.user.activate")),
    ]  # fmt: skip
    for surface, act in acts:
        matrix.cell(surface, HELEN, act, refusal=OUT_OF_SCOPE)
    matrix.cell("/backup find gina", HELEN, typed("/backup", "find gina", emu), works=says("No backup user"))
    # The type-ahead Customer field offers Globex to Harry, never to Helen.
    assert options_answer(emu, HELEN, "glob") == [] and options_answer(emu, HARRY, "glob") == [
        "Globex Logistics"
    ]
    matrix.cell("/backup disable gina@globex.example", HARRY, typed("/backup", "disable gina@globex.example", emu),
                works=says("Disable *Gina Globex*"))  # fmt: skip
    matrix.assert_all_passed()
