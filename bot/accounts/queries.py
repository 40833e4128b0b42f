"""Looking up backup users: by id, by what people type, by customer, by state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.accounts.models import (
    ActivationToken,
    BackupUser,
    ServiceAssignment,
    UserStatus,
)
from bot.customers.models import Customer
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope, OutOfScope, customer_ids_in
from bot.customers.service import close_matches, find_customer, get_customer
from bot.db import Database
from bot.errors import Ambiguous, InvalidState, NotFound
from bot.outbox.models import OutboxMessage, OutboxStatus


def get_user(session: Session, user_id: int) -> BackupUser:
    user = session.get(
        BackupUser,
        user_id,
        options=[selectinload(BackupUser.services).selectinload(ServiceAssignment.subscription)],
    )
    if user is None:
        raise NotFound("That backup user no longer exists.")
    return user


def find_user(
    session: Session, email: str, customer_text: str | None = None, scope: CustomerScope = EVERY_CUSTOMER
) -> BackupUser:
    """The user signing in with `email`, within the named customer when one is given, among the
    customers the person may act on."""
    key = email.strip().lower()
    query = select(BackupUser).where(BackupUser.email_key == key).options(selectinload(BackupUser.customer))
    if customer_text:
        customer = find_customer(session, customer_text, scope)
        query = query.where(BackupUser.customer_id == customer.id)
    found = session.scalars(query).all()
    matches = [user for user in found if scope.allows(user.customer.name)]
    if found and not matches:
        raise OutOfScope(found[0].customer.name)
    if len(matches) == 1:
        return get_user(session, matches[0].id)
    if len(matches) > 1:
        names = sorted(user.customer.name for user in matches)
        raise Ambiguous(f"{email} is a user of several customers: {', '.join(names)}.", names)
    known = session.scalars(select(BackupUser.email).order_by(BackupUser.email).limit(5000)).all()
    raise NotFound(f"No backup user signs in with {email}.", close_matches(email, list(known)))


def live_user(session: Session, user_id: int, scope: CustomerScope) -> BackupUser:
    """The user a change is about: in the person's scope and not deleted."""
    user = get_user(session, user_id)
    scope.check(user.customer.name)
    if user.status is UserStatus.DELETED:
        raise InvalidState(f"{user.full_name} ({user.email}) was deleted.")
    return user


def check_user_in_scope(db: Database, user_id: int, scope: CustomerScope) -> None:
    """Refuse (OutOfScope, naming the customer) a button or modal about a user whose customer the
    person may not act on: buttons and cards can be seen by people with other scopes."""
    if scope.is_everything:
        return
    with db.read() as session:
        name = session.scalar(
            select(Customer.name)
            .join(BackupUser, BackupUser.customer_id == Customer.id)
            .where(BackupUser.id == user_id)
        )
    if name is not None:
        scope.check(name)


def check_customer_in_scope(db: Database, customer_id: int, scope: CustomerScope) -> None:
    if scope.is_everything:
        return
    with db.read() as session:
        name = session.scalar(select(Customer.name).where(Customer.id == customer_id))
    if name is not None:
        scope.check(name)


def email_taken(session: Session, customer_id: int, email: str) -> bool:
    return (
        session.scalar(
            select(BackupUser.id).where(
                BackupUser.customer_id == customer_id, BackupUser.email_key == email.strip().lower()
            )
        )
        is not None
    )


@dataclass(frozen=True)
class Holder:
    """A user holding a request key or a sign-in e-mail at a customer."""

    request_key: str | None
    customer_id: int
    email_key: str


# Built once, its lists bound at each call: building the statement and its cache key cost as much
# as running it (Add New User's details step runs it while a burst of people waits for acks). On
# the table's columns: a select of the mapped class's attributes also sets up the ORM's loading.
_USERS = cast(Table, BackupUser.__table__)
_HOLDERS = select(_USERS.c.request_key, _USERS.c.customer_id, _USERS.c.email_key).where(
    or_(
        _USERS.c.request_key.in_(bindparam("request_keys", expanding=True)),
        and_(
            _USERS.c.customer_id.in_(bindparam("customer_ids", expanding=True)),
            _USERS.c.email_key.in_(bindparam("email_keys", expanding=True)),
        ),
    )
)


