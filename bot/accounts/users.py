"""Creating a backup user (and their Backup service) from the checked new-user record.

No remote call here: this runs inside a transaction (the Add New User submission's, or an
approval's). The e-mail was checked on the platform before (bot/accounts/adding.py); the
database's unique key on (customer, sign-in e-mail) is the last word here, and the platform's own
refusal when provisioning creates the account there (the card then shows why)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.accounts.assignments import add_backup
from bot.accounts.forms import Field, NewUser
from bot.accounts.jobs import AccountJob, CardHeadline, user_cards
from bot.accounts.models import BackupUser, ProvisioningState, UserStatus, search_text_for
from bot.accounts.queries import email_taken
from bot.audit.service import record_at_once
from bot.customers.service import CustomerSummary, customer_summary, get_customer
from bot.errors import FieldErrors
from bot.outbox.service import NewEffect, enqueue_new

_USERS = cast(Table, BackupUser.__table__)
# INSERT … ON CONFLICT DO NOTHING RETURNING the new id, built once per dialect (keyed once), on
# the table: the ORM's insert returning the whole user cost three times the statement.
_INSERT_USER = {
    "postgresql": pg_insert(_USERS).on_conflict_do_nothing().returning(_USERS.c.id),
    "sqlite": sqlite_insert(_USERS).on_conflict_do_nothing().returning(_USERS.c.id),
}


@dataclass(frozen=True)
class CreatedUser:
    """The user a request made: its id and name, which is all its callers answer with (nothing of
    the user is read back; `get_user` reads it)."""

    user_id: int
    full_name: str
    # False when this request had already created the user (double-clicked submit).
    created: bool


def email_in_use(customer_name: str) -> FieldErrors:
    """The answer to a sign-in e-mail the customer has a user for, on the Email field."""
    return FieldErrors({Field.EMAIL: f"A user with this email already exists for {customer_name}."})


def check_email_unused(session: Session, new_user: NewUser) -> None:
    if email_taken(session, new_user.customer_id, new_user.email):
        raise email_in_use(get_customer(session, new_user.customer_id).name)


def made_by_request(session: Session, request_key: str) -> CreatedUser | None:
    """The user this request made already (a double-clicked submit, a Slack retry)."""
    user = session.scalar(select(BackupUser).where(BackupUser.request_key == request_key))
    return None if user is None else CreatedUser(user.id, user.full_name, created=False)


def _insert(
    session: Session, new_user: NewUser, *, actor: str, now: datetime, request_key: str
) -> int | None:
    """Add the row in one statement, its id; None when a unique key already holds it (this request
    made its user before, or the customer has a user with this e-mail), which writes nothing. A
    concurrent submit of the same modal or e-mail waits for the other to end, then finds it."""
    values = {
        "customer_id": new_user.customer_id,
        "first_name": new_user.first_name,
        "last_name": new_user.last_name,
        "email": new_user.email,
        "email_key": new_user.email.lower(),
        "notification_email": new_user.notification_email,
        "role": new_user.role,
        "address": new_user.address,
        "phone": new_user.phone,
        "status": UserStatus.PENDING_ACTIVATION,
        "provisioning": ProvisioningState.PENDING,
        "created_by": actor,
        "created_at": now,
        "request_key": request_key,
    }
    # A statement, not the unit of work: no mapper event, so the search text is filled in here.
    values["search_text"] = search_text_for(
        new_user.first_name, new_user.last_name, new_user.email, new_user.notification_email
    )
    return session.scalars(_INSERT_USER[session.get_bind().dialect.name], values).first()


def _follow_up(
    session: Session,
    user_id: int,
    new_user: NewUser,
    *,
    actor: str,
    now: datetime,
    notify_channels: Sequence[str],
) -> None:
    """Audit the creation, queue the account on the platform and the confirmation cards: each
    one statement, as nothing here is read back (the user is this transaction's, so none of
    its outbox rows can be queued yet)."""
    record_at_once(
        session,
        actor=actor,
        action="user.created",
        target=new_user.email,
        now=now,
        customer_id=new_user.customer_id,
        details={"role": new_user.role.value, "backup": new_user.backup is not None, "user_id": user_id},
    )
    provision = NewEffect(AccountJob.PROVISION, {"user_id": user_id}, f"provision:{user_id}")
    cards = user_cards(
        user_id, channels=notify_channels, headline=CardHeadline.CREATED, actor=actor, change_key="created"
    )
    enqueue_new(session, [provision, *cards], now=now)


def create_user(
    session: Session,
    *,
    new_user: NewUser,
    actor: str,
    now: datetime,
    request_key: str,
    notify_channels: Sequence[str],
    customer: CustomerSummary | None = None,
) -> CreatedUser:
    """Create the account (and its Backup assignment) and queue provisioning and confirmations,
    once per `request_key`. `customer`: the new user's, when the caller read it in this
    transaction (the Backup settings are checked against its subscriptions; else it is read)."""
    user_id = _insert(session, new_user, actor=actor, now=now, request_key=request_key)
    if user_id is None:
        made = made_by_request(session, request_key)
        if made is not None:
            return made
        raise email_in_use(customer_summary(session, new_user.customer_id).name)
    if new_user.backup is not None:
        if customer is None or customer.id != new_user.customer_id:
            customer = customer_summary(session, new_user.customer_id)
        add_backup(session, user_id, customer, new_user.backup, actor=actor, now=now)
    _follow_up(session, user_id, new_user, actor=actor, now=now, notify_channels=notify_channels)
    return CreatedUser(user_id, new_user.full_name, created=True)
