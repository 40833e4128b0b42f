"""Activation over a real SMTP server (STARTTLS and login), an SMTP outage, and the logs of it all."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bot.logs import RedactingFormatter
from bot.outbox.service import retry_failed
from bot.serve import secrets_of
from console import SlackEmulator
from tests.e2e.backup_flows import activation_link, add_user_with_backup
from tests.support.app import RunningApp, run_app
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk
from tests.support.smtp_sink import SmtpSink

SMTP_USER = "helpdesk@msp.example"
SMTP_PASSWORD = "sm7p-pa55word-for-tests"


@pytest.fixture
def mail_app(
    slack_emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    make_smtp_sink: Callable[..., SmtpSink],
    smtp_ca_file: Path,
) -> object:
    sink = make_smtp_sink(starttls=True, auth={SMTP_USER: SMTP_PASSWORD}, require_auth=True)
    url = sink.url_for(user=SMTP_USER, password=SMTP_PASSWORD, starttls=True, cafile=smtp_ca_file)
    seed_helpdesk(slack_emulator)
    with run_app(
        slack_emulator, database_url, tmp_path, smtp_url=url, mail_from="helpdesk@msp.example"
    ) as app:
        yield app, sink


def test_activation_mail_goes_over_smtp_and_its_link_works(
    mail_app: tuple[RunningApp, SmtpSink], slack_emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    app, sink = mail_app
    caplog.set_level(logging.DEBUG)
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex")
    app.wait_for_outbox()
    helen.click(slack_emulator.channel(HELPDESK_CHANNEL).last_message(), "backup.user.activate")
    app.wait_for_outbox()
    [mail] = sink.wait_for(1, timeout=10)
    assert mail["To"] == "john.doe@example.com" and mail["From"] == "helpdesk@msp.example"
    assert mail.get_body(preferencelist=("html",)) is not None
    link = activation_link(mail)
    password = "a long and secret passphrase"
    with httpx.Client(timeout=10) as http:
        assert http.post(link, data={"password": password, "confirmation": password}).status_code == 200
    app.wait_for_outbox()
    token = link.rsplit("/", 1)[1]
    # Leave out what the test's own tools log: its SMTP server (aiosmtpd, "mail.log") logs the
    # mail it receives, and the test's HTTP client (httpx, on this thread) the URL it opens.
    ours = [
        record
        for record in caplog.records
        if not record.name.startswith("mail.log")
        and not (record.name.startswith(("httpx", "httpcore")) and record.threadName == "MainThread")
    ]
    # Nothing secret is logged, not even at DEBUG before the formatter scrubs it...
    raw = "\n".join(record.getMessage() for record in ours)
    for secret in (token, password, SMTP_PASSWORD):
        assert secret not in raw
    # ...and what the configured formatter writes has no Slack token or signing secret either.
    formatter = RedactingFormatter("%(message)s", secrets_of(app.settings))
    written = "\n".join(formatter.format(record) for record in ours)
    for secret in (token, password, SMTP_PASSWORD, slack_emulator.bot_token, slack_emulator.signing_secret):
        assert secret not in written


def test_an_smtp_outage_loses_nothing_and_sends_once(
    mail_app: tuple[RunningApp, SmtpSink], slack_emulator: SlackEmulator
) -> None:
    app, sink = mail_app
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex")
    app.wait_for_outbox()
    sink.stop()
    helen.click(slack_emulator.channel(HELPDESK_CHANNEL).last_message(), "backup.user.activate")
    slack_emulator.wait_until(
        lambda: any(
            kind == "accounts.activation_email" and error and "refused the connection" in error
            for kind, _, error in app.outbox_rows()
        ),
        timeout=10,
        message="the failed attempt to be recorded",
    )
    sink.restart()
    with app.deps.db.transaction() as session:
        retry_failed(session, now=app.deps.clock.now())
    app.wait_for_outbox()
    [mail] = sink.wait_for(1, timeout=10)
    assert mail["To"] == "john.doe@example.com"
    assert len(sink.messages) == 1
    assert app.failed_outbox() == []
