"""Fixtures for integration tests (the SMTP sink and slapd fixtures come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.integrations.mail.factory import build_mailer
from bot.integrations.mail.port import Mailer
from tests.support.mail import MAIL_FROM, Connect


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
