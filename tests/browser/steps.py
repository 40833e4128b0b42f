"""What a helpdesk person does in the console, as steps the browser tests share.

Every step waits for the state it leads to (a modal with this title, a message with this text);
nothing sleeps.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from deskops.offline import HELPDESK_CHANNEL, HELPDESK_PERSON, OfflineConsole


def open_console(page: Page, console: OfflineConsole, *, as_user: str = HELPDESK_PERSON) -> None:
    page.goto(f"{console.url}?as={as_user}#channel:{HELPDESK_CHANNEL}")
    expect(page.locator("#nav .nav-link.active")).to_contain_text("helpdesk")
    expect(page.locator("#acting-user")).to_have_value(as_user)


def act_as(page: Page, user_id: str) -> None:
    page.locator("#acting-user").select_option(user_id)
    expect(page.locator("#acting-user")).to_have_value(user_id)


def type_command(page: Page, text: str) -> None:
    box = page.get_by_label("Message or slash command")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def modal(page: Page, title: str) -> Locator:
    """The open modal, once its title reads `title`."""
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    return dialog


def field(dialog: Locator, label: str) -> Locator:
    return dialog.get_by_label(label, exact=True)


def error_under(dialog: Locator, label: str) -> Locator:
    """The error shown under the input labelled `label` (its aria-describedby error paragraph)."""
    return dialog.locator(".bk-input", has=dialog.page.get_by_text(label, exact=True)).locator(".bk-error")


def message(page: Page, text: str) -> Locator:
    """The one channel message (not an ephemeral one) that shows `text` now, pinned by its ts:
    it stays the same message when it is updated in place or replies arrive."""
    found = page.locator("li.msg[data-surface='message']", has_text=text)
    expect(found).to_have_count(1)
    return page.locator(f"li.msg[data-ts='{found.get_attribute('data-ts')}']")


def add_user_with_backup(
    page: Page, *, customer: str, first: str, last: str, email: str, subscription: str
) -> Locator:
    """/backup add, both steps, Create; returns the confirmation card in the channel."""
    type_command(page, f"/backup add {customer}")
    first_step = modal(page, "Add New User")
    field(first_step, "First name").fill(first)
    field(first_step, "Last name").fill(last)
    field(first_step, "Email").fill(email)
    first_step.get_by_role("button", name="Next").click()
    settings = modal(page, "Acronis Backup Settings")
    field(settings, "Subscription").select_option(label=subscription)
    settings.get_by_role("button", name="Create").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    return message(page, f"Backup user created: {first} {last}")
