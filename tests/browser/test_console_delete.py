"""Deleting a backup user in the offline console, in a real browser: `/backup delete`, the Delete
User modal refusing anything but the user's exact e-mail under its field, the deletion sent for
approval, an approver's Approve, and the card turned *Deleted* in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from deskops.offline import APPROVER, OfflineConsole
from tests.browser.conftest import shoot
from tests.browser.steps import (
    act_as,
    add_user_with_backup,
    error_under,
    field,
    message,
    modal,
    open_console,
    type_command,
)

pytestmark = pytest.mark.browser
CONFIRM = "Type the user's e-mail address to confirm"


def test_delete_a_user_by_typing_the_email_then_approve(page: Page, console: OfflineConsole) -> None:
    open_console(page, console)
    card = add_user_with_backup(
        page, customer="Acme", first="Dora", last="Delete", email="dora@example.com", subscription="PAYG"
    )
    type_command(page, "/backup delete dora@example.com")
    dialog = modal(page, "Delete User")
    expect(dialog).to_contain_text("Dora Delete")
    expect(dialog).to_contain_text("cannot be restored")
    expect(field(dialog, CONFIRM)).to_have_attribute("placeholder", "dora@example.com")

    # Anything but the exact address is refused under the field; nothing is deleted.
    field(dialog, CONFIRM).fill("dora@example.org")
    dialog.get_by_role("button", name="Delete").click()
    expect(error_under(dialog, CONFIRM)).to_contain_text("Type dora@example.com exactly")
    expect(card).not_to_contain_text("Deleted")
    shoot(page, "20-delete-wrong-email")

    field(dialog, CONFIRM).fill("dora@example.com")
    dialog.get_by_role("button", name="Delete").click()
    expect(modal(page, "Delete User")).to_contain_text("Sent for approval")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(card).not_to_contain_text("Deleted")

    act_as(page, APPROVER)
    page.get_by_role("link", name="approvals").click()
    request = message(page, "Delete Dora Delete")
    request.get_by_role("button", name="Approve").click()
    expect(request).to_contain_text("Approved")
    page.get_by_role("link", name="helpdesk").click()
    deleted = message(page, "dora@example.com")
    expect(deleted).to_contain_text("Deleted")
    shoot(page, "21-card-deleted")
