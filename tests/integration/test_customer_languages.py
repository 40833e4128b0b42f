"""The customers file's `language` reaches the database, and a re-import without one keeps it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.customers.service import find_customer, import_customers, language_for_customer, parse_customer_file
from bot.db import Database

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def test_import_sets_and_keeps_a_customers_language(db: Database) -> None:
    first = parse_customer_file(
        {
            "customers": [
                {"name": "Acme Corporation", "language": "de", "subscriptions": ["PAYG"]},
                {"name": "Globex Logistics", "subscriptions": ["PAYG"]},
            ]
        }
    )
    again = parse_customer_file({"customers": [{"name": "Acme Corporation", "subscriptions": ["PAYG"]}]})
    french = parse_customer_file(
        {"customers": [{"name": "Globex Logistics", "language": "fr", "subscriptions": ["PAYG"]}]}
    )
    with db.transaction() as session:
        import_customers(session, first, now=NOW)
        import_customers(session, again, now=NOW)
    with db.transaction() as session:
        assert language_for_customer(find_customer(session, "Acme"), "en") == "de"
        assert language_for_customer(find_customer(session, "Globex"), "nl") == "nl"
        import_customers(session, french, now=NOW)
    with db.transaction() as session:
        assert find_customer(session, "Globex").language == "fr"
