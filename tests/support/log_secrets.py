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

It also checks what `deskops` processes the tests start write (`deskops serve`, `deskops
doctor`, `python -m deskops …`): every `subprocess.Popen` of deskops is watched, the secrets in
its environment are learnt, and its output is checked after the test, whether the test read it
with `communicate()` (as `subprocess.run(capture_output=True)` does) or the process wrote it to a
log file (`stdout=<file>`, as tests/support/deskops_process.py does). Output a test reads itself
from a pipe goes through `check_process_log(text, source=…)`.

Records logged between tests (fixtures of wider scope) are checked when the session ends; each
process writes what it checked to test-artifacts/reliability/secret-scan-<worker>.json, and a
secret found anywhere in the session fails the run (exit status 1) with the leaks listed, each
secret replaced by what kind of secret it is.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args
from urllib.parse import quote, unquote, urlsplit

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.logs import JsonFormatter, RedactingFormatter
from bot.serve import secrets_of
from bot.tokens import LinkTokens
from tests.support.paths import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "reliability"
# Where each process writes what it checked (a test that runs pytest inside pytest points its
# inner session elsewhere, so the outer session never reads the inner one's planted leaks).
SCAN_FOLDER_VARIABLE = "DESKOPS_SECRET_SCAN_DIR"
SCANS = Path(os.environ.get(SCAN_FOLDER_VARIABLE) or ARTIFACTS)
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
    where: str  # "formatted" / "json" (what deskops serve writes, LOG_FORMAT text / json) or "raw" (deskops' own message)
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

    def add_environment(self, env: Mapping[str, str]) -> None:
        """The secrets in the environment a process is started with: every setting deskops keeps
        as a secret (by its variable's name), and the password in any URL."""
        for name, value in env.items():
            key = name.upper()
            if key in SECRET_VARIABLES and not key.endswith("_URL"):
                self.add(value, key)
            if "://" in value:
                try:
                    password = urlsplit(value).password
                except ValueError:
                    password = None
                self.add(password, f"{key} password")

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
    as_json = JsonFormatter(deployment)
    index = SecretIndex.of(secrets)
    leaks: list[Leak] = []
    for record in records:
        # LOG_FORMAT=json too, each field decoded (JSON escapes would hide a secret from a text search).
        fields = json.loads(as_json.format(record)).values()
        texts = [("formatted", formatter.format(record)), ("json", "\n".join(str(v) for v in fields))]
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
    process_logs: int = 0  # outputs and log files of deskops processes checked
    process_lines: int = 0


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


# --- what deskops processes write -------------------------------------------------------------

SECRET_VARIABLES = frozenset(
    name.upper()
    for name, info in Settings.model_fields.items()
    if info.annotation is SecretStr or SecretStr in get_args(info.annotation)
)
assert {"SLACK_SIGNING_SECRET", "SECRET_KEY", "SMTP_URL"} <= SECRET_VARIABLES


def deskops_command(args: object) -> str | None:
    """`deskops serve` for a process running deskops (the `deskops` script, `python -m deskops`
    or `python -m bot.cli`), None for any other program."""
    argv = [str(arg) for arg in args] if isinstance(args, Sequence) and not isinstance(args, str) else []
    if not argv:
        return None
    if Path(argv[0]).name == "deskops":
        rest = argv[1:]
    elif "-m" in argv and argv[argv.index("-m") + 1 :][:1] in (["deskops"], ["bot.cli"]):
        rest = argv[argv.index("-m") + 2 :]
    else:
        return None
    return " ".join(["deskops", *rest[:1]])


