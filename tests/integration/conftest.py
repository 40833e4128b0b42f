"""Fixtures for integration tests: the real SMTP sink (see tests/support/smtp_sink.py) and mailers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.integrations.mail.factory import build_mailer
from bot.integrations.mail.port import Mailer
from tests.support.mail import MAIL_FROM, Connect
from tests.support.smtp_sink import (  # noqa: F401 - pytest finds fixtures by name
    make_smtp_sink,
    smtp_ca,
    smtp_ca_file,
    smtp_server_cert,
    smtp_sink,
)


@pytest.fixture
def connect() -> Iterator[Connect]:
    """`connect(smtp_url)` -> the mailer SMTP_URL names (From: helpdesk@example.com), closed after."""
    opened: list[Mailer] = []

    def make(url: str) -> Mailer:
        mailer = build_mailer(url, mail_from=MAIL_FROM, timeout=5)
        opened.append(mailer)
        return mailer

    yield make
    for mailer in opened:
        mailer.close()
