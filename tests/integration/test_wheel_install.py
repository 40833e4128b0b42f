"""The built wheel is a complete installation: deploy/install.sh (what the Dockerfile runs) builds
it and installs it from requirements.lock into a fresh virtualenv in a temporary folder, and that
virtualenv alone, run outside the checkout, migrates a fresh PostgreSQL database and serves Slack."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from console import SlackEmulator
from tests.support.database import PG_URL_TEMPLATE, create_postgres_database, drop_postgres_database
from tests.support.net import free_port
from tests.support.paths import PROJECT_ROOT
from tests.support.slack import bot_environment

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]

# What a source distribution or `docker build` context holds: the tree, less local state
# (.dockerignore says the same). Only at the top: bot/outbox/ is code, ./outbox/ is mail.
LOCAL_STATE = {
    ".git",
    ".venv",
    "build",
    "dist",
    "test-artifacts",
    "outbox",
    "deskops.db",
    "deskops.secret",
    ".env",
}
EVERYWHERE = shutil.ignore_patterns("__pycache__", ".*_cache", ".hypothesis", "*.egg-info", "node_modules")


def not_shipped(folder: str, names: list[str]) -> set[str]:
    ignored = set(EVERYWHERE(folder, names))
    if Path(folder) == PROJECT_ROOT:
        ignored |= {name for name in names if name in LOCAL_STATE or name.startswith("deskops.db")}
    return ignored


TOP_LEVEL_ORIGINS = """
import importlib, importlib.metadata
for name in importlib.metadata.distribution("deskops").read_text("top_level.txt").split():
    print(importlib.import_module(name).__file__)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The virtualenv deploy/install.sh made from a copy of this tree."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=not_shipped)
    venv = work / "venv"
    result = subprocess.run(
        ["sh", str(source / "deploy" / "install.sh"), str(venv)],
        env={**os.environ, "PYTHON": sys.executable},
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
        timeout=540,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.rmtree(source)  # nothing of the tree may be needed any more
    return venv


@pytest.fixture
def fresh_database() -> Iterator[str]:
    name = f"deskops_wheel_{uuid.uuid4().hex[:8]}"
    create_postgres_database(name, migrated=False)
    yield PG_URL_TEMPLATE.format(name=name)
    drop_postgres_database(name)


def operator_environment(**values: str) -> dict[str, str]:
    """What an operator's shell has: no PYTHONPATH, nothing of the checkout."""
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG")}
    return {**keep, "PATH": "/usr/bin:/bin", **values}


def test_the_installed_packages_are_the_wheels_own(installed: Path, tmp_path: Path) -> None:
    python = installed / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", TOP_LEVEL_ORIGINS],  # bot, commands, blocks (and console): the wheel's own
        env=operator_environment(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(where) >= 3 and all(path.startswith(str(installed / "lib")) for path in where), where
    version = subprocess.run(
        [str(installed / "bin" / "deskops"), "--version"],
        check=False,
        env=operator_environment(),
        capture_output=True,
        text=True,
    )
    assert version.returncode == 0 and version.stdout.startswith("deskops 0.")
    manifest = subprocess.run(
        [str(installed / "bin" / "deskops"), "manifest"],
        check=False,
        env=operator_environment(PUBLIC_URL="https://helpdesk.msp.example", DATABASE_URL="sqlite:///m.db"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert manifest.returncode == 0 and "https://helpdesk.msp.example/slack/events" in manifest.stdout
    freeze = subprocess.run(
        [str(python), "-m", "pip", "freeze"],
        env=operator_environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "pytest" not in freeze.lower() and "alembic==" in freeze.lower()
    # The compiled catalogs are inside: an e-mail renders in German from the wheel alone.
    german = subprocess.run(
        [
            str(python),
            "-c",
            "from bot.integrations.mail.render import render_email; "
            "print(render_email('test_message', to='a@example.com', message_id='1', language='de',"
            " context={'name': 'Jana', 'link': 'https://example.com'}).subject)",
        ],
        env=operator_environment(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert german.stdout.strip() == "Testnachricht für Jana von Helpdesk", german.stderr


def test_the_wheel_migrates_postgresql_and_serves_slack(
    installed: Path, fresh_database: str, tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    deskops = str(installed / "bin" / "deskops")
    port = free_port()
    env = operator_environment(
        DATABASE_URL=fresh_database,
        PORT=str(port),
        HOST="127.0.0.1",
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        SMTP_URL=str(tmp_path / "mail"),
        SECRET_KEY="k" * 40,
        **bot_environment(slack_emulator),
    )
    upgraded = subprocess.run(
        [deskops, "db", "upgrade"], check=False, env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database is up to date (postgresql+psycopg://postgres@127.0.0.1:5432/" in upgraded.stdout
    server = subprocess.Popen(
        [deskops, "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server)
        assert httpx.get(f"{base}/readyz").json() == {"status": "ready", "database": "ok"}
        assert run_image_healthcheck(installed, port).returncode == 0
        slack_emulator.events_url = f"{base}/slack/events"
        slack_emulator.add_user("U0WHEEL01", name="operator")
        slack_emulator.add_channel("C0WHEEL01", name="ops", members=["U0WHEEL01"])
        outcome = slack_emulator.person("U0WHEEL01").slash("/backup", "help", channel="C0WHEEL01")
        assert outcome.status == 200
        slack_emulator.wait_until(lambda: slack_emulator.ephemerals(user="U0WHEEL01"))
        assert "/backup add [customer]" in slack_emulator.ephemerals(user="U0WHEEL01")[-1].all_text()
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output, output
    assert run_image_healthcheck(installed, port).returncode != 0  # and it does notice a stopped server
    assert slack_emulator.signing_secret not in output and slack_emulator.bot_token not in output


def run_image_healthcheck(venv: Path, port: int) -> subprocess.CompletedProcess[str]:
    """The Dockerfile's HEALTHCHECK command, with the image's PATH (the virtualenv's python first)."""
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    [line] = [line for line in dockerfile.splitlines() if line.startswith("HEALTHCHECK")]
    command = json.loads(line[line.index("CMD") + 3 :])
    env = operator_environment(PORT=str(port), PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=10)


def wait_until_healthy(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).json() == {"status": "ok"}:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"the installed deskops serve did not come up: {process.communicate(timeout=10)[0]}")
