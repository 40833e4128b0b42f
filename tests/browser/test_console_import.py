"""A helpdesk person imports users from a CSV in the offline console, in a real browser: `/backup
import`, the file picked in **Import Users**, its problems listed by row, a corrected file, the
preview, **Import**, the progress card in #helpdesk; then `/backup export` and its file."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from deskops.offline import OfflineConsole
from tests.browser.conftest import shoot
from tests.browser.steps import message, modal, open_console, type_command

pytestmark = pytest.mark.browser

HEADER = "first_name,last_name,email,role,notification_email,address,phone,subscription,notifications"


def pick(page: Page, name: str, text: str) -> None:
    dialog = modal(page, "Import Users")
    dialog.locator('input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}]
    )
    expect(dialog.locator(".bk-file", has_text=name)).to_be_visible()
    dialog.get_by_role("button", name="Check").click()


def test_import_users_from_a_csv_with_its_preview(page: Page, console: OfflineConsole) -> None:
    open_console(page, console)
    type_command(page, "/backup import Acme")
    dialog = modal(page, "Import Users")
    expect(dialog).to_contain_text("first_name,last_name,email")
    bad = f"{HEADER}\nZoë,Meyer,zoe.meyer@acme.example,,,,,PAYG,All\nBo,,bo@acme.example,,,,,,\n"
    pick(page, "staff.csv", bad)
    dialog = modal(page, "Import Users")
    expect(dialog).to_contain_text("Row 3, last_name: Enter a last name.")
    expect(dialog).to_contain_text("Nothing was imported")
    shoot(page, "import-01-problems")

    good = f"{HEADER}\nZoë,Meyer,zoe.meyer@acme.example,,,,,PAYG,All\nBo,Berg,bo@acme.example,,,,,,\n"
    pick(page, "staff-fixed.csv", good)
    preview = modal(page, "Import Users")
    expect(preview).to_contain_text("every row is fine")
    expect(preview).to_contain_text("Row 2 · Zoë Meyer · zoe.meyer@acme.example · User · Backup")
    shoot(page, "import-02-preview")
    preview.get_by_role("button", name="Import").click()
    started = modal(page, "Import Users")
    expect(started).to_contain_text("Importing 2 users")
    started.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    card = message(page, "Import finished")
    expect(card).to_contain_text("Created: 2")
    shoot(page, "import-03-progress-card")

    # /backup export shares the users as a CSV in the channel, downloadable from the message.
    type_command(page, "/backup export Acme")
    shared = page.locator("li.msg a.msg-file", has_text="acme-corporation-users-")
    expect(shared).to_be_visible()
    with page.expect_download() as download:
        shared.click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert "zoe.meyer@acme.example" in text and "bo@acme.example" in text
    shoot(page, "import-04-export")