def holders_of(session: Session, wanted: Sequence[tuple[int, str, str]]) -> list[Holder]:
    """`request_or_email_holders` for many (customer id, e-mail, request key) at once, in one
    query: every user made by one of the requests or signing in with one of the e-mails (the
    caller matches each to its customer)."""
    if not wanted:
        return []
    lists = {
        "request_keys": list({key for _, _, key in wanted}),
        "customer_ids": list({customer for customer, _, _ in wanted}),
        "email_keys": list({email.strip().lower() for _, email, _ in wanted}),
    }
    return [Holder(*row) for row in session.execute(_HOLDERS, lists)]


def request_or_email_holders(
    session: Session, customer_id: int, email: str, request_key: str
) -> list[str | None]:
    """In one query, the request keys of the users made by this request (a retry, a double
    submit) or signing in with this e-mail at the customer: none when the e-mail is free."""
    return [holder.request_key for holder in holders_of(session, [(customer_id, email, request_key)])]


@dataclass(frozen=True)
class UsersPage:
    customer: Customer
    users: Sequence[BackupUser]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.users) < self.total


def list_users(session: Session, customer_id: int, *, offset: int = 0, limit: int = 20) -> UsersPage:
    customer = get_customer(session, customer_id)
    total = session.scalar(select(func.count()).where(BackupUser.customer_id == customer_id)) or 0
    users = session.scalars(
        select(BackupUser)
        .where(BackupUser.customer_id == customer_id)
        .options(selectinload(BackupUser.services).selectinload(ServiceAssignment.subscription))
        .order_by(func.lower(BackupUser.last_name), func.lower(BackupUser.first_name), BackupUser.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return UsersPage(customer=customer, users=users, total=total, offset=offset, limit=limit)


def user_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(BackupUser.customer_id, func.count()).group_by(BackupUser.customer_id)
    ).all()
    return {int(customer_id): int(count) for customer_id, count in rows}


def pending_activation(
    session: Session, *, limit: int = 10, scope: CustomerScope = EVERY_CUSTOMER
) -> tuple[list[BackupUser], int]:
    """The oldest users still pending activation within the scope, and how many there are in all."""
    waiting = BackupUser.status == UserStatus.PENDING_ACTIVATION
    in_scope = customer_ids_in(session, scope)
    if in_scope is not None:
        waiting = waiting & BackupUser.customer_id.in_(in_scope)
    total = session.scalar(select(func.count()).select_from(BackupUser).where(waiting)) or 0
    users = session.scalars(
        select(BackupUser)
        .where(waiting)
        .options(
            selectinload(BackupUser.customer),
            selectinload(BackupUser.services).selectinload(ServiceAssignment.subscription),
        )
        .order_by(BackupUser.created_at, BackupUser.id)
        .limit(limit)
    ).all()
    return list(users), total


def last_activation_sent(session: Session, user_id: int) -> datetime | None:
    return session.scalar(
        select(func.max(ActivationToken.created_at)).where(ActivationToken.user_id == user_id)
    )


def last_activations_sent(session: Session, user_ids: Sequence[int]) -> dict[int, datetime]:
    """`last_activation_sent` of several users in one query (users never sent one are absent)."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(ActivationToken.user_id, func.max(ActivationToken.created_at))
        .where(ActivationToken.user_id.in_(user_ids))
        .group_by(ActivationToken.user_id)
    )
    return {int(user_id): sent for user_id, sent in rows}


@dataclass(frozen=True)
class ActivationMailProblem:
    """Why the latest activation e-mail has not gone out: waiting for a retry, or given up."""

    reason: str
    gave_up: bool


def activation_mail_problem(session: Session, user_id: int) -> ActivationMailProblem | None:
    """The outbox's last error for the user's newest activation e-mail while it waits for another
    attempt (an SMTP outage) or after it was given up (e.g. the address is refused)."""
    token_id = session.scalar(
        select(ActivationToken.id)
        .where(ActivationToken.user_id == user_id, ActivationToken.used_at.is_(None))
        .order_by(ActivationToken.created_at.desc(), ActivationToken.id.desc())
        .limit(1)
    )
    if token_id is None:
        return None
    row = session.execute(
        select(OutboxMessage.status, OutboxMessage.last_error).where(
            OutboxMessage.dedupe_key == f"activation:{token_id}"
        )
    ).first()
    if row is None or not row.last_error or row.status not in (OutboxStatus.PENDING, OutboxStatus.FAILED):
        return None
    return ActivationMailProblem(reason=row.last_error, gave_up=row.status is OutboxStatus.FAILED)
