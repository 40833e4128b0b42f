"""The deskops app running for real: built by `bot.wiring` like `deskops serve`, served by uvicorn
on a free loopback port, its Slack pointed at the emulator, its outbox worker running.

    def test_x(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
        helen = slack_emulator.person(HELPDESK_USER)
        helen.slash("/backup", "add", channel=HELPDESK_CHANNEL)
        ...
        deskops.wait_for_outbox()      # every queued side effect delivered
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from bot.clock import Clock
from bot.config import Settings, load_settings
from bot.customers.service import import_customers, parse_customer_file
from bot.customers.sync import sync_customers
from bot.deps import Deps
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.outbox.service import pending_count
from bot.resources import manifest_file
from bot.wiring import Service, build_deps, build_service
from console import SlackEmulator
from console.server import BackgroundServer
from tests.support.acronis import AcronisEmulator, acronis_emulator
from tests.support.net import free_port
from tests.support.paths import PROJECT_ROOT
from tests.support.slack import HELPDESK_GROUP, bot_environment, seed_helpdesk

SAMPLE_CUSTOMERS = PROJECT_ROOT / "bot" / "sample" / "customers.yaml"
ENROLLMENT_API_KEY = "test-enrollment-api-key-6d1f"
# The `deskops` fixture runs every test against each backup provider; Acronis (against the
# emulator in tests/support/acronis) on SQLite only, to keep the suite fast.
BACKUP_PROVIDERS = ["local", "acronis"]
ACRONIS_SKIPS_BACKEND = "postgresql"
__all__ = ["acronis_emulator"]  # the fixture, re-exported so this plugin registers it


@dataclass
class RunningApp:
    settings: Settings
    service: Service
    server: BackgroundServer
    outbox_folder: Path | None
    # The Acronis emulator when BACKUP_PROVIDER=acronis, else None.
    acronis: AcronisEmulator | None = None

    @property
    def deps(self) -> Deps:
        return self.service.deps

    @property
    def url(self) -> str:
        return self.server.base_url

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def wait_for_outbox(self, timeout: float = 10.0) -> None:
        """Until every listener has finished and nothing waits in the outbox (failed rows do not
        count as waiting): everything the last request set off has happened."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.service.listeners.in_flight == 0:
                with self.deps.db.read() as session:
                    empty = pending_count(session) == 0
                # A delivery can make a listener-free change only through the outbox itself,
                # so an idle executor and an empty outbox seen in this order means settled.
                if empty and self.service.listeners.in_flight == 0:
                    return
            self.service.worker.wake()
            time.sleep(0.02)
        raise AssertionError(f"the outbox still has work after {timeout}s: {self.outbox_rows()}")

    def outbox_rows(self) -> list[tuple[str, str, str | None]]:
        with self.deps.db.read() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            return [(row.kind, row.status.value, row.last_error) for row in rows]

    def failed_outbox(self) -> list[tuple[str, str | None]]:
        return [(kind, error) for kind, status, error in self.outbox_rows() if status == OutboxStatus.FAILED]

    def activation_emails_sent(self) -> int:
        """Activation e-mails sent so far, by deskops (.eml files) or by Acronis (the emulator's log)."""
        if self.acronis is not None:
            return len(self.acronis.activation_emails())
        return len(self.eml_files())

    def eml_files(self) -> list[Path]:
        assert self.outbox_folder is not None, "this app sends mail over SMTP, not to a folder"
        return sorted(self.outbox_folder.glob("*.eml"))


def import_sample_customers(deps: Deps, path: Path = SAMPLE_CUSTOMERS) -> None:
    document = parse_customer_file(yaml.safe_load(path.read_text(encoding="utf-8")))
    with deps.db.transaction() as session:
        import_customers(session, document, now=deps.clock.now())


@contextmanager
def run_app(
    emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    *,
    clock: Clock | None = None,
    customers: Path | None = SAMPLE_CUSTOMERS,
    **overrides: Any,
) -> Iterator[RunningApp]:
    outbox_folder = tmp_path / "outbox"
    port = free_port()
    values: dict[str, Any] = {
        # PUBLIC_URL is this server, so links in e-mails can be followed by the tests.
        "public_url": f"http://127.0.0.1:{port}",
        **{key.lower(): value for key, value in bot_environment(emulator).items()},
        "database_url": database_url,
        "smtp_url": str(outbox_folder),
        "helpdesk_users": HELPDESK_GROUP,
        "agent_download_url": "https://downloads.example.com/acronis-agent",
        "secret_key": "test-secret-key-for-link-tokens-0123456789",
        "enrollment_server": "access.msp.example",
        "enrollment_api_key": ENROLLMENT_API_KEY,
        "_env_file": None,
    }
    values.update(overrides)
    settings = load_settings(**values)
    deps = build_deps(settings, clock=clock)
    if customers is not None:
        import_sample_customers(deps, customers)
    service = build_service(deps, poll_interval=0.05)
    server = BackgroundServer(service.web, port=port)
    server.start()
    service.start_background()
    emulator.events_url = f"{server.base_url}/slack/events"
    # Slack configured as app.yaml says: its global shortcuts, its Options Load URL.
    emulator.load_manifest(manifest_file())
    uses_folder = not str(values["smtp_url"]).startswith(("smtp://", "smtps://"))
    try:
        yield RunningApp(
            settings=settings,
            service=service,
            server=server,
            outbox_folder=outbox_folder if uses_folder else None,
        )
    finally:
        service.stop_background()
        server.stop()
        deps.db.dispose()


def sync_platform_customers(app: RunningApp) -> None:
    """`deskops customers sync`: the platform's customers and subscriptions into the database."""
    sync_customers(app.deps.db, app.deps.platform, now=app.deps.clock.now())


@contextmanager
def run_app_on_acronis(
    emulator: SlackEmulator, database_url: str, tmp_path: Path, acronis: AcronisEmulator, **overrides: Any
) -> Iterator[RunningApp]:
    """The app with BACKUP_PROVIDER=acronis against `acronis`, customers synced from it."""
    with run_app(
        emulator, database_url, tmp_path, customers=None, **{**acronis.settings(), **overrides}
    ) as app:
        app.acronis = acronis
        sync_platform_customers(app)
        yield app


@pytest.fixture(params=BACKUP_PROVIDERS)
def backup_provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def deskops(
    slack_emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    backup_provider: str,
    request: pytest.FixtureRequest,
) -> Iterator[RunningApp]:
    seed_helpdesk(slack_emulator)
    if backup_provider == "acronis":
        acronis: AcronisEmulator = request.getfixturevalue("acronis_emulator")
        with run_app_on_acronis(slack_emulator, database_url, tmp_path, acronis) as app:
            yield app
        return
    with run_app(slack_emulator, database_url, tmp_path) as app:
        yield app


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backup_provider(*names): run this `deskops` test only with these BACKUP_PROVIDERs "
        "(e.g. a test of deskops' own activation e-mail, which Acronis sends itself)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the `deskops` variants not worth running: Acronis on PostgreSQL, and providers a
    test's `backup_provider` marker leaves out."""
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        provider = params.get("backup_provider")
        marker = item.get_closest_marker("backup_provider")
        if provider is not None and (
            (provider == "acronis" and params.get("database_url") == ACRONIS_SKIPS_BACKEND)
            or (marker is not None and provider not in marker.args)
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def wait_until(predicate: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
