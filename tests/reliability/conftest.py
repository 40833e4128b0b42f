"""Fixtures of the reliability suite: the app on SQLite (unless a test asks for PostgreSQL too),
with the whole cast of channels_app: Helen (helpdesk), Harry (helpdesk and approver), Anna
(approver only) and Sam (neither)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console import SlackEmulator
from tests.support.app import RunningApp, run_app
from tests.support.channels import ChannelsApp, channels_app, seed_channels
from tests.support.reliability import Figures

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def helpdesk_app(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, figures: Figures
) -> Iterator[RunningApp]:
    """The app as `deskops` serves it (local backup platform, mail as .eml files), approvals off."""
    seed_channels(slack_emulator)
    figures.watch(slack_emulator)
    with run_app(slack_emulator, database_url, tmp_path) as app:
        yield app


@pytest.fixture
def approvals_app(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, figures: Figures
) -> Iterator[ChannelsApp]:
    """The app with approvals in #approvals (Anna and Harry approve) on a clock the test moves."""
    figures.watch(slack_emulator)
    with channels_app(slack_emulator, database_url, tmp_path, approval_batch_size=3) as app:
        yield app
