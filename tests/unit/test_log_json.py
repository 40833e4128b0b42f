"""LOG_FORMAT=json: one JSON object per line, with the request's id, the Slack user and team and the
error reference a person was shown; every field redacted; no SQL parameters in tracebacks."""

from __future__ import annotations

import json
import logging
import re

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.log_context import new_request_id, request_context, slack_context
from bot.logs import JsonFormatter, make_formatter
from commands.errors import answer_for

SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
KEYS = {"time", "level", "logger", "message", "request_id", "slack_user", "slack_team", "error_reference"}


def record(
    message: str, *args: object, exc: BaseException | None = None, **extra: object
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    made = logging.LogRecord("deskops.test", logging.ERROR, __file__, 1, message, args, exc_info)
    made.__dict__.update(extra)
    return made


def as_json(line: str) -> dict[str, object]:
    assert "\n" not in line and "\u2028" not in line
    parsed = json.loads(line)
    assert isinstance(parsed, dict)
    return parsed


def test_a_line_is_one_object_with_the_request_and_the_slack_ids() -> None:
    formatter = JsonFormatter((SIGNING_SECRET,))
    with request_context("req-0123456789"), slack_context("U0HELEN01", "T0MSP0001"):
        line = formatter.format(record("answered %s\nsecond line\u2028third", "/backup help"))
    entry = as_json(line)
    assert set(entry) == KEYS
    assert entry["message"] == "answered /backup help\nsecond line\u2028third"
    assert entry["request_id"] == "req-0123456789"
    assert (entry["slack_user"], entry["slack_team"]) == ("U0HELEN01", "T0MSP0001")
    assert entry["level"] == "ERROR" and entry["logger"] == "deskops.test"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", str(entry["time"]))
    outside = as_json(formatter.format(record("no request")))
    assert outside["request_id"] is None and outside["slack_user"] is None


def test_only_slack_shaped_ids_and_sane_request_ids_are_kept() -> None:
    formatter = JsonFormatter()
    with slack_context("U0X\nFAKE line", {"id": "T1"}):
        entry = as_json(formatter.format(record("x")))
    assert entry["slack_user"] is None and entry["slack_team"] is None
    assert new_request_id("proxy-id-12345678") == "proxy-id-12345678"
    assert new_request_id("bad id\r\n") != "bad id\r\n"


def test_every_field_is_redacted() -> None:
    formatter = JsonFormatter((SIGNING_SECRET,))
    try:
        raise RuntimeError(f"login failed with {SIGNING_SECRET} and xoxb-1-2-abcdef")
    except RuntimeError as error:
        line = formatter.format(
            record(
                "calling smtp://helpdesk:hunter2pass@mail:587 with token=%s",
                "xapp-1-A0-xyz",
                exc=error,
                error_reference=f"ref {SIGNING_SECRET}",
            )
        )
    entry = as_json(line)
    for secret in (SIGNING_SECRET, "xoxb-1-2-abcdef", "hunter2pass", "xapp-1-A0-xyz"):
        assert secret not in line
    assert "RuntimeError: login failed with ***" in str(entry["exception"])
    assert entry["error_reference"] == "ref ***"


def test_tracebacks_keep_the_statement_and_drop_its_parameters() -> None:
    engine = create_engine("sqlite://", hide_parameters=False)
    try:
        with engine.connect() as connection:
            connection.execute(
                text("SELECT * FROM missing WHERE email = :email"), {"email": "ceo@acme.example"}
            )
    except SQLAlchemyError as error:
        caught = error
    assert "ceo@acme.example" in str(caught)  # what the engine would have said
    for formatter in (make_formatter("json"), make_formatter("text")):
        line = formatter.format(record("query failed", exc=caught))
        assert "ceo@acme.example" not in line
        assert "SELECT * FROM missing WHERE email" in line and "[parameters not logged]" in line


def test_the_reference_a_person_is_shown_is_the_one_logged() -> None:
    captured: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    logger = logging.getLogger("commands.errors")
    handler = Keep()
    logger.addHandler(handler)
    try:
        text_shown, _ = answer_for(ValueError("boom"))
    finally:
        logger.removeHandler(handler)
    [logged] = captured
    entry = as_json(JsonFormatter().format(logged))
    shown = re.search(r"reference ([0-9a-f]{8})", text_shown)
    assert shown is not None and entry["error_reference"] == shown.group(1)
    assert "ValueError: boom" in str(entry["exception"])
    assert entry["message"] == f"unexpected error (reference {shown.group(1)})"


def test_a_log_format_other_than_json_is_text() -> None:
    line = make_formatter("text").format(record("plain"))
    assert not line.startswith("{") and line.endswith("ERROR deskops.test: plain")
