"""A helpdesk person adds and activates a backup user in the offline console, in a real browser:
`/backup add`, both modal steps, the card in #helpdesk, **Activate** with its confirmation, the
activation e-mail in the Outbox, its link, a password — and the card updated in place."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from deskops.offline import APPROVER, HELPDESK_CHANNEL, OUTSIDER, OfflineConsole
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

PASSWORD = "correct horse battery staple"


def test_add_a_backup_user_activate_and_follow_the_activation_link(
    page: Page, context: BrowserContext, console: OfflineConsole
) -> None:
    open_console(page, console)
    type_command(page, "/backup add Acme")
    first_step = modal(page, "Add New User")
    expect(first_step).to_contain_text("Acme Corporation")
    field(first_step, "First name").fill("John")
    field(first_step, "Last name").fill("Doe")
    field(first_step, "Email").fill("john.doe@example.com")
    shoot(page, "01-add-new-user")
    first_step.get_by_role("button", name="Next").click()

    settings = modal(page, "Acronis Backup Settings")
    expect(settings).to_contain_text("John Doe")
    field(settings, "Subscription").select_option(label="Capped Storage")
    shoot(page, "02-backup-settings")
    settings.get_by_role("button", name="Create").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    card = message(page, "Backup user created: John Doe")
    expect(card).to_contain_text("Capped Storage")
    expect(card).to_contain_text("Pending activation")
    shoot(page, "03-confirmation-card")

    card.get_by_role("button", name="Activate").click()
    expect(card).to_contain_text("e-mail sent")
    expect(card.locator(".edited")).to_be_visible()
    expect(page.locator("li.msg.ephemeral", has_text="is on its way to john.doe@example.com")).to_be_visible()

    # Once an e-mail went the button still reads Activate (DESIGN §1); sending another asks first
    # (a confirm dialog); Cancel sends nothing.
    card.get_by_role("button", name="Activate", exact=True).click()
    confirm = page.get_by_role("alertdialog", name="Send activation e-mail?")
    expect(confirm).to_contain_text("An activation link goes to john.doe@example.com.")
    shoot(page, "04-confirm-resend")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()

    page.get_by_role("link", name=re.compile("Outbox")).click()
    mail = page.get_by_role("link", name=re.compile("Activate your backup account at Acme Corporation"))
    expect(mail).to_contain_text("john.doe@example.com")
    expect(mail).to_have_count(1)  # the cancelled resend sent nothing
    mail.click()
    detail = page.get_by_role("article", name="E-mail")
    expect(detail.get_by_role("heading", level=2)).to_have_text(
        "Activate your backup account at Acme Corporation"
    )
    # The HTML part is in a sandboxed frame; its button links to the same activation page.
    html = page.frame_locator("iframe.mail-html")
    expect(html.get_by_text("Acme Corporation").first).to_be_visible()
    shoot(page, "05-outbox-activation-email")

    link = detail.locator("a.mail-link", has_text="/activate/")
    expect(link).to_have_attribute("href", re.compile(rf"^{re.escape(console.base_url)}/activate/"))
    # Following the e-mail's own button: it opens in a new tab, outside the preview's sandbox.
    with context.expect_page() as opened:
        html.get_by_role("link", name="Activate my account").click()
    activation = opened.value
    assert activation.url == link.get_attribute("href")
    expect(activation.get_by_role("heading", name="Activate your backup account")).to_be_visible()
    activation.get_by_label("Password", exact=True).fill(PASSWORD)
    activation.get_by_label("Repeat the password").fill(PASSWORD)
    activation.get_by_role("button", name="Activate my account").click()
    expect(activation.get_by_role("heading", name="Your backup account is active")).to_be_visible()
    shoot(activation, "06-activation-page-done")
    activation.close()

    page.get_by_role("link", name="helpdesk").click()
    card = message(page, "Backup user created: John Doe")
    expect(card).to_contain_text(re.compile(r"Active since (today|yesterday) at \d{1,2}:\d{2} [AP]M"))
    expect(card.get_by_role("button", name="Activate")).to_have_count(0)
    shoot(page, "07-card-active")


def test_a_bad_field_is_answered_under_that_field_and_nothing_typed_is_lost(
    page: Page, console: OfflineConsole
) -> None:
    open_console(page, console)
    type_command(page, "/backup add Acme")
    dialog = modal(page, "Add New User")
    field(dialog, "First name").fill("Mary")
    field(dialog, "Last name").fill("Major")
    # Two dots pass the Slack client's check; the app refuses it (response_action errors).
    field(dialog, "Email").fill("mary..major@example.com")
    dialog.get_by_role("button", name="Next").click()
    expect(error_under(dialog, "Email")).to_contain_text("is not a valid e-mail address")
    expect(field(dialog, "Email")).to_have_attribute("aria-invalid", "true")
    expect(field(dialog, "Email")).to_have_accessible_description(re.compile("not a valid e-mail address"))

    # Administrator reveals Address and Phone (the app updates the modal); typed values stay.
    dialog.get_by_role("radio", name="Administrator").check()
    expect(field(dialog, "Phone")).to_be_visible()
    expect(field(dialog, "First name")).to_have_value("Mary")
    field(dialog, "Email").fill("mary.major@example.com")
    field(dialog, "Address").fill("1 Main Street, Springfield")
    field(dialog, "Phone").fill("12345")
    dialog.get_by_role("button", name="Next").click()
    expect(error_under(dialog, "Phone")).to_contain_text("not a valid phone number")
    expect(error_under(dialog, "Email")).to_have_count(0)
    expect(field(dialog, "Address")).to_have_value("1 Main Street, Springfield")
    shoot(page, "08-field-error-under-phone")

    # A required field left empty is refused by the Slack client itself, before the app hears of it.
    field(dialog, "Last name").fill("")
    dialog.get_by_role("button", name="Next").click()
    expect(error_under(dialog, "Last name")).to_have_text("Please complete this required field.")
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_someone_not_in_helpdesk_users_is_refused(page: Page, console: OfflineConsole) -> None:
    open_console(page, console)
    act_as(page, OUTSIDER)
    type_command(page, "/backup add Acme")
    refusal = page.locator("li.msg.ephemeral", has_text="only helpdesk staff can do this")
    expect(refusal).to_contain_text("Only visible to you")
    expect(page.get_by_role("dialog")).to_have_count(0)
    shoot(page, "09-refused")
    # The refusal was for Sam only.
    act_as(page, "U0HELEN01")
    expect(page.locator("li.msg.ephemeral", has_text="only helpdesk staff")).to_have_count(0)
    refusal_for_sam = console.emulator.ephemerals(user=OUTSIDER, channel=HELPDESK_CHANNEL)
    assert any("only helpdesk staff" in e.all_text() for e in refusal_for_sam)


def test_app_home_lists_users_pending_activation(page: Page, console: OfflineConsole) -> None:
    open_console(page, console)
    add_user_with_backup(
        page,
        customer="Initech",
        first="Paula",
        last="Pending",
        email="paula@example.com",
        subscription="Capped Storage",
    )
    page.get_by_role("link", name=re.compile("Home")).click()
    home = page.get_by_role("region", name="Home tab")
    expect(home).to_contain_text("Users pending activation")
    expect(home).to_contain_text("paula@example.com")
    shoot(page, "10-app-home")


def test_an_approver_approves_an_administrator(page: Page, console: OfflineConsole) -> None:
    open_console(page, console)
    type_command(page, "/backup add Initech")
    dialog = modal(page, "Add New User")
    field(dialog, "First name").fill("Ada")
    field(dialog, "Last name").fill("Admin")
    field(dialog, "Email").fill("ada.admin@example.com")
    dialog.get_by_role("radio", name="Administrator").check()
    field(dialog, "Address").fill("2 Side Street, Springfield")
    field(dialog, "Phone").fill("+31 20 123 4567")
    dialog.get_by_role("checkbox", name="Backup").uncheck()
    expect(dialog.get_by_role("button", name="Create")).to_be_visible()
    dialog.get_by_role("button", name="Create").click()
    expect(modal(page, "Add New User")).to_contain_text("Sent for approval")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    act_as(page, APPROVER)
    page.get_by_role("link", name="approvals").click()
    request = message(page, "Ada Admin")
    request.get_by_role("button", name="Approve").click()
    expect(request).to_contain_text("Approved")
    shoot(page, "11-approved")
    page.get_by_role("link", name="helpdesk").click()
    expect(message(page, "Backup user created: Ada Admin")).to_contain_text("Administrator")
