"""The console's shortcuts (lightning) menu lists the app's global shortcuts from app.yaml, and each
opens the same modal as its command."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from deskops.offline import OfflineConsole
from tests.browser.conftest import shoot
from tests.browser.steps import modal, open_console

pytestmark = pytest.mark.browser


def test_the_shortcuts_menu_opens_the_modals(page: Page, console: OfflineConsole) -> None:
    open_console(page, console)
    page.get_by_role("button", name="Shortcuts").click()
    menu = page.get_by_role("menu", name="Shortcuts")
    expect(menu.get_by_role("menuitem")).to_have_count(2)
    shoot(page, "22-shortcuts-menu")
    menu.get_by_role("menuitem", name="Add backup user").click()
    dialog = modal(page, "Add New User")
    expect(dialog.get_by_label("First name", exact=True)).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_role("button", name="Shortcuts").click()
    page.get_by_role("menu", name="Shortcuts").get_by_role(
        "menuitem", name="Send enrollment invitation"
    ).click()
    expect(modal(page, "Enrollment Invitation")).to_contain_text("Send Enrollment Invitation")
