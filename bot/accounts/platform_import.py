"""Accounts made on the backup platform directly (e.g. in the Acronis management portal).

`/backup assign|settings|activate <email> [customer]` name a user by sign-in e-mail. When deskops
has no such user but the platform keeps its own accounts, the account is looked up by its login
within the customer's tenant (every linked customer's when none is named, after one check that
the login is taken at all) and, on first use, imported into deskops' records: the same user as
one created through deskops from then on (cards, reminders, read-back), audited as
`user.imported`, with its Backup service when it has one on a subscription deskops knows. No
remote call happens inside a transaction: read, ask the platform, then write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.accounts.assignments import apply_backup
from bot.accounts.forms import BackupSettings
from bot.accounts.models import BackupUser, ProvisioningState, Role, UserStatus
from bot.accounts.queries import find_user, get_user
from bot.audit.service import record
from bot.clock import Clock
from bot.customers.models import Customer
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope
from bot.customers.service import find_customer, list_customers
from bot.db import Database
from bot.errors import NotFound
from bot.integrations.backup.port import BackupPlatform, PlatformAccount

NAME_MAX = 100


@dataclass(frozen=True)
class LinkedCustomer:
    id: int
    name: str
    provider_id: str
    # The customer's subscriptions by their platform id (Acronis: the backup storage).
    subscriptions: dict[str, int]


def _linked(customer: Customer) -> LinkedCustomer | None:
    if not customer.provider_id or customer.provider_id.startswith("local-"):
        return None
    subscriptions = {s.provider_id: s.id for s in customer.subscriptions if s.provider_id}
    return LinkedCustomer(
        id=customer.id, name=customer.name, provider_id=customer.provider_id, subscriptions=subscriptions
    )


def _candidates(session: Session, customer_text: str | None, scope: CustomerScope) -> list[LinkedCustomer]:
    customers = (
        [find_customer(session, customer_text, scope)]
        if customer_text
        else scope.visible(list_customers(session))
    )
    return [linked for customer in customers if (linked := _linked(customer)) is not None]


def find_or_import_user(
    db: Database,
    platform: BackupPlatform,
    clock: Clock,
    *,
    email: str,
    customer_text: str | None,
    actor: str,
    scope: CustomerScope = EVERY_CUSTOMER,
) -> int:
    """The id of the deskops user signing in with `email`, importing the platform's account when
    deskops has none, among the customers in the person's scope. NotFound when neither has it."""
    login = email.strip()
    with db.read() as session:
        try:
            return find_user(session, login, customer_text, scope).id
        except NotFound as not_found:
            missing = not_found
        if not platform.keeps_accounts:
            raise missing
        candidates = _candidates(session, customer_text, scope)
    if not candidates or platform.login_problem(login) or platform.login_available(login):
        raise missing
    for customer in candidates:
        account = platform.find_account(customer.provider_id, login)
        if account is not None:
            return import_account(db, clock, customer=customer, account=account, actor=actor)
    where = candidates[0].name if customer_text else "any customer deskops knows"
    raise NotFound(
        f"No backup user signs in with {login}: the sign-in name is taken on the backup platform, "
        f"but not in {where}.",
        missing.suggestions,
    )


def _user_from(account: PlatformAccount, customer_id: int, *, actor: str, now: datetime) -> BackupUser:
    login = account.login
    first = account.first_name or login.split("@", 1)[0]
    activated = account.activated
    return BackupUser(
        customer_id=customer_id,
        first_name=first[:NAME_MAX],
        last_name=account.last_name[:NAME_MAX],
        email=login,
        email_key=login.lower(),
        notification_email=account.email if account.email.lower() != login.lower() else None,
        role=account.role or Role.USER,
        address=account.address,
        phone=account.phone,
        status=UserStatus.ACTIVE if activated else UserStatus.PENDING_ACTIVATION,
        provider_id=account.provider_id,
        provisioning=ProvisioningState.DONE,
        created_by=actor,
        created_at=now,
        activated_at=now if activated else None,
    )


def _backup_settings(customer: LinkedCustomer, account: PlatformAccount) -> BackupSettings | None:
    """The account's Backup service as deskops settings, when it is on one of the customer's
    subscriptions (else the helpdesk assigns it with /backup assign)."""
    state = account.backup
    subscription_id = customer.subscriptions.get(state.subscription_provider_id) if state else None
    if state is None or subscription_id is None:
        return None
    return BackupSettings(
        subscription_id=subscription_id,
        notification_level=state.notification_level,
        backup_role=state.backup_role,
        quotas=state.quotas,
    )


def import_account(
    db: Database, clock: Clock, *, customer: LinkedCustomer, account: PlatformAccount, actor: str
) -> int:
    now = clock.now()
    with db.transaction() as session:
        user = _user_from(account, customer.id, actor=actor, now=now)
        try:
            with session.begin_nested():
                session.add(user)
                session.flush()
        except IntegrityError:
            # Imported meanwhile by another request (same customer and e-mail): use that one.
            existing = session.scalar(
                select(BackupUser.id).where(
                    BackupUser.customer_id == customer.id, BackupUser.email_key == account.login.lower()
                )
            )
            if existing is None:
                raise
            return int(existing)
        backup = _backup_settings(customer, account)
        if backup is not None:
            apply_backup(session, user, backup, actor=actor, now=now)
        record(
            session,
            actor=actor,
            action="user.imported",
            target=user.email,
            now=now,
            customer_id=customer.id,
            details={
                "user_id": user.id,
                "provider_id": account.provider_id,
                "activated": account.activated,
                "enabled": account.enabled,
                "role": user.role.value,
                "backup": backup is not None,
            },
        )
        return get_user(session, user.id).id