@dataclass
class ProcessLogs:
    """What deskops processes wrote since the last check: outputs read with communicate(), and
    log files (read from where the last check stopped, so a file is never checked twice)."""

    outputs: list[tuple[str, str]] = field(default_factory=list)  # (source, text)
    files: dict[Path, str] = field(default_factory=dict)  # path -> source
    checked_up_to: dict[Path, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_output(self, source: str, text: str) -> None:
        if text:
            with self.lock:
                self.outputs.append((source, text))

    def add_file(self, source: str, path: Path) -> None:
        with self.lock:
            self.files.setdefault(path, source)

    def take(self) -> list[tuple[str, str]]:
        """Everything written since the last take, as (source, text)."""
        with self.lock:
            taken, self.outputs = self.outputs, []
            files = dict(self.files)
        for path, source in files.items():
            try:
                with path.open("rb") as log:
                    log.seek(self.checked_up_to.get(path, 0))
                    data = log.read()
            except OSError:  # the test's folder is gone: it was checked when its test ended
                continue
            if not data:
                continue
            self.checked_up_to[path] = self.checked_up_to.get(path, 0) + len(data)
            taken.append((f"{source} ({path.name})", data.decode("utf-8", errors="replace")))
        return taken


PROCESS_LOGS = ProcessLogs()


def find_process_leaks(logs: list[tuple[str, str]], secrets: dict[str, str]) -> list[Leak]:
    leaks: list[Leak] = []
    for source, text in logs:
        leaks += find_leaks_in_text(text, secrets, source=source)
    return leaks


def check_process_logs() -> list[Leak]:
    """Checks (and counts) what deskops processes wrote since the last check."""
    logs = PROCESS_LOGS.take()
    leaks = find_process_leaks(logs, known_secrets())
    TOTALS.process_logs += len(logs)
    TOTALS.process_lines += sum(len(text.splitlines()) for _, text in logs)
    TOTALS.leaks.extend(leaks)
    return leaks


def check_process_log(text: str, *, source: str, env: Mapping[str, str] | None = None) -> str:
    """The output of a deskops process a test read itself (e.g. from its stdout pipe), to be
    checked when the test ends, with the secrets of `env` (the process's environment) known.
    Returns `text`, so it wraps the call that reads it:

        logs = [check_process_log(stop(replica), source="deskops serve") for replica in replicas]
    """
    if env is not None:
        REGISTRY.add_environment(env)
    PROCESS_LOGS.add_output(source, text)
    return text


def _text(output: object) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", errors="replace")
    return output if isinstance(output, str) else ""


def _watch_processes() -> None:
    """Every deskops process a test starts: learn the secrets of its environment, and keep its
    output for the check (what communicate() returns, or the file its stdout goes to)."""
    popen = subprocess.Popen
    init, communicate = popen.__init__, popen.communicate
    if getattr(init, "_deskops_secret_watch", False):
        return
    signature = inspect.signature(init)

    def watched_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
        try:
            bound = signature.bind(self, *args, **kwargs).arguments
        except TypeError:
            bound = {}
        command = deskops_command(bound.get("args"))
        self._deskops_source = command  # type: ignore[attr-defined]
        if command is not None:
            env = bound.get("env")
            REGISTRY.add_environment(env if isinstance(env, Mapping) else os.environ)
            for stream in (bound.get("stdout"), bound.get("stderr")):
                name = getattr(stream, "name", None)
                if isinstance(name, str) and name:
                    PROCESS_LOGS.add_file(command, Path(name))
        init(self, *args, **kwargs)

    def watched_communicate(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> Any:
        result = communicate(self, *args, **kwargs)
        source = getattr(self, "_deskops_source", None)
        if source is not None:
            for output in result:
                PROCESS_LOGS.add_output(source, _text(output))
        return result

    watched_init._deskops_secret_watch = True  # type: ignore[attr-defined]
    popen.__init__ = watched_init  # type: ignore[method-assign]
    popen.communicate = watched_communicate  # type: ignore[method-assign]


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
    from console.models import AppIdentity

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
    _watch_processes()


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
        SCANS.mkdir(parents=True, exist_ok=True)
        for stale in SCANS.glob("secret-scan-*.json"):
            stale.unlink()


@pytest.fixture(autouse=True)
def _no_secrets_in_logs() -> Iterator[None]:
    """Fails the test whose logs, or whose deskops processes' output, hold a known secret
    (checked after every other fixture ended)."""
    _attach_handler()
    between = HANDLER.take()  # logged between tests: checked now, with what is known so far
    leaks_before = check_records(between) + check_process_logs()
    yield
    leaks = check_records(HANDLER.take()) + check_process_logs()
    if leaks or leaks_before:
        pytest.fail(describe(leaks_before + leaks), pytrace=False)


# Every leak of the session (all processes), listed when the session ends.
SESSION_LEAKS: list[dict[str, str]] = []
WORKER_LEAKS = "deskops_secret_leaks"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """A pytest-xdist worker has ended (its pytest_sessionfinish ran): its leaks join the session's."""
    SESSION_LEAKS.extend(getattr(node, "workeroutput", {}).get(WORKER_LEAKS, []))


def pytest_sessionfinish(session: pytest.Session) -> None:
    check_records(HANDLER.take())
    check_process_logs()
    secrets, _ = REGISTRY.snapshot()
    kinds: dict[str, int] = {}
    for kind in secrets.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    report = {
        "worker": _worker_name(),
        "records_checked": TOTALS.records,
        "process_logs_checked": TOTALS.process_logs,
        "process_log_lines_checked": TOTALS.process_lines,
        "secrets_known": len(secrets),
        "secrets_by_kind": kinds,
        "leaks": [leak.__dict__ for leak in TOTALS.leaks],
    }
    SCANS.mkdir(parents=True, exist_ok=True)
    (SCANS / f"secret-scan-{_worker_name()}.json").write_text(json.dumps(report, indent=2))
    if hasattr(session.config, "workerinput"):
        # Handed to the controlling process in memory (pytest_testnodedown below), not through
        # the files: another session in the same checkout may be rewriting those meanwhile.
        session.config.workeroutput[WORKER_LEAKS] = report["leaks"]  # type: ignore[attr-defined]
        return
    SESSION_LEAKS.extend(leak.__dict__ for leak in TOTALS.leaks)
    if SESSION_LEAKS:
        # A leak found in a test has failed that test already; one logged after the last test
        # (a fixture of wider scope ending) is only found here: either way the run fails.
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not SESSION_LEAKS:
        return
    terminalreporter.section("secrets reached the logs", sep="!", red=True, bold=True)
    for leak in SESSION_LEAKS:
        terminalreporter.line(
            f"{leak['kind']} in the {leak['where']} log of {leak['logger']}: {leak['excerpt']}", red=True
        )
    terminalreporter.line(
        f"{len(SESSION_LEAKS)} leak(s), each secret replaced by its kind above; the run fails "
        f"(test-artifacts/reliability/secret-scan-*.json has them too).",
        red=True,
        bold=True,
    )


def scan_reports(folder: Path | None = None) -> list[dict[str, Any]]:
    folder = SCANS if folder is None else folder
    return [json.loads(path.read_text()) for path in sorted(folder.glob("secret-scan-*.json"))]
