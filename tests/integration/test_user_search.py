"""/backup find's look-up on both databases: any part, no case or accents, scope, pages."""

from __future__ import annotations

import pytest

from bot.accounts.models import BackupUser, Role, UserStatus
from bot.accounts.search import find_users
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope
from bot.customers.service import find_customer
from bot.db import Database
from bot.errors import InvalidState
from tests.integration.test_accounts_service import NOW, seed


def add(db: Database, customer: str, first: str, last: str, email: str, notify: str | None = None) -> None:
    with db.transaction() as session:
        customer_id = find_customer(session, customer).id
        session.add(
            BackupUser(
                customer_id=customer_id,
                first_name=first,
                last_name=last,
                email=email,
                email_key=email.lower(),
                notification_email=notify,
                role=Role.USER,
                status=UserStatus.PENDING_ACTIVATION,
                created_by="U1",
                created_at=NOW,
            )
        )


def emails(db: Database, text: str, scope: CustomerScope = EVERY_CUSTOMER, **page: int) -> list[str]:
    with db.read() as session:
        return [user.email for user in find_users(session, text, scope, **page).users]


def test_any_part_of_a_name_or_email_without_case_or_accents(db: Database) -> None:
    seed(db)
    add(db, "Acme Corporation", "Zoë", "Müller", "zoe.mueller@acme.example")
    add(db, "Acme Corporation", "John", "Doe", "jd@acme.example", notify="john.private@mail.example")
    add(db, "Globex Logistics", "Mary", "Johnson", "mary@globex.example")
    assert emails(db, "MULLER") == ["zoe.mueller@acme.example"]
    assert emails(db, "zoe") == ["zoe.mueller@acme.example"]
    # Across customers, sorted by last name; the notification e-mail counts too.
    assert emails(db, "john") == ["jd@acme.example", "mary@globex.example"]
    assert emails(db, "private@mail") == ["jd@acme.example"]
    # LIKE's wildcards are plain characters to the person typing.
    assert emails(db, "j_") == [] and emails(db, "%e") == []


def test_only_customers_in_scope_and_pages(db: Database) -> None:
    seed(db)
    for i in range(12):
        add(db, "Acme Corporation", "Sam", f"Smith{i:02d}", f"sam{i:02d}@acme.example")
    add(db, "Globex Logistics", "Sam", "Smith", "sam@globex.example")
    assert emails(db, "sam", CustomerScope.of(["Globex Logistics"])) == ["sam@globex.example"]
    with db.read() as session:
        first = find_users(session, "sam", EVERY_CUSTOMER, limit=10)
        assert first.total == 13 and first.has_more and len(first.users) == 10
        last = find_users(session, "sam", EVERY_CUSTOMER, offset=10, limit=10)
        assert len(last.users) == 3 and not last.has_more


def test_too_short_a_text_says_how_much_to_type(db: Database) -> None:
    with db.read() as session, pytest.raises(InvalidState, match="at least 2 letters"):
        find_users(session, " a ", EVERY_CUSTOMER)
