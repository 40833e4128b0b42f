"""The import's steps as entry points call them, each owning its transaction: check a file,
keep it for **Import**, start it. Slack listeners and `deskops users import` share them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.accounts.import_models import ImportRow, RowState, UserImport
from bot.accounts.imports import CheckedFile, check_rows, read_rows
from bot.accounts.user_imports import (
    ImportProgress,
    customer_rules,
    import_progress,
    prepare_import,
    start_import,
)
from bot.customers.scope import CustomerScope
from bot.customers.service import CustomerSummary, customer_summaries, find_customer, get_customer
from bot.db import Database
from bot.errors import InvalidState, NotFound


@dataclass(frozen=True)
class CheckedImport:
    customer_id: int
    customer_name: str
    file_name: str
    checked: CheckedFile


def check_import_file(
    db: Database,
    *,
    customer_id: int,
    file_name: str,
    data: bytes,
    scope: CustomerScope,
    phone_region: str,
    login_problem: Callable[[str], str | None],
) -> CheckedImport:
    """Every row of the file checked against the customer (ImportFileError for a file that is not a
    user list; OutOfScope for a customer the person may not act on)."""
    with db.read() as session:
        customer = get_customer(session, customer_id)
        name = customer.name
        scope.check(name)
        rules = customer_rules(session, customer_id, phone_region=phone_region, login_problem=login_problem)
    checked = check_rows(read_rows(data), rules)
    return CheckedImport(customer_id, name, file_name, checked)


def keep_import(
    db: Database,
    checked: CheckedImport,
    *,
    actor: str,
    channel_id: str | None,
    request_key: str,
    now: datetime,
) -> int:
    """The checked file kept for **Import**; its id."""
    with db.transaction() as session:
        prepared = prepare_import(
            session,
            customer_id=checked.customer_id,
            checked=checked.checked,
            file_name=checked.file_name,
            actor=actor,
            channel_id=channel_id,
            request_key=request_key,
            now=now,
        )
        return prepared.id


@dataclass(frozen=True)
class StartedImport:
    import_id: int
    rows: int
    channel_id: str | None
    # False when an earlier click (or a retry of it) started it already.
    started_now: bool


def begin_import(
    db: Database, import_id: int, *, actor: str, scope: CustomerScope, now: datetime, queue_rows: bool = True
) -> StartedImport:
    with db.transaction() as session:
        prepared = session.get(UserImport, import_id)
        if prepared is None:
            raise NotFound("That import no longer exists; choose the file again.")
        scope.check(prepared.customer.name)
        started, now_started = start_import(session, import_id, actor=actor, now=now, queue_rows=queue_rows)
        return StartedImport(started.id, started.rows, started.channel_id, now_started)


@dataclass(frozen=True)
class ImportTarget:
    """Whom **Import Users** offers: the customers in the person's scope, and the one fixed by the
    command (or the only one) as (id, name)."""

    customers: list[CustomerSummary]
    chosen: tuple[int, str] | None


def import_target(db: Database, *, customer_text: str | None, scope: CustomerScope) -> ImportTarget:
    with db.read() as session:
        customers = [c for c in customer_summaries(session) if scope.allows(c.name)]
        fixed = find_customer(session, customer_text, scope) if customer_text else None
        chosen = (fixed.id, fixed.name) if fixed else None
    if not customers:
        raise InvalidState(
            "No customer is in your scope: ask a deskops administrator to add yours in ACCESS_FILE."
        )
    if chosen is None and len(customers) == 1:
        chosen = (customers[0].id, customers[0].name)
    return ImportTarget(customers, chosen)


def customer_in_scope(db: Database, customer_id: int, scope: CustomerScope) -> str:
    """The customer's name; OutOfScope when the person may not act on it."""
    with db.read() as session:
        name = get_customer(session, customer_id).name
    scope.check(name)
    return name


def queued_rows(db: Database, import_id: int, *, limit: int) -> list[int]:
    """The next rows of an import still to be added, in file order."""
    with db.read() as session:
        return list(
            session.scalars(
                select(ImportRow.id)
                .where(ImportRow.import_id == import_id, ImportRow.state == RowState.QUEUED)
                .order_by(ImportRow.row_number)
                .limit(limit)
            )
        )


def progress_of(db: Database, import_id: int, *, failures_shown: int = 10) -> ImportProgress:
    with db.read() as session:
        return import_progress(session, import_id, failures_shown=failures_shown)
