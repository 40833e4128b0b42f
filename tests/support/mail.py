"""Builders and helpers for mail tests (any ring): an OutgoingEmail, the MailError an action raises."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.integrations.mail.port import Mailer, MailError, OutgoingEmail

MAIL_FROM = "helpdesk@example.com"

# connect(smtp_url) -> a Mailer, closed after the test (fixture in tests/integration/conftest.py)
Connect = Callable[[str], Mailer]


def outgoing_email(
    number: int = 1, *, to: str = "jane.doe@example.com", html: str = "<p>Hello</p>"
) -> OutgoingEmail:
    """A small message whose Message-ID is `<outbox-{number}@deskops>`."""
    return OutgoingEmail(
        to=to, subject=f"Message {number}", text="Hello", html=html, message_id=f"outbox-{number}"
    )


def raised_mail_error(action: Callable[[], object]) -> MailError:
    """The MailError `action()` raises (the test fails if it raises nothing)."""
    with pytest.raises(MailError) as caught:
        action()
    return caught.value
