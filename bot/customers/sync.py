"""Customers and subscriptions from the backup platform (`deskops customers sync`).

The platform is the source of truth: its customers are created or updated here by their
platform id (a customer or subscription imported from YAML under the same name is linked to
the platform instead of duplicated), renamed when they are renamed there, their subscriptions
kept in the platform's order, and their language taken from the platform's when deskops ships
it. Nothing is deleted: a customer or subscription the platform does not list may still have
users and assignments, so it is reported instead.

`sync_customers(db, platform, now=…)` reads the platform, then applies what it listed in one
unit of work; the scheduled job (see bot/scheduler/jobs.py) runs the same two steps. The platform
is read before the database is touched, so no transaction waits on the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.audit.service import record
from bot.customers.models import Customer, Subscription
from bot.customers.service import apply_platform_language
from bot.db import Database
from bot.integrations.backup.port import BackupPlatform, PlatformCustomer

CUSTOMER_NAME_MAX = 200
SUBSCRIPTION_NAME_MAX = 75


@dataclass
class SyncReport:
    platform: str
    listed: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    subscriptions_added: int = 0
    subscriptions_updated: int = 0
    # Linked to the platform here, but no longer listed there (kept: users may still use them).
    gone: list[str] = field(default_factory=list)
    subscriptions_gone: list[str] = field(default_factory=list)
    # Could not be applied, with the reason.
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.subscriptions_added or self.subscriptions_updated)

    def lines(self) -> list[str]:
        lines = [
            f"{self.platform}: {self.listed} customers listed; {len(self.created)} created, "
            f"{len(self.updated)} updated; {self.subscriptions_added} subscriptions added, "
            f"{self.subscriptions_updated} updated"
        ]
        lines += [f"  created: {name}" for name in self.created]
        lines += [f"  updated: {name}" for name in self.updated]
        lines += [
            f"  no longer on the platform (kept): {name}" for name in self.gone + self.subscriptions_gone
        ]
        lines += [f"  not applied: {problem}" for problem in self.problems]
        return lines

    def summary(self) -> str:
        """One line: the counts, and how many need a look (for the scheduler's log and record)."""
        text = self.lines()[0]
        kept = len(self.gone) + len(self.subscriptions_gone)
        if kept:
            text += f"; {kept} no longer on the platform (kept)"
        if self.problems:
            text += f"; {len(self.problems)} not applied"
        return text


def _is_platform_id(provider_id: str | None) -> bool:
    return bool(provider_id) and not str(provider_id).startswith("local-")


def sync_customers(
    db: Database, platform: BackupPlatform, *, now: datetime, actor: str = "deskops"
) -> SyncReport:
    """Bring customers and subscriptions in line with `platform.list_customers()`."""
    listed = platform.list_customers()  # network first; PlatformError leaves the database untouched
    with db.transaction() as session:
        return apply_customers(session, listed, platform=platform.name, now=now, actor=actor)


@dataclass
class _KnownCustomers:
    """The database's customers, by platform id and by lower-case name, kept current as the sync
    links, creates and renames them."""

    all: list[Customer]
    by_id: dict[str, Customer]
    by_name: dict[str, Customer]

    @classmethod
    def load(cls, session: Session) -> _KnownCustomers:
        customers = list(
            session.scalars(select(Customer).options(selectinload(Customer.subscriptions))).all()
        )
        return cls(
            all=customers,
            by_id={c.provider_id: c for c in customers if c.provider_id},
            by_name={c.name.lower(): c for c in customers},
        )


def _link_or_create(
    session: Session,
    known: _KnownCustomers,
    entry: PlatformCustomer,
    name: str,
    report: SyncReport,
    now: datetime,
) -> Customer | None:
    """The customer of this platform entry: one of the same name not linked to the platform yet,
    else a new one; None when another platform customer has the name."""
    customer = known.by_name.get(name.lower())
    if customer is not None and _is_platform_id(customer.provider_id):
        report.problems.append(
            f"{name}: another platform customer ({customer.provider_id}) already has this name"
        )
        return None
    if customer is None:
        customer = Customer(name=name, provider_id=entry.provider_id, created_at=now)
        session.add(customer)
        known.all.append(customer)
        report.created.append(name)
    else:
        customer.provider_id = entry.provider_id
        report.updated.append(f"{customer.name} (linked to the platform)")
    known.by_id[entry.provider_id] = customer
    known.by_name[name.lower()] = customer
    return customer


def _rename(known: _KnownCustomers, customer: Customer, name: str, report: SyncReport) -> None:
    holder = known.by_name.get(name.lower())
    if holder is not None and holder is not customer:
        report.problems.append(f"{customer.name}: cannot be renamed to {name}, which another customer has")
        return
    known.by_name.pop(customer.name.lower(), None)
    report.updated.append(f"{customer.name} (renamed to {name})")
    customer.name = name
    known.by_name[name.lower()] = customer


def apply_customers(
    session: Session,
    listed: Sequence[PlatformCustomer],
    *,
    platform: str,
    now: datetime,
    actor: str = "deskops",
) -> SyncReport:
    """Bring customers and subscriptions in line with what `platform` listed; what changed is
    one audit event."""
    report = SyncReport(platform=platform, listed=len(listed))
    known = _KnownCustomers.load(session)
    for entry in listed:
        name = entry.name.strip()[:CUSTOMER_NAME_MAX] or entry.provider_id
        customer = known.by_id.get(entry.provider_id)
        linked_before = customer is not None
        if customer is None:
            customer = _link_or_create(session, known, entry, name, report, now)
            if customer is None:
                continue
        elif customer.name != name:
            _rename(known, customer, name, report)
        # Created or linked just now: that line says it; a language change of a known one is news.
        if apply_platform_language(customer, entry.language) and linked_before:
            report.updated.append(f"{customer.name} (language {customer.language})")
        _sync_subscriptions(customer, entry, report)
        if not entry.subscriptions:
            report.problems.append(
                f"{customer.name}: the platform offers it no backup subscription, so Backup cannot be assigned"
            )
    listed_ids = {entry.provider_id for entry in listed}
    report.gone += [
        c.name for c in known.all if _is_platform_id(c.provider_id) and c.provider_id not in listed_ids
    ]
    session.flush()
    if report.changed:
        _record_sync(session, report, actor=actor, now=now)
    return report


def _record_sync(session: Session, report: SyncReport, *, actor: str, now: datetime) -> None:
    record(
        session,
        actor=actor,
        action="customers.synced",
        target=report.summary(),
        now=now,
        details={
            "platform": report.platform,
            "customers_created": report.created,
            "customers_updated": report.updated,
            "subscriptions_added": report.subscriptions_added,
            "subscriptions_updated": report.subscriptions_updated,
        },
    )


def _sync_subscriptions(customer: Customer, entry: PlatformCustomer, report: SyncReport) -> None:
    existing = list(customer.subscriptions)
    by_id = {s.provider_id: s for s in existing if s.provider_id}
    by_name = {s.name.lower(): s for s in existing}
    listed_ids: set[str] = set()
    for position, offered in enumerate(entry.subscriptions):
        listed_ids.add(offered.provider_id)
        name = offered.name.strip()[:SUBSCRIPTION_NAME_MAX] or offered.provider_id[:SUBSCRIPTION_NAME_MAX]
        subscription = by_id.get(offered.provider_id)
        if subscription is None:
            subscription = by_name.get(name.lower())
            if subscription is not None and _is_platform_id(subscription.provider_id):
                report.problems.append(f"{customer.name}: two platform subscriptions are called {name}")
                continue
            if subscription is None:
                subscription = Subscription(name=name, provider_id=offered.provider_id, position=position)
                customer.subscriptions.append(subscription)
                report.subscriptions_added += 1
            else:
                subscription.provider_id = offered.provider_id
                report.subscriptions_updated += 1
            by_id[offered.provider_id] = subscription
            by_name[name.lower()] = subscription
        elif subscription.name != name:
            holder = by_name.get(name.lower())
            if holder is not None and holder is not subscription:
                report.problems.append(
                    f"{customer.name}: subscription {subscription.name} cannot be renamed to {name}"
                )
            else:
                by_name.pop(subscription.name.lower(), None)
                subscription.name = name
                by_name[name.lower()] = subscription
                report.subscriptions_updated += 1
        subscription.position = position
    for subscription in existing:
        if _is_platform_id(subscription.provider_id) and subscription.provider_id not in listed_ids:
            report.subscriptions_gone.append(f"{customer.name}: {subscription.name}")
