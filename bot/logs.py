"""Logging set-up: one line per event, secrets scrubbed from everything that is written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

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


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        text = REFUSED_BODY.sub(r"\1; body not logged)", text)
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


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("uvicorn.access", "slack_sdk.web.base_client", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
