"""The check that no secret reaches the logs (tests/support/log_secrets.py) runs after every test
of the suite; these tests make sure it can fail: it sees what the app logs, and it finds secrets
in what deskops serve would write, in deskops' own raw messages, in what deskops processes the
tests start write, and — after the last test — it fails the whole run."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.logs import RedactingFormatter
from bot.tokens import LinkTokens
from tests.support.log_secrets import (
    HANDLER,
    LOG_FORMAT,
    PROCESS_LOGS,
    SCAN_FOLDER_VARIABLE,
    SecretRegistry,
    check_process_log,
    find_leaks,
    find_process_leaks,
    known_secrets,
)
from tests.support.paths import PROJECT_ROOT
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
        ("SECRET_KEY", "formatted"),
        ("SECRET_KEY", "json"),  # the same line as LOG_FORMAT=json writes it
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


FAKE_DESKOPS = """#!/bin/sh
echo "deskops $1: starting with the signing secret $SLACK_SIGNING_SECRET"
echo "deskops $1: database at $DATABASE_URL" >&2
"""


def test_what_deskops_processes_write_is_checked(tmp_path: Path, figures: Figures) -> None:
    """A process running deskops (here a stand-in that prints its environment): its secrets are
    learnt from its environment, and its output is checked whether the test read it with
    communicate() (subprocess.run), wrote it to a log file, or read it from the pipe itself."""
    program = tmp_path / "deskops"
    program.write_text(FAKE_DESKOPS)
    program.chmod(0o755)
    signing_secret = "planted-signing-secret-7f3a9c"
    db_password = "planted-db-password-51e0"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SLACK_SIGNING_SECRET": signing_secret,
        "DATABASE_URL": f"postgresql+psycopg://deskops:{db_password}@db.example/deskops",
    }
    subprocess.run([str(program), "doctor"], env=env, capture_output=True, text=True, check=True)
    with (tmp_path / "serve.log").open("ab") as log:
        subprocess.Popen([str(program), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT).wait()
    piped = subprocess.Popen([str(program), "replica"], env=env, stdout=subprocess.PIPE, text=True)
    assert piped.stdout is not None
    check_process_log(piped.stdout.read(), source="deskops replica (read by the test)")
    piped.wait()
    # Another program printing the same secret is not deskops: not the check's business.
    subprocess.run(["sh", "-c", "echo $SLACK_SIGNING_SECRET"], env=env, capture_output=True, check=True)

    leaks = find_process_leaks(PROCESS_LOGS.take(), known_secrets())  # taken: this test passes
    # Only what this test planted: the registry is the worker's, and another test's configured
    # secret may happen to be part of these (test_config's "signing-secret" is).
    found = sorted({(leak.logger, leak.kind) for leak in leaks if leak.kind != "a configured secret"})
    assert found == [
        ("deskops doctor", "DATABASE_URL password"),
        ("deskops doctor", "SLACK_SIGNING_SECRET"),
        ("deskops replica (read by the test)", "SLACK_SIGNING_SECRET"),
        ("deskops serve (serve.log)", "DATABASE_URL password"),
        ("deskops serve (serve.log)", "SLACK_SIGNING_SECRET"),
    ], found
    for leak in leaks:
        assert signing_secret not in leak.excerpt and db_password not in leak.excerpt
    assert "<SLACK_SIGNING_SECRET>" in " ".join(leak.excerpt for leak in leaks)
    figures.add("planted secrets found", len(found))


LATE_LEAK = """
import logging

import pytest

from tests.support.log_secrets import register_secret

SECRET = "planted-after-the-last-test-0c41d2"


@pytest.fixture(scope="session")
def late() -> object:
    register_secret(SECRET, "planted secret")
    yield
    logging.getLogger("bot.probe").warning("closing with %s", SECRET)


def test_passes(late: object) -> None:
    pass
"""


@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["one-process", "xdist"])
def test_a_secret_logged_after_the_last_test_fails_the_run(
    workers: list[str], tmp_path: Path, figures: Figures
) -> None:
    """A pytest session of its own (its scan reports in its own folder): its only test passes,
    and a session fixture logs a secret as it ends. The run fails, listing the leak redacted."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_late_leak.py").write_text(LATE_LEAK)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({"PYTHONPATH": str(PROJECT_ROOT), SCAN_FOLDER_VARIABLE: str(tmp_path / "scans")})
    plugins = ["-p", "tests.support.log_secrets", "-p", "no:cacheprovider"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, *workers, "test_late_leak.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, output
    assert "1 passed" in output and "secrets reached the logs" in output, output
    assert "planted secret in the formatted log of bot.probe" in output, output
    assert "closing with <planted secret>" in output and "planted-after-the-last-test" not in output
    figures.add("planted secrets found")
