"""Which customers a helpdesk person may see and act on, and customer look-up within that scope.

A scope is a plain value handed to services by whoever knows the person (the Slack side reads
ACCESS_FILE and the person's user groups); services only ever ask it `allows(name)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.customers.models import Customer
from bot.db import Database
from bot.errors import NotAllowed
from bot.folding import fold


@dataclass(frozen=True)
class CustomerScope:
    """Every customer (`names is None`) or the customers with these names (folded)."""

    names: frozenset[str] | None = None

    @classmethod
    def of(cls, names: Iterable[str]) -> CustomerScope:
        return cls(frozenset(fold(name) for name in names))

    @property
    def is_everything(self) -> bool:
        return self.names is None

    def allows(self, customer_name: str) -> bool:
        return self.names is None or fold(customer_name) in self.names

    def check(self, customer_name: str) -> None:
        """Raise the refusal that names the customer when it is outside the scope."""
        if not self.allows(customer_name):
            raise OutOfScope(customer_name)

    def visible(self, customers: Iterable[Customer]) -> list[Customer]:
        return [customer for customer in customers if self.allows(customer.name)]


EVERY_CUSTOMER = CustomerScope()


class OutOfScope(NotAllowed):
    def __init__(self, customer_name: str) -> None:
        super().__init__(
            f"{customer_name} is outside your scope: ask a deskops administrator to add it for you "
            "in ACCESS_FILE."
        )
        self.customer_name = customer_name


def customer_ids_in(session: Session, scope: CustomerScope) -> list[int] | None:
    """The ids of the customers in the scope, for a query's filter; None when it is every customer."""
    if scope.is_everything:
        return None
    return [int(i) for i, name in session.execute(select(Customer.id, Customer.name)) if scope.allows(name)]


def _rank(wanted: str, name: str) -> int | None:
    """Lower is better: the whole name, its start, the start of a word, anywhere; None: no match."""
    folded = fold(name)
    if folded == wanted:
        return 0
    if folded.startswith(wanted):
        return 1
    if any(word.startswith(wanted) for word in folded.split()):
        return 2
    if wanted in folded:
        return 3
    return None


@dataclass(frozen=True)
class CustomerChoice:
    id: int
    name: str


def customers_matching(
    session: Session, text: str, scope: CustomerScope, *, limit: int = 100
) -> list[CustomerChoice]:
    """Customers whose name holds `text` anywhere, the best matches first, within the scope: what a
    type-ahead customer field offers. An empty text lists the first customers alphabetically.

    Only ids and names are read: an MSP's few thousand customers rank in a few milliseconds."""
    wanted = fold(text)
    rows = session.execute(select(Customer.id, Customer.name).order_by(func.lower(Customer.name))).all()
    choices = [CustomerChoice(id, name) for id, name in rows if scope.allows(name)]
    if not wanted:
        return choices[:limit]
    ranked = [(rank, choice) for choice in choices if (rank := _rank(wanted, choice.name)) is not None]
    ranked.sort(key=lambda item: (item[0], len(item[1].name), fold(item[1].name)))
    return [choice for _, choice in ranked[:limit]]


@dataclass(frozen=True)
class CustomerTypeAhead:
    """What a person typed into a type-ahead customer field."""

    typed: str
    scope: CustomerScope


def suggest_customers(db: Database, request: CustomerTypeAhead, *, limit: int) -> list[CustomerChoice]:
    """`customers_matching` in one short read: Slack waits for the options in its 3 s."""
    with db.read() as session:
        return customers_matching(session, request.typed, request.scope, limit=limit)
