"""/backup import end to end over the Slack emulator, on both providers: the CSV picked in
**Import Users**, read by the bot with its token, checked and previewed; **Import** creates each row
through the outbox with a progress card, Administrator rows wait for approval, it acts once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.accounts.import_models import ImportRow, UserImport
from bot.accounts.models import BackupUser, Role
from console import SlackEmulator
from console.driver import Person
from console.viewhandle import ViewHandle
from tests.support.acronis import AcronisEmulator
from tests.support.app import RunningApp, run_app, run_app_on_acronis
from tests.support.slack import APPROVALS_CHANNEL, APPROVER, HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk

HEADER = "first_name,last_name,email,role,notification_email,address,phone,subscription,notifications"
GOOD = [
    "Zoë,Meyer,zoe.meyer@acme.example,User,,,,PAYG,All",
    "Bo,Berg,bo.berg@acme.example,,bo.notify@acme.example,,,,",
    "Ada,Admin,ada.admin@acme.example,Administrator,,Main Street 1 Springfield,+1 202 555 0143,PAYG,Errors only",
]


@pytest.fixture
def importing(
    slack_emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    backup_provider: str,
    request: pytest.FixtureRequest,
) -> Iterator[RunningApp]:
    """The app with approvals on (Administrators wait for an approver), on each provider."""
    seed_helpdesk(slack_emulator)
    approvals = {"approvals_channel": APPROVALS_CHANNEL, "approvers": APPROVER}
    if backup_provider == "acronis":
        acronis: AcronisEmulator = request.getfixturevalue("acronis_emulator")
        with run_app_on_acronis(slack_emulator, database_url, tmp_path, acronis, **approvals) as app:
            yield app
        return
    with run_app(slack_emulator, database_url, tmp_path, **approvals) as app:
        yield app


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def open_import(person: Person, customer: str = "Acme") -> ViewHandle:
    person.slash("/backup", f"import {customer}".strip(), channel=HELPDESK_CHANNEL)
    return person.wait_for_view(callback_id="backup.import_users")


def check(person: Person, data: bytes, name: str = "users.csv") -> ViewHandle:
    view = open_import(person)
    assert view.title == "Import Users"
    view.attach_file("import_file", name, data)
    result = view.submit()
    assert result.errors is None, result.errors
    checked = result.view
    assert checked is not None
    # "Reading and checking the file…" at once, then the preview or the problems.
    person.wait_for_view(callback_id=None, timeout=1)
    deadline = time.monotonic() + 60
    while "Reading and checking the file" in checked.all_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Reading and checking the file" not in checked.all_text()
    return checked


def emails(app: RunningApp) -> list[tuple[str, Role]]:
    with app.deps.db.read() as session:
        return sorted(
            (email, role) for email, role in session.execute(select(BackupUser.email, BackupUser.role))
        )


def progress_card(emu: SlackEmulator, *, timeout: float = 60) -> str:
    card = emu.channel(HELPDESK_CHANNEL).wait_for_message(
        lambda m: "Import finished" in m.all_text(), timeout=timeout
    )
    return card.all_text()


def test_a_good_file_is_previewed_then_imported_with_a_progress_card_and_approvals(
    importing: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    preview = check(helen, csv_file(*GOOD))
    text = preview.all_text()
    assert preview.callback_id == "backup.import_users.confirm"
    assert "*3* users for *Acme Corporation*, 1 of them Administrator (each sent for approval)" in text
    assert "Row 2 · Zoë Meyer · zoe.meyer@acme.example · User · Backup" in text
    # The bot read the file with files.info and its token (the emulator refuses a download without).
    [info] = slack_emulator.calls("files.info")
    assert info.ok
    assert emails(importing) == []  # nothing before Import
    done = preview.submit()
    assert done.errors is None and done.view is not None
    assert "Importing 3 users" in done.view.all_text()
    importing.wait_for_outbox(timeout=30)
    assert emails(importing) == [("bo.berg@acme.example", Role.USER), ("zoe.meyer@acme.example", Role.USER)]
    card = progress_card(slack_emulator)
    assert "Created:* 2" in card and "Waiting for approval:* 1" in card and "Failed:* 0" in card
    request = slack_emulator.channel(APPROVALS_CHANNEL).last_message()
    assert "ada.admin@acme.example" in request.all_text()
    # Once approved, the Administrator is created by the same service.
    slack_emulator.person(APPROVER).click(request, "approvals.approve")
    slack_emulator.wait_until(lambda: ("ada.admin@acme.example", Role.ADMINISTRATOR) in emails(importing))


def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_created(
    importing: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    rows = [
        GOOD[0],
        ",Nofirst,nofirst@acme.example,,,,,,",
        "Bad,Mail,not-an-address,,,,,,",
        "Ad,Min,admin2@acme.example,Administrator,,,,,",
        "Su,Bs,subs@acme.example,,,,,Gold,All",
    ]
    view = check(helen, csv_file(*rows), name="acme-staff.csv")
    assert view.callback_id == "backup.import_users"  # still Import Users: choose a corrected file
    text = view.all_text()
    assert "*acme-staff.csv*: 4 rows need correcting. Nothing was imported." in text
    assert "Row 3, first_name: Enter a first name." in text
    assert "Row 4, email: 'not-an-address' is not a valid e-mail address" in text
    assert "Row 5, address: " in text and "Row 5, phone: " in text
    assert "Row 6, subscription: 'Gold' is not a subscription of Acme Corporation" in text
    assert view.has_block("import_file")
    with importing.deps.db.read() as session:
        assert session.scalar(select(func.count()).select_from(UserImport)) == 0
    assert emails(importing) == []


def test_duplicates_in_the_file_and_with_existing_users_and_a_file_that_is_no_csv(
    importing: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    done = check(helen, csv_file(GOOD[0])).submit()
    assert done.view is not None
    done.view.close()
    importing.wait_for_outbox(timeout=30)
    view = check(helen, csv_file("A,One,dup@acme.example,,,,,,", "B,Two,DUP@acme.example,,,,,,", GOOD[0]))
    text = view.all_text()
    assert "Row 3, email: the same e-mail as row 2." in text
    assert "Row 4, email: Acme Corporation already has a user with this e-mail." in text
    view.close()
    # A file that is not a user list: the modal says how to fix it and takes another file.
    again = check(helen, b"PK\x03\x04not really a csv", name="staff.csv")
    assert "Excel workbook, not a CSV file" in again.all_text() and again.has_block("import_file")
    again.attach_file("import_file", "staff.csv", b"name,mail\r\nA,a@acme.example\r\n")
    again.submit()
    helen_sees = lambda: "missing first_name, last_name, email" in again.all_text()  # noqa: E731
    slack_emulator.wait_until(helen_sees, timeout=30)
    again.close()
    # Submitting without a file is refused by the Slack client itself (the input is required).
    view = open_import(helen)
    assert view.submit().client_errors == {"import_file": "Please complete this required field."}


def test_import_acts_once_under_double_clicks_and_slack_retries(
    importing: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    preview = check(helen, csv_file(*GOOD[:2]))
    done = preview.submit()
    assert done.delivery is not None
    slack_emulator.send_raw(done.delivery.request, retry_num=1, retry_reason="http_timeout")
    slack_emulator.send_raw(done.delivery.request)
    importing.wait_for_outbox(timeout=30)
    with importing.deps.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ImportRow)) == 2
    assert len(emails(importing)) == 2
    cards = [
        m for m in slack_emulator.channel(HELPDESK_CHANNEL).messages() if "Import finished" in m.all_text()
    ]
    assert len(cards) == 1


@pytest.mark.backup_provider("local")
# The size is checked on one database, PostgreSQL, which an MSP importing thousands of users runs;
# each variant costs one to two minutes of the suite.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.timeout(400)
def test_five_thousand_rows_are_previewed_within_block_kit_limits_and_all_created(
    importing: RunningApp, slack_emulator: SlackEmulator
) -> None:
    rows = [f"First{i},Last{i},user{i:04d}@acme.example,,,,,PAYG,All" for i in range(5000)]
    helen = slack_emulator.person(HELPDESK_USER)
    preview = check(helen, csv_file(*rows))
    assert "*5,000* users for *Acme Corporation*" in preview.all_text()
    assert "…and 4,990 more." in preview.all_text()
    preview.submit()
    # The card follows the rows (provisioning each account on the platform goes on after).
    card = progress_card(slack_emulator, timeout=300)
    assert "Created:* 5,000" in card and "Failed:* 0" in card
    with importing.deps.db.read() as session:
        assert session.scalar(select(func.count()).select_from(BackupUser)) == 5000
