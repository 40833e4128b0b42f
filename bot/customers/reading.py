"""What the Slack side reads about customers to offer them, each in its own read transaction."""

from __future__ import annotations

from dataclasses import dataclass

from bot.customers.scope import CustomerScope
from bot.customers.service import CustomerSummary, customer_summaries, find_customer
from bot.db import Database
from bot.errors import InvalidState


@dataclass(frozen=True)
class CustomersForNewUser:
    """The customers a new user may belong to, and the one already chosen (named in the command,
    or the only one in scope), if any."""

    customers: list[CustomerSummary]
    fixed: int | None


def customers_for_new_user(
    db: Database, *, customer_text: str | None, scope: CustomerScope
) -> CustomersForNewUser:
    with db.read() as session:
        customers = [c for c in customer_summaries(session) if scope.allows(c.name)]
        fixed = find_customer(session, customer_text, scope).id if customer_text else None
    if not customers:
        raise InvalidState(
            "There are no customers yet: import them with `deskops customers import FILE.yaml`."
            if scope.is_everything
            else "No customer is in your scope: ask a deskops administrator to add yours in ACCESS_FILE."
        )
    if fixed is None and len(customers) == 1:
        fixed = customers[0].id
    return CustomersForNewUser(customers=customers, fixed=fixed)
