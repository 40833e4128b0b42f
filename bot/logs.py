"""Logging set-up: one line per event (LOG_FORMAT=text) or one JSON object per line
(LOG_FORMAT=json), secrets scrubbed from everything that is written."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.log_context import current

PATTERNS = [
    re.compile(r"xox[abposre]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?<=/activate/)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?<=/enroll/)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?<=://)([^:/@\s]+):([^@\s]+)@"),  # user:password@ in URLs
    re.compile(r"(?i)(password|secret|token)=([^&\s]+)"),
]
# The same keys inside JSON ("token": "…"), also as a form field holds it (%22token%22%3A%22…%22).
JSON_SECRETS = re.compile(r'(?i)("(?:password|secret|token)"\s*:\s*")[^"]*(")')
FORM_JSON_SECRETS = re.compile(r"(?i)(%22(?:password|secret|token)%22%3A%22).*?(%22)")
# Bolt logs the whole body of every request whose signature it refused: anyone can send those,
# and they hold what people typed and Slack's verification token. The refusal is kept, not the body.
REFUSED_BODY = re.compile(
    r"(Invalid request signature detected \(signature: [^,]*, timestamp: [^,]*), body: .*", re.S
)

# PostgreSQL names the values of a violated key in its error (DETAIL: Key (email)=(ann@x.example)
# already exists); SQLAlchemy's hide_parameters covers the bound parameters, not the server's text.
KEY_VALUES = re.compile(r"(Key \([^)]*\))=\((.*?)\)(?= already exists| is not present| conflicts)")


# SQLAlchemy's error text lists the statement's parameters (what people typed, e-mail addresses,
# hashes): whatever the engine's settings, a log line keeps the statement and drops them.
SQL_PARAMETERS = re.compile(r"^\[parameters: .*$", re.M)


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        text = REFUSED_BODY.sub(r"\1; body not logged)", text)
        text = SQL_PARAMETERS.sub("[parameters not logged]", text)
        text = JSON_SECRETS.sub(r"\1***\2", text)
        text = FORM_JSON_SECRETS.sub(r"\1***\2", text)
        text = KEY_VALUES.sub(r"\1=(***)", text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        for pattern in PATTERNS:
            if pattern.groups == 2:
                text = pattern.sub(
                    lambda m: f"{m.group(1)}:***@" if m.group(0).endswith("@") else f"{m.group(1)}=***", text
                )
            else:
                text = pattern.sub("***", text)
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(RedactingFormatter):
    """One JSON object per line: time, level, logger, message, request_id, slack_user, slack_team,
    error_reference (the one quoted to the person), and the traceback, every field redacted."""

    FIELDS = ("request_id", "slack_user", "slack_team", "error_reference")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(message)s", secrets)

    def format(self, record: logging.LogRecord) -> str:
        context = current()
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            value = getattr(record, name, None) or context.get(name)
            entry[name] = str(value) if value is not None else None
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        redacted = {
            key: self.redact(value) if isinstance(value, str) else value for key, value in entry.items()
        }
        return json.dumps(redacted)  # ASCII: no character a reader could take for a line break


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def make_formatter(log_format: str = "text", secrets: Iterable[str] = ()) -> RedactingFormatter:
    return JsonFormatter(secrets) if log_format == "json" else RedactingFormatter(TEXT_FORMAT, secrets)


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(log_format, secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("uvicorn.access", "slack_sdk.web.base_client", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
