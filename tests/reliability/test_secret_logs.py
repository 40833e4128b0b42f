"""The check that no secret reaches the logs (tests/support/log_secrets.py) runs after every test
of the suite; these tests make sure it can fail: it sees what the app logs, and it finds secrets
in what deskops serve would write and in deskops' own raw messages."""

from __future__ import annotations

import logging

from bot.logs import RedactingFormatter
from bot.tokens import LinkTokens
from tests.support.log_secrets import HANDLER, LOG_FORMAT, SecretRegistry, find_leaks
from tests.support.reliability import Figures

SECRET_KEY = "a-secret-key-for-this-test-only-0123456789"


def record(name: str, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)


def test_every_record_the_app_logs_is_checked(figures: Figures) -> None:
    logging.getLogger("bot.reliability.probe").info("probe %s", "seen")
    logging.getLogger("slack_bolt.Probe").info("probe from a library")
    messages = [r.getMessage() for r in HANDLER.records]
    assert "probe seen" in messages and "probe from a library" in messages
    figures.add("scanner probes", 2)


def test_a_link_token_in_an_app_message_is_found_even_when_the_formatter_hides_it(figures: Figures) -> None:
    registry = SecretRegistry()
    token = LinkTokens(SECRET_KEY.encode()).token("invitation", "0123456789abcdef")
    registry.add(token, "link token")
    registry.add(SECRET_KEY, "SECRET_KEY")
    secrets, deployment = registry.snapshot()
    opened = record("bot.web.enrollment", "opened https://deskops.example/enroll/%s", token)
    [leak] = find_leaks([opened], secrets, deployment)
    assert (leak.kind, leak.where) == ("link token", "raw")  # the formatter's pattern hid it; still a leak
    assert token not in leak.excerpt
    key = record("sqlalchemy.engine", "connect with key=%s", SECRET_KEY)
    assert [(leak.kind, leak.where) for leak in find_leaks([key], secrets, deployment)] == [
        ("SECRET_KEY", "formatted")
    ]
    percent_encoded = record("bot.integrations.mail.smtp", "login as helpdesk:%s", "p%40ss-word-1234")
    registry.add("p@ss-word-1234", "SMTP_URL password")
    assert find_leaks([percent_encoded], *registry.snapshot())
    figures.add("planted secrets found", 3)


def test_refused_requests_are_logged_without_their_body(figures: Figures) -> None:
    """Bolt logs the body of every request whose signature it refuses; anyone can send one, and
    it carries Slack's verification token and whatever a person typed."""
    formatter = RedactingFormatter(LOG_FORMAT)
    refused = record(
        "slack_bolt.RequestVerification",
        "Invalid request signature detected (signature: %s, timestamp: %s, body: %s)",
        "v0=00",
        "1700000000",
        "payload=%7B%22token%22%3A%22verification-token-1%22%2C%22phone%22%3A%22%2B31201234567%22%7D",
    )
    line = formatter.format(refused)
    assert "Invalid request signature detected" in line and "timestamp: 1700000000" in line
    assert "verification-token-1" not in line and "31201234567" not in line
    event = record("slack_bolt.App", 'body {"token": "verification-token-2", "type": "event_callback"}')
    assert "verification-token-2" not in formatter.format(event)
    figures.add("planted secrets found", 2)
