"""End users read deskops in their customer's language, with the MSP's brand, in its time zone:
the activation e-mail, its page and its errors, through the running app over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.accounts.models import ActivationToken
from bot.i18n.dates import format_moment
from console import SlackEmulator
from tests.e2e.backup_flows import activation_link, add_user_without_backup, read_eml
from tests.e2e.enroll_flows import add_result, landing_links, open_invite, search
from tests.support.app import RunningApp, run_app
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk

CUSTOMERS = """
customers:
  - name: Acme Corporation
    language: de
    subscriptions: [PAYG]
  - name: Globex Logistics
    subscriptions: [PAYG]
"""


@pytest.fixture
def branded(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[RunningApp]:
    customers = tmp_path / "customers.yaml"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    seed_helpdesk(slack_emulator)
    with run_app(
        slack_emulator,
        database_url,
        tmp_path,
        customers=customers,
        brand_name="Contoso IT",
        support_email="help@contoso.example",
        language="fr",
        timezone="Europe/Amsterdam",
    ) as app:
        yield app


def activate(app: RunningApp, emulator: SlackEmulator, customer: str, email: str) -> str:
    helen = emulator.person(HELPDESK_USER)
    add_user_without_backup(helen, customer, email=email)
    app.wait_for_outbox()
    helen.click(emulator.channel(HELPDESK_CHANNEL).last_message(), "backup.user.activate")
    app.wait_for_outbox()
    [path] = [p for p in app.eml_files() if email in read_eml(p)["To"]]
    return str(path)


def test_a_german_customers_user_reads_german_and_the_rest_the_default(
    branded: RunningApp, slack_emulator: SlackEmulator
) -> None:
    german = read_eml(Path(activate(branded, slack_emulator, "Acme", "jana@acme.example")))
    assert german["Subject"] == "Aktivieren Sie Ihr Backup-Konto bei Acme Corporation"
    text = german.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = german.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("Guten Tag John,") and '<html lang="de">' in html
    assert "Gesendet von Contoso IT." in text and "help@contoso.example" in text
    with branded.deps.db.read() as session:
        token = session.scalars(select(ActivationToken)).one()
        expires = format_moment(token.expires_at, zone=ZoneInfo("Europe/Amsterdam"), language="de")
    assert "(Mitteleuropäische" in expires and f"gültig bis {expires}." in text

    link = activation_link(german)
    with branded.http() as http:
        page = http.get(link)
        assert page.status_code == 200 and '<html lang="de">' in page.text
        assert "<h1>Backup-Konto aktivieren</h1>" in page.text and "Contoso IT" in page.text
        short = http.post(link, data={"password": "kurz", "confirmation": "kurz"})
        assert short.status_code == 400 and "Verwenden Sie mindestens 10 Zeichen." in short.text
        done = http.post(
            link, data={"password": "ein langes Passwort", "confirmation": "ein langes Passwort"}
        )
        assert done.status_code == 200 and "Ihr Backup-Konto ist aktiv" in done.text
        # Used: no customer is known from the link any more than from an unknown one: the browser's.
        used = http.get(link, headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})
        assert used.status_code == 410 and "Deze link is al gebruikt" in used.text
        unknown = http.get(link[:-4] + "abcd")
        assert unknown.status_code == 404 and "Ce lien n\u2019est pas valide" in unknown.text  # LANGUAGE=fr

    french = read_eml(Path(activate(branded, slack_emulator, "Globex", "sam@globex.example")))
    assert french["Subject"] == "Activez votre compte de sauvegarde chez Globex Logistics"


def test_invitations_go_out_in_the_language_chosen_in_the_modal(
    branded: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_invite(helen)
    # LANGUAGE is preselected, and each customer's own language is shown to choose by.
    language = view.block("language")["element"]
    assert language["initial_option"]["value"] == "fr"
    assert [o["text"]["text"] for o in language["options"]] == [
        "English",
        "German (Deutsch)",
        "French (français)",
        "Dutch (Nederlands)",
    ]
    assert "Acme Corporation: German (Deutsch)" in view.all_text()
    assert "the other customers: French (français) (the default)" in view.all_text()
    search(view, "Jo")
    add_result(view, "John Doe")
    view.choose("platform", "ios")
    view.wait_for_update()
    view.choose("language", "de")
    assert view.submit().closed
    branded.wait_for_outbox()
    [mail] = [read_eml(path) for path in branded.eml_files()]
    assert mail["Subject"] == "Richten Sie Acronis Access auf Ihrem iOS-Gerät ein"
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("Guten Tag John Doe,") and "(Mitteleuropäische Normalzeit)." in text
    [landing] = set(landing_links(mail))  # the main button opens the same page (then the app)
    with branded.http() as http:
        page = http.get(landing)
    assert page.status_code == 200 and '<html lang="de">' in page.text
    assert "<h1>Acronis Access einrichten</h1>" in page.text and "Contoso IT" in page.text
