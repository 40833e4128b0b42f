"""Secrets never reach the logs: a check of everything the test suite logs, in every test.

Registered for the whole suite in tests/conftest.py. In every test process it

- learns every secret the tests use: each `Settings` built (Slack bot and app tokens, signing
  secret, SMTP, LDAP and Acronis passwords, the enrollment API key, SECRET_KEY, a password in
  DATABASE_URL), every link token deskops derives (`LinkTokens.token`: the tokens of activation
  and invitation links), every password typed on an activation page, and what tests register
  with `register_secret` (e.g. the link tokens in e-mails a `deskops serve` subprocess sent);
- keeps every log record at INFO and above (`LOG_LEVEL`'s default);
- after each test, checks that test's records twice: formatted by the app's `RedactingFormatter`
  exactly as `deskops serve` formats them (given `secrets_of(settings)`), and the raw messages of
  deskops' own loggers (`bot.*`, `commands.*`, `blocks.*`, `deskops.*`), which must not rely on
  the formatter. Any known secret found fails the test, naming the logger and the secret's kind.

Records logged between tests (fixtures of wider scope) are checked when the session ends; each
process writes what it checked to test-artifacts/reliability/secret-scan-<worker>.json.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest

from bot.config import Settings
from bot.logs import RedactingFormatter
from bot.serve import secrets_of
from bot.tokens import LinkTokens
from tests.support.paths import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "reliability"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # as bot.logs.configure_logging
APP_LOGGERS = ("bot", "commands", "blocks", "deskops")
# Shorter values (e.g. "s3cret") are too likely to occur in ordinary words to be told apart.
MIN_SECRET_LENGTH = 8
# Link tokens: an HMAC-SHA256 in URL-safe base64 without padding (bot/tokens.py).
TOKEN_LENGTH = 43
TOKEN = re.compile(rf"[A-Za-z0-9_\-]{{{TOKEN_LENGTH}}}")
TOKEN_RUN = re.compile(rf"[A-Za-z0-9_\-]{{{TOKEN_LENGTH},}}")


@dataclass(frozen=True)
class Leak:
    kind: str  # what the secret is ("link token", "SMTP_URL password"…), never the secret itself
    logger: str
    where: str  # "formatted" (what deskops serve writes) or "raw" (deskops' own message)
    excerpt: str  # the log line with the secret replaced by <kind>


@dataclass
class SecretRegistry:
    """Every secret this test process has seen, by kind."""

    secrets: dict[str, str] = field(default_factory=dict)  # value -> kind
    deployment: set[str] = field(default_factory=set)  # what deskops serve hands its formatter
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, value: str | None, kind: str, *, deployment: bool = False) -> None:
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        with self.lock:
            for variant in {value, quote(value, safe=""), unquote(value)}:
                if len(variant) >= MIN_SECRET_LENGTH:
                    self.secrets.setdefault(variant, kind)
            if deployment:
                self.deployment.add(value)

    def add_settings(self, settings: Settings) -> None:
        for value in secrets_of(settings):
            self.add(value, "a configured secret", deployment=True)
        for name in ("slack_bot_token", "slack_signing_secret", "slack_app_token", "enrollment_api_key"):
            secret = getattr(settings, name)
            self.add(secret.get_secret_value() if secret else None, name.upper())
        for name in ("acronis_client_secret", "directory_bind_password", "secret_key"):
            secret = getattr(settings, name)
            self.add(secret.get_secret_value() if secret else None, name.upper())
        for name, url in (
            ("SMTP_URL", settings.smtp_url.get_secret_value()),
            ("DATABASE_URL", settings.database_url),
        ):
            try:
                password = urlsplit(url).password
            except ValueError:
                password = None
            self.add(password, f"{name} password")

    def snapshot(self) -> tuple[dict[str, str], list[str]]:
        with self.lock:
            return dict(self.secrets), sorted(self.deployment)


class CapturingHandler(logging.Handler):
    """Keeps every record (with its exception text) until the test that logged it is checked."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self._records_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        with self._records_lock:
            self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        with self._records_lock:
            taken, self.records = self.records, []
        return taken


