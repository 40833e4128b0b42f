"""`deskops digest --preview | --send` as an operator runs them: a real process on a migrated
database, posting to the Slack emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.accounts.forms import NewUser
from bot.accounts.models import Role
from bot.accounts.users import create_user
from bot.customers.service import find_customer, import_customers, parse_customer_file
from bot.db import Database
from bot.migrations import upgrade
from console import SlackEmulator
from tests.support.app import SAMPLE_CUSTOMERS
from tests.support.channels import DIGEST_CHANNEL, seed_channels
from tests.support.slack import bot_environment


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A migrated SQLite database with the sample customers and one user added just now."""
    url = f"sqlite:///{tmp_path / 'digest.db'}"
    upgrade(url)
    db = Database(url)
    now = datetime.now(UTC)
    with db.transaction() as session:
        document = parse_customer_file(yaml.safe_load(SAMPLE_CUSTOMERS.read_text(encoding="utf-8")))
        import_customers(session, document, now=now)
        create_user(
            session,
            new_user=NewUser(
                customer_id=find_customer(session, "Globex").id,
                first_name="Pat",
                last_name="Pending",
                email="pat@globex.example",
                role=Role.USER,
                address=None,
                phone=None,
                notification_email=None,
            ),
            actor="U0HELP01",
            now=now,
            request_key="cli-digest",
            notify_channels=[],
        )
    db.dispose()
    return url


def deskops_digest(option: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deskops", "digest", option],
        check=False,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def environment(database: str, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return {**keep, "DATABASE_URL": database, "TIMEZONE": "Europe/Amsterdam", **extra}


def test_preview_prints_the_last_day_in_the_terminal(database: str, tmp_path: Path) -> None:
    result = deskops_digest("--preview", environment(database), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Daily digest · ")
    assert "Globex Logistics: 1 added · 0 activated · 1 pending activation" in result.stdout
    assert "(Europe/Amsterdam)" in result.stdout and "*" not in result.stdout


def test_send_posts_it_to_the_digest_channel_now(
    database: str, tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    seed_channels(slack_emulator)
    env = environment(database, **bot_environment(slack_emulator))
    refused = deskops_digest("--send", env, tmp_path)
    assert refused.returncode == 2 and "DIGEST_CHANNEL is not set" in refused.stderr
    sent = deskops_digest("--send", {**env, "DIGEST_CHANNEL": DIGEST_CHANNEL}, tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert f"posted the digest to {DIGEST_CHANNEL}" in sent.stdout
    [message] = slack_emulator.channel(DIGEST_CHANNEL).messages()
    assert "*Globex Logistics*: 1 added" in message.all_text()
