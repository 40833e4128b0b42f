"""Log lines never carry secrets: configured ones, Slack tokens, link tokens, URL passwords."""

from __future__ import annotations

import logging

from bot.logs import RedactingFormatter
from bot.web.edge import loggable_path


def formatted(message: str, *args: object, secrets: tuple[str, ...] = ()) -> str:
    formatter = RedactingFormatter("%(message)s", secrets)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)
    return formatter.format(record)


def test_known_secrets_and_token_shapes_are_scrubbed() -> None:
    line = formatted(
        "token %s secret %s app %s",
        "xoxb-123-456-abcdef",
        "s1gning-s3cret",
        "xapp-1-A0-xyz",
        secrets=("s1gning-s3cret",),
    )
    assert line == "token *** secret *** app ***"


def test_link_tokens_and_url_passwords_are_scrubbed() -> None:
    line = formatted(
        "GET https://d.example/activate/AbCdEf0123456789_-xyz and smtp://helpdesk:p4ss@mail:587 "
        "password=hunter2&x=1"
    )
    assert "AbCdEf0123456789" not in line and "p4ss" not in line and "hunter2" not in line
    assert "smtp://helpdesk:***@mail:587" in line and "password=***" in line


def test_tracebacks_are_scrubbed_too() -> None:
    formatter = RedactingFormatter("%(message)s", ("hunter2-secret",))
    try:
        raise RuntimeError("login failed with hunter2-secret")
    except RuntimeError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    assert "hunter2-secret" not in formatter.format(record)


def test_access_log_paths_hide_link_tokens() -> None:
    assert loggable_path("/activate/abc123def456") == "/activate/…"
    assert loggable_path("/enroll/abc123def456/android") == "/enroll/…/android"
    assert loggable_path("/slack/events") == "/slack/events"