def _raw_text(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is itself worth seeing, not a crash here
        message = f"{record.msg!r} % {record.args!r}"
    return "\n".join(filter(None, [message, record.exc_text, record.stack_info]))


@dataclass(frozen=True)
class SecretIndex:
    """Known secrets, ready to look for: link tokens (thousands of them) by their shape, through a
    set, the others one by one."""

    tokens: dict[str, str]
    others: list[tuple[str, str]]

    @classmethod
    def of(cls, secrets: dict[str, str]) -> SecretIndex:
        tokens = {value: kind for value, kind in secrets.items() if TOKEN.fullmatch(value)}
        others = sorted(
            ((value, kind) for value, kind in secrets.items() if value not in tokens),
            key=lambda item: len(item[0]),
            reverse=True,
        )
        return cls(tokens, others)

    def found(self, text: str) -> list[tuple[str, str]]:
        hits = [(value, kind) for value, kind in self.others if value in text]
        for run in TOKEN_RUN.finditer(text):
            word = run.group(0)
            for start in range(len(word) - TOKEN_LENGTH + 1):
                kind = self.tokens.get(word[start : start + TOKEN_LENGTH])
                if kind is not None:
                    hits.append((word[start : start + TOKEN_LENGTH], kind))
        return hits


def find_leaks(
    records: Iterable[logging.LogRecord], secrets: dict[str, str], deployment: Iterable[str]
) -> list[Leak]:
    """Known secrets in the records as deskops serve writes them, and in deskops' raw messages."""
    formatter = RedactingFormatter(LOG_FORMAT, deployment)
    index = SecretIndex.of(secrets)
    leaks: list[Leak] = []
    for record in records:
        texts = [("formatted", formatter.format(record))]
        if record.name.split(".")[0] in APP_LOGGERS:
            texts.append(("raw", _raw_text(record)))
        for where, text in texts:
            leaks.extend(_leaks_in(text, index, logger=record.name, where=where))
    return leaks


def find_leaks_in_text(text: str, secrets: dict[str, str], *, source: str) -> list[Leak]:
    """Known secrets in a log file some other process wrote (e.g. a `deskops serve` subprocess)."""
    index = SecretIndex.of(secrets)
    leaks: list[Leak] = []
    for line in text.splitlines():
        leaks.extend(_leaks_in(line, index, logger=source, where="formatted"))
    return leaks


def _leaks_in(text: str, index: SecretIndex, *, logger: str, where: str) -> Iterator[Leak]:
    found = index.found(text)
    if not found:
        return
    excerpt = text
    for secret, kind in found:
        excerpt = excerpt.replace(secret, f"<{kind}>")
    for _, kind in found:
        yield Leak(kind=kind, logger=logger, where=where, excerpt=excerpt[:300])


@dataclass
class ScanTotals:
    records: int = 0
    leaks: list[Leak] = field(default_factory=list)


REGISTRY = SecretRegistry()
HANDLER = CapturingHandler()
TOTALS = ScanTotals()


def register_secret(value: str, kind: str) -> None:
    """A secret the suite knows of that deskops did not derive in this process."""
    REGISTRY.add(value, kind)


def known_secrets() -> dict[str, str]:
    return REGISTRY.snapshot()[0]


def check_records(records: list[logging.LogRecord]) -> list[Leak]:
    secrets, deployment = REGISTRY.snapshot()
    leaks = find_leaks(records, secrets, deployment)
    TOTALS.records += len(records)
    TOTALS.leaks.extend(leaks)
    return leaks


def describe(leaks: list[Leak]) -> str:
    lines = [f"{leak.kind} in the {leak.where} log of {leak.logger}: {leak.excerpt}" for leak in leaks[:10]]
    more = f"\n  … and {len(leaks) - 10} more" if len(leaks) > 10 else ""
    return "secrets reached the logs:\n  " + "\n  ".join(lines) + more


# --- learning the secrets ---------------------------------------------------------------------


def _wrap(owner: Any, name: str, learn: Callable[..., None], *, before: bool = False) -> None:
    """Call `learn(result, *args, **kwargs)` after `owner.name` (or `learn(*args, **kwargs)` before it)."""
    original = getattr(owner, name)
    if getattr(original, "_deskops_secret_watch", False):
        return

    def watched(*args: Any, **kwargs: Any) -> Any:
        if before:
            learn(*args, **kwargs)
            return original(*args, **kwargs)
        result = original(*args, **kwargs)
        learn(result, *args, **kwargs)
        return result

    watched._deskops_secret_watch = True  # type: ignore[attr-defined]
    setattr(owner, name, watched)


def _install_watches() -> None:
    from bot.console.models import AppIdentity

    # Slack puts the app's (legacy) verification token in every request body it sends.
    REGISTRY.add(AppIdentity().verification_token, "Slack verification token")
    from bot.accounts import activation as accounts_activation

    _wrap(Settings, "__init__", lambda _result, settings, *a, **k: REGISTRY.add_settings(settings))
    _wrap(LinkTokens, "token", lambda token, *a, **k: REGISTRY.add(token, "link token"))
    _wrap(
        accounts_activation,
        "check_password",
        lambda password, *a, **k: REGISTRY.add(password, "password typed on the activation page"),
        before=True,
    )


def _attach_handler() -> None:
    root = logging.getLogger()
    if HANDLER not in root.handlers:  # bot.logs.configure_logging replaces the root handlers
        root.addHandler(HANDLER)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


# --- pytest hooks -----------------------------------------------------------------------------


def _worker_name() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def pytest_configure(config: pytest.Config) -> None:
    _install_watches()
    _attach_handler()
    # What deskops serve quietens (bot.logs.configure_logging); they are scanned all the same.
    for noisy in ("uvicorn.access", "slack_sdk.web.base_client", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not hasattr(config, "workerinput"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for stale in ARTIFACTS.glob("secret-scan-*.json"):
            stale.unlink()


@pytest.fixture(autouse=True)
def _no_secrets_in_logs() -> Iterator[None]:
    """Fails the test whose logs hold a known secret (checked after every other fixture ended)."""
    _attach_handler()
    between = HANDLER.take()  # logged between tests: checked now, with what is known so far
    leaks_before = check_records(between)
    yield
    leaks = check_records(HANDLER.take())
    if leaks or leaks_before:
        pytest.fail(describe(leaks_before + leaks), pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    check_records(HANDLER.take())
    secrets, _ = REGISTRY.snapshot()
    kinds: dict[str, int] = {}
    for kind in secrets.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    report = {
        "worker": _worker_name(),
        "records_checked": TOTALS.records,
        "secrets_known": len(secrets),
        "secrets_by_kind": kinds,
        "leaks": [leak.__dict__ for leak in TOTALS.leaks],
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"secret-scan-{_worker_name()}.json").write_text(json.dumps(report, indent=2))


def scan_reports(folder: Path = ARTIFACTS) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("secret-scan-*.json"))]
