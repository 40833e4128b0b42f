"""The offline console as `deskops console` runs it, served in this process
on a free loopback port, with the sample customers; shared by the browser and console API tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.config import load_settings
from console.server import BackgroundServer
from deskops.offline import OfflineConsole, load_limits
from tests.support.app import SAMPLE_CUSTOMERS, import_sample_customers
from tests.support.net import free_port
from tests.support.paths import BLOCKKIT_LIMITS


@contextmanager
def running_console(
    folder: Path, migrated_sqlite: Path, customers: Path = SAMPLE_CUSTOMERS
) -> Iterator[OfflineConsole]:
    """With the customers of `customers` (a `deskops customers import` file). Fails at exit when Slack would have refused anything the app sent (as `slack_emulator` does)."""
    database = folder / "deskops.db"
    shutil.copy(migrated_sqlite, database)
    port = free_port()
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite:///{database}",
        smtp_url=str(folder / "outbox"),
        agent_download_url="https://downloads.example.com/acronis-agent",
    )
    console = OfflineConsole.build(
        settings, port=port, limits=load_limits(BLOCKKIT_LIMITS), poll_interval=0.05
    )
    import_sample_customers(console.service.deps, customers)
    server = BackgroundServer(console.app, port=port)
    server.start()
    console.start_background()
    try:
        yield console
    finally:
        problems = console.emulator.take_problems()
        console.stop_background()
        server.stop()
    assert not problems, "Slack would have refused this or shown an error:\n  " + "\n  ".join(problems)
