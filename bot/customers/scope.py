"""Which customers a helpdesk person may see and act on, and customer look-up within that scope.

A scope is a plain value handed to services by whoever knows the person (the Slack side reads
ACCESS_FILE and the person's user groups); services only ever ask it `allows(name)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select
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


@dataclass(frozen=True)
class CustomerChoice:
    id: int
    name: str


def customers_matching(
    session: Session, text: str, scope: CustomerScope, *, limit: int = 100
) -> list[CustomerChoice]:
    """Customers whose name holds `text` anywhere, the best matches first — the whole name, its
    start, the start of a word, anywhere; then shorter names — within the scope: what a type-ahead
    customer field offers. An empty text lists the first customers alphabetically.

    The database matches and ranks the folded names (customers.search_name) and returns only the
    `limit` best, so an options request with thousands of customers takes milliseconds."""
    wanted = fold(text)
    name = Customer.search_name
    query = select(Customer.id, Customer.name)
    if scope.names is not None:
        query = query.where(name.in_(sorted(scope.names)))
    if wanted:
        rank = case(
            (name == wanted, 0),
            (name.startswith(wanted, autoescape=True), 1),
            ((literal(" ") + name).contains(" " + wanted, autoescape=True), 2),
            else_=3,
        )
        query = query.where(name.contains(wanted, autoescape=True)).order_by(rank, func.length(name), name)
    else:
        query = query.order_by(name)
    return [CustomerChoice(int(id), str(found)) for id, found in session.execute(query.limit(limit))]


@dataclass(frozen=True)
class CustomerTypeAhead:
    """What a person typed into a type-ahead customer field."""

    typed: str
    scope: CustomerScope


def suggest_customers(db: Database, request: CustomerTypeAhead, *, limit: int) -> list[CustomerChoice]:
    """`customers_matching` in one short read: Slack waits for the options in its 3 s."""
    with db.read() as session:
        return customers_matching(session, request.typed, request.scope, limit=limit)
