"""A small helpdesk on a SQLite file, for unit tests of the accounts services: two customers
(Acme with three subscriptions, Globex with one) and users made as Add New User makes them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.accounts.forms import NewUser
from bot.accounts.models import Role
from bot.accounts.users import create_user
from bot.audit.models import AuditEvent
from bot.customers.service import CustomerFile, find_customer, import_customers
from bot.db import Database
from bot.outbox.models import OutboxMessage

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
HELEN = "U0HELEN01"
ACME = "Acme Corporation"
GLOBEX = "Globex Logistics"


@pytest.fixture
def unit_db(tmp_path: Path, migrated_sqlite_template: Path) -> Iterator[Database]:
    """An empty, migrated SQLite database of the test's own."""
    path = tmp_path / "unit.db"
    shutil.copy(migrated_sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def seed_customers(db: Database) -> dict[str, int]:
    document = CustomerFile.model_validate(
        {
            "customers": [
                {"name": ACME, "subscriptions": ["PAYG", "Capped Storage", "Microsoft Office 365"]},
                {"name": GLOBEX, "subscriptions": ["PAYG"]},
            ]
        }
    )
    with db.transaction() as session:
        import_customers(session, document, now=NOW)
        return {name: find_customer(session, name).id for name in (ACME, GLOBEX)}


def a_new_user(customer_id: int, email: str = "john.doe@example.com", **fields: object) -> NewUser:
    values: dict[str, object] = {
        "customer_id": customer_id,
        "first_name": "John",
        "last_name": "Doe",
        "email": email,
        "role": Role.USER,
        "address": None,
        "phone": None,
        "notification_email": None,
    }
    return NewUser(**(values | fields))  # type: ignore[arg-type]


def add_user(db: Database, new_user: NewUser, *, key: str | None = None) -> int:
    with db.transaction() as session:
        created = create_user(
            session,
            new_user=new_user,
            actor=HELEN,
            now=NOW,
            request_key=key or f"seed:{new_user.email}",
            notify_channels=["C0HELP001"],
        )
        return created.user_id


def audit_actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def outbox_kinds(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
