"""/enroll invite against real infrastructure: OpenLDAP (slapd) as the directory and an SMTP
server with STARTTLS and login, including the failures a helpdesk person has to act on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path

import pytest
import trustme

from bot.config import Settings
from bot.outbox.service import retry_failed
from console import SlackEmulator
from console.viewhandle import ViewHandle
from tests.e2e.enroll_flows import (
    add_result,
    invitees_header,
    landing_links,
    open_invite,
    search,
    wait_for_notice,
)
from tests.reliability.helpers import html_body, plain_body
from tests.support.app import RunningApp, run_app
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk
from tests.support.slapd import BULK_USERS, READER_DN, READER_PASSWORD, Slapd
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.backup_provider("local")
SMTP_USER, SMTP_PASSWORD = "helpdesk@msp.example", "smtp-pass-for-enroll-tests"


@pytest.fixture
def ldap_app(
    slack_emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    slapd_server: Slapd,
    make_smtp_sink: Callable[..., SmtpSink],
    smtp_ca_file: Path,
) -> Iterator[tuple[RunningApp, SmtpSink]]:
    sink = make_smtp_sink(starttls=True, auth={SMTP_USER: SMTP_PASSWORD}, require_auth=True)
    seed_helpdesk(slack_emulator)
    with run_app(
        slack_emulator,
        database_url,
        tmp_path,
        directory_url=slapd_server.url,
        directory_bind_dn=READER_DN,
        directory_bind_password=READER_PASSWORD,
        directory_profile="openldap",
        smtp_url=sink.url_for(user=SMTP_USER, password=SMTP_PASSWORD, starttls=True, cafile=smtp_ca_file),
    ) as app:
        yield app, sink


def test_invite_people_and_groups_from_openldap_over_smtp(
    ldap_app: tuple[RunningApp, SmtpSink], slack_emulator: SlackEmulator
) -> None:
    app, sink = ldap_app
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_invite(helen)
    search(view, "Jo")
    assert {"John Doe", "Mary Johnson"} <= set(view.all_text().split("*"))
    add_result(view, "John Doe")
    # A 2,000-member group expands completely (slapd pages past its size limit of 500) and the
    # modal shows a page of the list, inside every Block Kit limit.
    search(view, "Bulk")
    add_result(view, "Bulk Recipients")
    wait_for_notice(view, f"Added {BULK_USERS:,} members of Bulk Recipients.")
    assert invitees_header(view) == f"*Users to invite* ({BULK_USERS + 1:,})"
    assert f"Showing 1 to 20 of {BULK_USERS + 1:,}" in view.all_text()
    view.click("enroll.invite.page.next", value=button_value(view, "enroll.invite.page.next"))
    view.wait_for_update()
    assert f"Showing 21 to 40 of {BULK_USERS + 1:,}" in view.all_text()
    view.click("enroll.invite.remove_all", value="all")
    wait_for_notice(view, "Everyone was removed from the list.")
    # Searches add up; a group member without e-mail gets one by hand.
    search(view, "Field")
    add_result(view, "Field Engineers")
    assert invitees_header(view) == "*Users to invite* (5 · 1 without e-mail)"
    view.click("enroll.invite.edit_email", value=button_value(view, "enroll.invite.edit_email"))
    editor = helen.wait_for_view(callback_id="enroll.invite.edit_email")
    editor.fill("email", "kwame@example.com")
    assert editor.submit().errors is None
    wait_for_notice(view, "E-mail address saved.")
    search(view, "Jo")
    add_result(view, "Mary Johnson")
    assert invitees_header(view) == "*Users to invite* (6)"
    assert view.submit().closed  # Both platforms is the default: one e-mail each, both stores in it
    app.wait_for_outbox(timeout=60)
    messages = sink.wait_for(6, timeout=30)
    assert len(messages) == 6 and len({m["Message-ID"] for m in messages}) == 6
    john = [m for m in messages if m["To"] == "john.doe@example.com"]
    assert [str(m["Subject"]) for m in john] == ["Set up Acronis Access on your iOS / Android device"]
    stores = {
        "iOS": Settings.model_fields["ios_app_url"].default,
        "Android": Settings.model_fields["android_app_url"].default,
    }
    for message in john:
        html = html_body(message)
        # Both stores in both parts; the QR code travels inside the message (multipart/related).
        for body, written in ((plain_body(message), str), (html, escape)):
            assert written(stores["iOS"]) in body and written(stores["Android"]) in body
        assert 'src="cid:invitation-link-qr@deskops"' in html
        assert [p.get_content_type() for p in message.walk() if p["Content-ID"]] == ["image/png"]
        [link] = set(landing_links(message))
        # The HTML part's main button records "opened", then hands over to the app's deep link.
        assert f'href="{link}/open"' in html
        with app.http() as http:
            page = http.get(link)
            opened = http.get(f"{link}/open", follow_redirects=False)
        assert page.status_code == 200 and "username=jdoe" in page.text
        assert opened.status_code == 303
        assert opened.headers["location"].startswith("acronisaccess://enroll?server=")
        assert "username=jdoe" in opened.headers["location"]
    assert "6 invitations sent" in slack_emulator.channel(HELPDESK_CHANNEL).last_message().all_text()


def button_value(view: ViewHandle, action_id: str) -> str:
    return next(
        str(e["value"])
        for b in view.blocks
        if b["type"] in ("actions", "section")
        for e in (b.get("elements") or [b.get("accessory") or {}])
        if e.get("action_id") == action_id
    )


def test_directory_failures_are_shown_in_the_modal(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, slapd_server: Slapd
) -> None:
    seed_helpdesk(slack_emulator)
    with run_app(
        slack_emulator,
        database_url,
        tmp_path,
        directory_url=slapd_server.url,
        directory_bind_dn=READER_DN,
        directory_bind_password="wrong-password",
        directory_profile="openldap",
    ):
        view = open_invite(slack_emulator.person(HELPDESK_USER))
        search(view, "Jo")
        text = view.all_text()
        assert f"refused the bind for {READER_DN}" in text and "DIRECTORY_BIND_PASSWORD" in text
        assert "wrong-password" not in text


def test_a_tls_name_mismatch_holds_the_batch_until_retry(
    slack_emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    make_smtp_sink: Callable[..., SmtpSink],
    smtp_ca: trustme.CA,
) -> None:
    """The Access Server manual's warning: the certificate must match the SMTP host name."""
    wrong_name = smtp_ca.issue_cert("mail.example.net")
    sink = make_smtp_sink(starttls=True, tls_cert=wrong_name, auth={SMTP_USER: SMTP_PASSWORD})
    seed_helpdesk(slack_emulator)
    with run_app(
        slack_emulator,
        database_url,
        tmp_path,
        smtp_url=sink.url_for(user=SMTP_USER, password=SMTP_PASSWORD, starttls=True),
    ) as app:
        helen = slack_emulator.person(HELPDESK_USER)
        view = open_invite(helen)
        search(view, "Sales")
        add_result(view, "Sales")
        view.fill("devices", "2")
        view.wait_for_update()
        assert view.submit().closed
        card = slack_emulator.channel(HELPDESK_CHANNEL).wait_for_message(
            lambda m: "does not match the host name" in m.all_text(), timeout=15
        )
        text = card.all_text()
        assert "use the name on the certificate" in text and "mail.example.net" in text
        assert "Nothing is lost" in text and sink.messages == []
        # The administrator fixes SMTP_URL (here: the server gets the right certificate) and presses Retry.
        sink.stop()
        good = make_smtp_sink(starttls=True, auth={SMTP_USER: SMTP_PASSWORD}, port=sink.port)
        helen.click(slack_emulator.channel(HELPDESK_CHANNEL).last_message(), "enroll.batch.retry")
        app.wait_for_outbox(timeout=30)
        delivered = good.wait_for(8, timeout=20)  # 4 members of Sales x 2 devices
        assert len(delivered) == 8 and len({m["Message-ID"] for m in delivered}) == 8
        final = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
        assert "8 invitations sent" in final.all_text()
        with app.deps.db.transaction() as session:
            assert retry_failed(session, now=app.deps.clock.now()) == 0  # nothing left waiting
