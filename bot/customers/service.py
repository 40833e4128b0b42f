"""Customers and their subscriptions: look-up by what people type, and import from YAML."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, Table, bindparam, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.audit.service import record
from bot.customers import language_cache
from bot.customers.models import Customer, Subscription
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope
from bot.errors import DomainError, NotFound
from bot.i18n.languages import language_or_default, parse_language, platform_language


def list_customers(session: Session) -> Sequence[Customer]:
    return session.scalars(
        select(Customer).options(selectinload(Customer.subscriptions)).order_by(func.lower(Customer.name))
    ).all()


def get_customer(session: Session, customer_id: int) -> Customer:
    # Joined: the customer and its subscriptions in one round trip.
    customer = session.get(Customer, customer_id, options=[joinedload(Customer.subscriptions)])
    if customer is None:
        raise NotFound("That customer no longer exists.")
    return customer


def _similarity(wanted: str, name: str) -> float:
    """How alike a typed text is to a name: the whole name, its start, or any of its words."""
    name = name.lower()
    candidates = [name, name[: len(wanted) + 1], *name.replace("@", " ").replace(".", " ").split()]
    return max(difflib.SequenceMatcher(None, wanted, candidate).ratio() for candidate in candidates)


def close_matches(text: str, names: Sequence[str], *, limit: int = 5, cutoff: float = 0.75) -> list[str]:
    """Names containing the text first, then the most similar ones."""
    wanted = text.strip().lower()
    if not wanted:
        return []
    contained = [name for name in names if wanted in name.lower()]
    scored = sorted(((_similarity(wanted, name), name) for name in names), key=lambda item: -item[0])
    similar = [name for score, name in scored if score >= cutoff]
    return list(dict.fromkeys(contained + similar))[:limit]


def find_customer(session: Session, text: str, scope: CustomerScope = EVERY_CUSTOMER) -> Customer:
    """The customer named `text` (case-insensitive), or the only one whose name starts with it,
    among the customers the person may act on (a customer outside the scope is refused by name)."""
    wanted = text.strip().lower()
    everyone = list_customers(session)
    exact = [c for c in everyone if c.name.lower() == wanted]
    if exact:
        scope.check(exact[0].name)
        return exact[0]
    customers = scope.visible(everyone)
    prefixed = [c for c in customers if c.name.lower().startswith(wanted)]
    if len(prefixed) == 1:
        return prefixed[0]
    anywhere = [c for c in everyone if c.name.lower().startswith(wanted)]
    if not prefixed and len(anywhere) == 1:
        scope.check(anywhere[0].name)  # the one customer meant is outside the scope: say so
    names = [c.name for c in customers]
    suggestions = [c.name for c in prefixed] if prefixed else close_matches(text, names)
    raise NotFound(f"No customer is called “{text.strip()}”.", suggestions)


# --- import ---------------------------------------------------------------------------------


class SubscriptionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=75)
    provider_id: str | None = None


class CustomerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    provider_id: str | None = None
    # The language of the customer's e-mails and pages; unset: LANGUAGE (or what it had).
    language: str | None = None
    subscriptions: list[SubscriptionEntry] = Field(min_length=1)

    @field_validator("language")
    @classmethod
    def _shipped_language(cls, value: str | None) -> str | None:
        return None if value is None else parse_language(value)

    @field_validator("subscriptions", mode="before")
    @classmethod
    def _names_to_entries(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value


class CustomerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customers: list[CustomerEntry]


class ImportError_(DomainError):
    """The file cannot be imported; the text names the entry and the field."""


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    subscriptions_added: int


def parse_customer_file(data: Any) -> CustomerFile:
    try:
        return CustomerFile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            lines.append(f"{where}: {str(error['msg']).removeprefix('Value error, ')}")
        raise ImportError_("\n".join(lines)) from None


def import_customers(
    session: Session, document: CustomerFile, *, now: datetime, actor: str = "deskops"
) -> ImportReport:
    """Create or update customers by name; subscriptions are added, never removed. What changed
    is one audit event."""
    created = updated = added = 0
    created_names: list[str] = []
    added_names: list[str] = []
    for entry in document.customers:
        customer = session.scalar(
            select(Customer)
            .where(func.lower(Customer.name) == entry.name.lower())
            .options(selectinload(Customer.subscriptions))
        )
        if customer is None:
            customer = Customer(
                name=entry.name, provider_id=entry.provider_id, language=entry.language, created_at=now
            )
            session.add(customer)
            created += 1
            created_names.append(entry.name)
        else:
            if entry.provider_id:
                customer.provider_id = entry.provider_id
            if entry.language:
                customer.language = entry.language
            updated += 1
        existing = {s.name.lower(): s for s in customer.subscriptions}
        for position, item in enumerate(entry.subscriptions):
            subscription = existing.get(item.name.lower())
            if subscription is None:
                customer.subscriptions.append(
                    Subscription(name=item.name, provider_id=item.provider_id, position=position)
                )
                added += 1
                added_names.append(f"{customer.name}: {item.name}")
            else:
                subscription.position = position
                if item.provider_id:
                    subscription.provider_id = item.provider_id
    session.flush()
    if created or added:
        record(
            session,
            actor=actor,
            action="customers.imported",
            target=f"{created} customers created, {added} subscriptions added",
            now=now,
            details={"customers_created": created_names, "subscriptions_added": added_names},
        )
    return ImportReport(created=created, updated=updated, subscriptions_added=added)


def customer_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Customer)) or 0


@dataclass(frozen=True)
class SubscriptionSummary:
    id: int
    name: str


@dataclass(frozen=True)
class CustomerSummary:
    id: int
    name: str
    subscriptions: tuple[SubscriptionSummary, ...]
    # The customer's own language, None when it has none (see language_for_customer).
    language: str | None = None


def summarize_customer(customer: Customer) -> CustomerSummary:
    return CustomerSummary(
        id=customer.id,
        name=customer.name,
        subscriptions=tuple(SubscriptionSummary(id=s.id, name=s.name) for s in customer.subscriptions),
        language=customer.language,
    )


_CUSTOMERS, _SUBSCRIPTIONS = cast(Table, Customer.__table__), cast(Table, Subscription.__table__)
# Built once (so keyed and compiled once): a row per subscription, or one with none.
_SUMMARY = (
    select(_CUSTOMERS.c.name, _CUSTOMERS.c.language, _SUBSCRIPTIONS.c.id, _SUBSCRIPTIONS.c.name)
    .outerjoin(_SUBSCRIPTIONS, _SUBSCRIPTIONS.c.customer_id == _CUSTOMERS.c.id)
    .where(_CUSTOMERS.c.id == bindparam("customer_id"))
    .order_by(_SUBSCRIPTIONS.c.position, _SUBSCRIPTIONS.c.id)
)


def customer_summary(session: Session, customer_id: int) -> CustomerSummary:
    """`summarize_customer(get_customer(…))` in one Core query, for what only reads the name and
    the subscriptions: about a third of the ORM's load of the customer and its subscriptions
    (which Add New User's two steps paid while a burst of people waited for their acks)."""
    rows = session.execute(_SUMMARY, {"customer_id": customer_id}).all()
    if not rows:
        raise NotFound("That customer no longer exists.")
    name, language = rows[0][0], rows[0][1]
    subscriptions = tuple(SubscriptionSummary(id=row[2], name=row[3]) for row in rows if row[2] is not None)
    return CustomerSummary(id=customer_id, name=name, subscriptions=subscriptions, language=language)


# --- language -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerLanguages:
    """Which language each customer's e-mails use (what Send Enrollment Invitation shows)."""

    default: str
    # (customer name, language) of the customers with a language of their own, by name.
    own: tuple[tuple[str, str], ...]
    # How many customers have none, and so get `default`.
    others: int


def customer_languages(bind: Session | Connection, default: str) -> CustomerLanguages:
    """Kept for a short while by each process (bot/customers/language_cache.py)."""
    return language_cache.languages.get(bind, default, lambda: _read_languages(bind, default))


def _read_languages(bind: Session | Connection, default: str) -> CustomerLanguages:
    rows = bind.execute(select(Customer.name, Customer.language).order_by(func.lower(Customer.name))).all()
    own = tuple((name, language) for name, language in rows if language and language != default)
    return CustomerLanguages(default=default, own=own, others=len(rows) - len(own))


def language_for_customer(customer: Customer | CustomerSummary | None, default: str) -> str:
    """The language of the e-mails and pages a customer's users get: the customer's own, else
    `default` (the LANGUAGE setting). Also what a backup platform is told when it creates a user."""
    return language_or_default(customer.language if customer is not None else None, default)


def apply_platform_language(customer: Customer, value: str | None) -> bool:
    """Take a backup platform's language for the customer (Acronis: the tenant's `language`),
    when the platform has one that deskops ships; returns whether it changed. A language the
    platform does not set, or one without a catalog here, leaves the customer's as it is."""
    language = platform_language(value)
    if language is None or language == customer.language:
        return False
    customer.language = language
    return True


def customer_summaries(session: Session) -> list[CustomerSummary]:
    return [summarize_customer(customer) for customer in list_customers(session)]


def customer_names(session: Session, customer_ids: Collection[int]) -> dict[int, str]:
    """The names of these customers (those that still exist), in one query."""
    if not customer_ids:
        return {}
    rows = session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids)))
    return {row.id: row.name for row in rows}
