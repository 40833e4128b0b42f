"""What end users open from their e-mails, in a real browser and in two languages: the activation
page of a German customer's user and of one on LANGUAGE (English), and the invitation landing
page of a batch sent in German and of one in English, on a phone. Screenshots go to
test-artifacts/browser/enduser-*.png."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from console import SlackEmulator
from tests.browser.conftest import TIMEOUT_MS, shoot
from tests.e2e.backup_flows import activation_link, add_user_without_backup, read_eml
from tests.e2e.enroll_flows import add_result, landing_links, open_invite, search
from tests.support.app import RunningApp, run_app
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk

pytestmark = pytest.mark.browser

CUSTOMERS = """
customers:
  - name: Acme Corporation
    language: de
    subscriptions: [PAYG]
  - name: Globex Logistics
    subscriptions: [PAYG]
"""
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def app(
    slack_emulator: SlackEmulator, tmp_path: Path, migrated_sqlite_template: Path
) -> Iterator[RunningApp]:
    database = tmp_path / "deskops.db"
    shutil.copy(migrated_sqlite_template, database)
    customers = tmp_path / "customers.yaml"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    seed_helpdesk(slack_emulator)
    with run_app(
        slack_emulator,
        f"sqlite:///{database}",
        tmp_path,
        customers=customers,
        brand_name="Contoso IT",
        support_email="help@contoso.example",
        timezone="Europe/Amsterdam",
    ) as running:
        yield running


def activation_page_link(app: RunningApp, emulator: SlackEmulator, customer: str, email: str) -> str:
    helen = emulator.person(HELPDESK_USER)
    add_user_without_backup(helen, customer, email=email)
    app.wait_for_outbox()
    helen.click(emulator.channel(HELPDESK_CHANNEL).last_message(), "backup.user.activate")
    app.wait_for_outbox()
    [mail] = [m for m in map(read_eml, app.eml_files()) if m["To"] == email]
    return activation_link(mail)


def landing_page_link(app: RunningApp, emulator: SlackEmulator, language: str, who: str) -> str:
    view = open_invite(emulator.person(HELPDESK_USER))
    search(view, who)
    add_result(view, who)
    view.choose("platform", "android")
    view.wait_for_update()
    view.choose("language", language)
    assert view.submit().closed
    app.wait_for_outbox()
    mails = [m for m in map(read_eml, app.eml_files()) if who.split(maxsplit=1)[0].lower() in str(m["To"])]
    [link] = {link for mail in mails for link in landing_links(mail)}
    return link


def fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_activation_pages_in_the_customers_language(
    context: BrowserContext, app: RunningApp, slack_emulator: SlackEmulator
) -> None:
    # Not the console's `page` fixture: a 400 for a refused password is this page's answer, and
    # the pages have no favicon; both show as console errors that are no fault here.
    page = context.new_page()
    german = activation_page_link(app, slack_emulator, "Acme", "jana@acme.example")
    english = activation_page_link(app, slack_emulator, "Globex", "sam@globex.example")

    page.goto(german)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Backup-Konto aktivieren")
    expect(page.locator("header")).to_have_text("Contoso IT")
    expect(page.locator("main")).to_contain_text("(Mitteleuropäische Normalzeit)")
    expect(page.locator("footer")).to_contain_text("Fragen? Schreiben Sie an help@contoso.example.")
    page.get_by_label("Passwort", exact=True).fill("kurz")
    page.get_by_label("Passwort wiederholen").fill("kurz")
    # The browser's own check (minlength) comes first: past it, the server answers in German too.
    page.evaluate("document.querySelector('form').noValidate = true")
    page.get_by_role("button", name="Mein Konto aktivieren").click()
    expect(page.get_by_role("alert")).to_have_text("Verwenden Sie mindestens 10 Zeichen.")
    shoot(page, "enduser-activate-de")

    page.goto(english)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate your backup account")
    expect(page.locator("main")).to_contain_text("(Central European Standard Time)")
    shoot(page, "enduser-activate-en")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Repeat the password").fill("correct horse battery")
    page.get_by_role("button", name="Activate my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your backup account is active")
    shoot(page, "enduser-activated-en")


def test_invitation_landing_pages_in_the_chosen_language_on_a_phone(
    browser: Browser, app: RunningApp, slack_emulator: SlackEmulator
) -> None:
    german = landing_page_link(app, slack_emulator, "de", "John Doe")
    english = landing_page_link(app, slack_emulator, "en", "Mary Johnson")
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)  # type: ignore[arg-type]
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        page = phone.new_page()
        page.goto(german)
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.get_by_role("heading", level=1)).to_have_text("Acronis Access einrichten")
        expect(page.get_by_role("link", name="Acronis Access für Android laden")).to_be_visible()
        expect(page.get_by_role("link", name="Dieses Gerät registrieren")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Diese Einladung ist gültig bis")
        assert fits_the_screen(page)
        shoot(page, "enduser-landing-de")

        page.goto(english)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up Acronis Access")
        expect(page.get_by_role("link", name="Get Acronis Access for Android")).to_be_visible()
        expect(page.locator("main")).to_contain_text("(Central European Standard Time)")
        assert fits_the_screen(page)
        shoot(page, "enduser-landing-en")
    finally:
        phone.close()
