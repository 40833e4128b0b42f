"""The type-ahead customer field's look-up and scoped customer/user look-ups, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from bot.customers.models import Customer
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope, OutOfScope, customers_matching
from bot.customers.service import CustomerFile, find_customer, import_customers
from bot.db import Database
from bot.errors import NotFound
from tests.integration.test_accounts_service import NOW


def seed(db: Database, names: list[str]) -> None:
    document = CustomerFile.model_validate(
        {"customers": [{"name": n, "subscriptions": ["PAYG"]} for n in names]}
    )
    with db.transaction() as session:
        import_customers(session, document, actor="test", now=NOW)


def names(choices: list) -> list[str]:  # type: ignore[type-arg]
    return [choice.name for choice in choices]


def test_any_part_of_the_name_matches_best_first_without_case_or_accents(db: Database) -> None:
    seed(db, ["Bank of Zürich", "Zurich Insurance", "Acme Zurich Branch", "Globex", "Zurichland"])
    with db.read() as session:
        found = names(customers_matching(session, "zurich", EVERY_CUSTOMER))
        assert found == ["Zurichland", "Zurich Insurance", "Bank of Zürich", "Acme Zurich Branch"]
        assert names(customers_matching(session, "RICH INS", EVERY_CUSTOMER)) == ["Zurich Insurance"]
        assert names(customers_matching(session, "nothing like it", EVERY_CUSTOMER)) == []


def test_the_field_offers_only_customers_in_scope(db: Database) -> None:
    seed(db, ["Acme Corp", "Acme Labs", "Globex"])
    scope = CustomerScope.of(["Acme Labs", "Globex"])
    with db.read() as session:
        assert names(customers_matching(session, "acme", scope)) == ["Acme Labs"]
        assert names(customers_matching(session, "", scope)) == ["Acme Labs", "Globex"]


def test_thousands_of_customers_answer_at_most_a_hundred(db: Database) -> None:
    with db.transaction() as session:
        session.execute(
            insert(Customer), [{"name": f"Customer {i:04d}", "created_at": NOW} for i in range(5000)]
        )
    with db.read() as session:
        assert len(customers_matching(session, "customer", EVERY_CUSTOMER)) == 100
        assert names(customers_matching(session, "4321", EVERY_CUSTOMER)) == ["Customer 4321"]


def test_a_customer_named_outside_the_scope_is_refused_by_name(db: Database) -> None:
    seed(db, ["Acme Corp", "Globex"])
    scope = CustomerScope.of(["Acme Corp"])
    with db.read() as session:
        with pytest.raises(OutOfScope, match="Globex is outside your scope"):
            find_customer(session, "globex", scope)
        # The one customer a prefix means is outside the scope: said by name, too.
        with pytest.raises(OutOfScope, match="Globex is outside your scope"):
            find_customer(session, "G", scope)
        with pytest.raises(NotFound):
            find_customer(session, "Zed", scope)
        assert find_customer(session, "acme", scope).name == "Acme Corp"
