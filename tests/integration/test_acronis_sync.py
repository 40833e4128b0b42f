"""`deskops customers sync` and `deskops doctor` with BACKUP_PROVIDER=acronis, on the real databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.audit.models import AuditEvent
from bot.config import load_settings
from bot.customers.models import Customer
from bot.customers.service import import_customers, parse_customer_file
from bot.customers.sync import sync_customers
from bot.db import Database
from bot.doctor import run_checks
from bot.integrations.backup.acronis import AcronisBackupPlatform, AcronisClient, RetryPolicy
from bot.integrations.backup.port import PlatformError
from deskops.cli import main
from tests.support.acronis import AcronisEmulator, acronis_emulator
from tests.support.app import SAMPLE_CUSTOMERS

__all__ = ["acronis_emulator"]
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def platform(acronis_emulator: AcronisEmulator) -> Iterator[AcronisBackupPlatform]:
    client = AcronisClient(
        acronis_emulator.url,
        client_id=acronis_emulator.client_id,
        client_secret=acronis_emulator.client_secret,
        retry=RetryPolicy(attempts=2, backoff_base=0.01),
        sleep=lambda _: None,
    )
    yield AcronisBackupPlatform(client)
    client.close()


def customers(db: Database) -> dict[str, tuple[str | None, list[tuple[str, str | None]]]]:
    with db.transaction() as session:
        rows = session.scalars(select(Customer).options(selectinload(Customer.subscriptions))).all()
        return {c.name: (c.provider_id, [(s.name, s.provider_id) for s in c.subscriptions]) for c in rows}


def test_an_empty_database_gets_the_platforms_customers(
    db: Database, platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    report = sync_customers(db, platform, now=NOW)
    assert sorted(report.created) == ["Acme Corporation", "Globex Logistics", "Initech Dental"]
    assert report.subscriptions_added == 6 and not report.problems
    found = customers(db)
    payg, capped = acronis_emulator.storage_id("PAYG"), acronis_emulator.storage_id("Capped Storage")
    assert found["Initech Dental"] == (
        acronis_emulator.tenant_id("Initech Dental"),
        [("PAYG", payg), ("Capped Storage", capped)],
    )
    assert [name for name, _ in found["Acme Corporation"][1]] == [
        "PAYG",
        "Capped Storage",
        "Microsoft Office 365",
    ]
    assert (
        report.lines()[0]
        == "acronis: 3 customers listed; 3 created, 0 updated; 6 subscriptions added, 0 updated"
    )


def test_customers_imported_by_name_are_linked_not_duplicated_and_a_second_sync_changes_nothing(
    db: Database, platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    with db.transaction() as session:
        import_customers(session, parse_customer_file(yaml.safe_load(SAMPLE_CUSTOMERS.read_text())), now=NOW)
    report = sync_customers(db, platform, now=NOW)
    assert report.created == [] and len(report.updated) == 3 and report.subscriptions_added == 0
    assert customers(db)["Globex Logistics"] == (
        acronis_emulator.tenant_id("Globex Logistics"),
        [("PAYG", acronis_emulator.storage_id("PAYG"))],
    )
    again = sync_customers(db, platform, now=NOW, actor="scheduler")
    assert not again.changed and not again.gone and not again.subscriptions_gone
    # The audit trail: the import and the sync that linked them; the sync that changed nothing is not there.
    with db.read() as session:
        events = session.execute(select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [tuple(e) for e in events] == [("deskops", "customers.imported"), ("deskops", "customers.synced")]


def test_renames_additions_and_removals_on_the_platform(
    db: Database, platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    sync_customers(db, platform, now=NOW)
    state = acronis_emulator.state
    with state.lock:
        state.tenants[acronis_emulator.tenant_id("Globex Logistics")].name = "Globex Freight"
        state.storages[acronis_emulator.storage_id("Capped Storage")].name = "Capped Storage 1 TB"
        initech = acronis_emulator.tenant_id("Initech Dental")
        payg_item = next(
            i for i in state.offering[initech] if i.infra_id == acronis_emulator.storage_id("PAYG")
        )
        payg_item.status = 0  # PAYG switched off for Initech
        acme = state.customer_by_name("Acme Corporation")
        acme.enabled = False  # Acme left
        globex = state.offering[state.customer_by_name("Globex Freight").id]
        next(i for i in globex if i.infra_id).status = 0  # Globex's only storage switched off
    report = sync_customers(db, platform, now=NOW)
    found = customers(db)
    assert "Globex Freight" in found and "Globex Logistics" not in found
    assert [name for name, _ in found["Initech Dental"][1]] == ["PAYG", "Capped Storage 1 TB"]
    assert "Initech Dental: PAYG" in report.subscriptions_gone  # kept: users may be on it
    assert report.gone == ["Acme Corporation"] and "Acme Corporation" in found
    assert report.problems == [
        "Globex Freight: the platform offers it no backup subscription, so Backup cannot be assigned"
    ]
    assert "Globex Freight: PAYG" in report.subscriptions_gone
    assert "  no longer on the platform (kept): Acme Corporation" in report.lines()


def test_a_platform_failure_changes_nothing(
    db: Database, platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    acronis_emulator.fail("GET", r"/tenants/.+/offering_items", status=500, times=None)
    with pytest.raises(PlatformError):
        sync_customers(db, platform, now=NOW)
    assert customers(db) == {}


def test_the_cli_syncs_and_doctor_names_the_partner(
    database_url: str,
    acronis_emulator: AcronisEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the working copy
    env = {key.upper(): str(value) for key, value in acronis_emulator.settings().items()}
    for key, value in {**env, "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(key, value)
    assert main(["customers", "sync"]) == 0
    out = capsys.readouterr().out
    assert "acronis: 3 customers listed; 3 created" in out and "created: Initech Dental" in out
    settings = load_settings()
    [line] = [r.line() for r in run_checks(settings) if r.name == "backup platform"]
    assert line == (
        f'[ok  ] backup platform: acronis: {acronis_emulator.url} partner "Example MSP" '
        f"(tenant {acronis_emulator.state.partner_id}), 3 customers"
    )


def test_doctor_reports_refused_credentials_without_the_secret(acronis_emulator: AcronisEmulator) -> None:
    settings = load_settings(
        _env_file=None,
        **{**acronis_emulator.settings(), "acronis_client_secret": "not-the-secret-42"},
    )
    [result] = [r for r in run_checks(settings) if r.name == "backup platform"]
    assert not result.ok
    assert "Acronis refused the API client (Client authentication failed)" in result.message
    assert "not-the-secret-42" not in result.line()


def test_a_customers_language_comes_from_its_tenant_when_deskops_ships_it(
    db: Database, platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    state = acronis_emulator.state
    with state.lock:
        state.customer_by_name("Acme Corporation").language = "de"
        state.customer_by_name("Globex Logistics").language = "ja"  # no catalog here: LANGUAGE
    sync_customers(db, platform, now=NOW)

    def languages() -> dict[str, str | None]:
        with db.transaction() as session:
            return {c.name: c.language for c in session.scalars(select(Customer))}

    assert languages() == {"Acme Corporation": "de", "Globex Logistics": None, "Initech Dental": "en"}
    with state.lock:
        state.customer_by_name("Acme Corporation").language = "fr"
    report = sync_customers(db, platform, now=NOW)
    assert report.updated == ["Acme Corporation (language fr)"]
    assert languages()["Acme Corporation"] == "fr"
