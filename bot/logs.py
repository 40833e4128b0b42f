"""Logging set-up: one line per event (LOG_FORMAT=text) or one JSON object per line
(LOG_FORMAT=json), secrets scrubbed from everything that is written.

A request's thread only hands its records to a queue; one writer thread formats, scrubs and
writes them (the standard library's QueueHandler and QueueListener). In a server the writer waits
while Slack requests wait for their acks (bot.traffic): with the GIL every thread shares one CPU,
and writing the two lines of each request of a burst of 50 as they came cost each ack a quarter
of a millisecond of CPU more. The lines are written when the acks are out, at most a second late.
"""

from __future__ import annotations

import atexit
import copy
import json
import logging
import logging.handlers
import queue
import re
import sys
from collections.abc import Callable, Iterable
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


# Every pattern above needs one of these in the text (compared in lower case): a line with none of
# them (most lines: "POST /slack/events 200 12.3ms") is not searched 11 times.
NEEDS_SEARCH = (
    "xox",
    "xapp-",
    "/activate/",
    "/enroll/",
    "://",
    "password",
    "secret",
    "token",
    "key (",
    "[parameters:",
    "invalid request signature",
)


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        lowered = text.lower()
        if any(marker in lowered for marker in NEEDS_SEARCH):
            text = self._search_and_scrub(text)
        return text

    def _search_and_scrub(self, text: str) -> str:
        text = REFUSED_BODY.sub(r"\1; body not logged)", text)
        text = SQL_PARAMETERS.sub("[parameters not logged]", text)
        text = JSON_SECRETS.sub(r"\1***\2", text)
        text = FORM_JSON_SECRETS.sub(r"\1***\2", text)
        text = KEY_VALUES.sub(r"\1=(***)", text)
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


class HandOff(logging.handlers.QueueHandler):
    """Queues a record with what only the thread that logged it knows: the message with its
    arguments (they may change before the writer gets to it), the request's context (request id,
    Slack user and team: context variables of that thread) and the traceback as text."""

    def __init__(self, records: queue.SimpleQueue[logging.LogRecord], writer: LogWriter) -> None:
        super().__init__(records)
        self.writer = writer

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        prepared = copy.copy(record)
        prepared.msg, prepared.args = record.getMessage(), None
        for name, value in current().items():
            if getattr(prepared, name, None) is None:
                setattr(prepared, name, value)
        if record.exc_info:
            prepared.exc_text = prepared.exc_text or TRACEBACKS.formatException(record.exc_info)
            prepared.exc_info = None
        return prepared


TRACEBACKS = logging.Formatter()
WRITE_PATIENCE = 1.0  # seconds a line waits for the acks of a burst to go out, at most


class BetweenBursts(logging.handlers.QueueListener):
    """Writes records once `lull` (bot.traffic.RequestTraffic.lull) says no ack is waiting, or
    its patience ran out; the records queued while it waited are written without waiting again,
    so that requests that never stop delay lines by a second, not one second a line."""

    def __init__(self, records: queue.SimpleQueue[logging.LogRecord], handler: logging.Handler) -> None:
        super().__init__(records, handler)
        self.records = records
        self.lull: Callable[[float], bool] | None = None
        self._owed = 0  # records queued during the last wait, to be written without another

    def dequeue(self, block: bool) -> logging.LogRecord:
        record: logging.LogRecord = super().dequeue(block)
        if self._owed > 0:
            self._owed -= 1
        elif self.lull is not None:
            self.lull(WRITE_PATIENCE)
            self._owed = self.records.qsize()
        return record


class LogWriter:
    """The root logger's queue and the thread that writes it (see the module's docstring)."""

    def __init__(self, handler: logging.Handler) -> None:
        self.handler = handler
        self.records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self.hand_off = HandOff(self.records, self)
        self.listener = BetweenBursts(self.records, handler)
        self._stopped = False

    def start(self) -> None:
        """Takes the place of the root logger's handlers (a writer before it is stopped)."""
        root = logging.getLogger()
        for earlier in [handler for handler in root.handlers if isinstance(handler, HandOff)]:
            earlier.writer.stop()
        for existing in list(root.handlers):
            root.removeHandler(existing)
        root.addHandler(self.hand_off)
        self.listener.start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Writes what is queued; later records (the interpreter shutting down) are written at once."""
        if self._stopped:
            return
        self._stopped = True
        root = logging.getLogger()
        if self.hand_off in root.handlers:
            root.addHandler(self.handler)
            root.removeHandler(self.hand_off)
        self.listener.stop()
        atexit.unregister(self.stop)


def write_between_bursts(lull: Callable[[float], bool]) -> None:
    """The server's log lines wait for `lull` (see BetweenBursts), once logging is configured."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, HandOff):
            handler.writer.listener.lull = lull


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(log_format, secrets))
    LogWriter(handler).start()
    # No line shows where it was logged from (file, line, function): the logging HOWTO's
    # "Optimization" says to skip finding it, a frame walk for every record.
    logging._srcfile = None
    root = logging.getLogger()
    root.setLevel(level)
    for noisy in ("uvicorn.access", "slack_sdk.web.base_client", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
