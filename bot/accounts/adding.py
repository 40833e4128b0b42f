"""Add New User: the services its two modal steps call, and the one entry point for adding a
user from anywhere else (`add_new_user`, e.g. a `/backup import` row).

The sign-in e-mail is checked once per submission that names it: in deskops' database (a short
read) and then on the backup platform (Acronis: an HTTP call), outside any transaction. Creating
(or holding for approval) is a write transaction with no remote call in it; there the database's
unique key is the last word on the e-mail, answered on the Email field as the check would have.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.accounts.administrators import AddNewUser, create_or_hold
from bot.accounts.forms import (
    BackupSettingsForm,
    Field,
    NewUserForm,
    check_backup_settings,
    check_new_user,
)
from bot.accounts.queries import holders_of, request_or_email_holders
from bot.accounts.users import CreatedUser, email_in_use
from bot.approvals.policy import SentForApproval
from bot.config import Settings
from bot.customers.scope import CustomerScope
from bot.customers.service import CustomerSummary, customer_names, customer_summary
from bot.db import Database
from bot.errors import DomainError, FieldErrors, NotFound
from bot.integrations.backup.port import BackupPlatform, PlatformError
from bot.request_keys import claim_or_stop


@dataclass(frozen=True)
class UserAdded:
    user_id: int
    full_name: str
    # False when this request had already created the user (a double-clicked submit).
    created: bool


@dataclass(frozen=True)
class NewUserSubmitted:
    """The Add New User modal, submitted (its first step)."""

    form: NewUserForm
    request_key: str
    channel_id: str | None
    actor: str
    scope: CustomerScope
    # The Slack request's own key, claimed by the write that creates the user (None: not here).
    once: str | None = None


@dataclass(frozen=True)
class ChooseBackupSettings:
    """The first step is sound and Backup is ticked: its settings are asked next."""

    request: AddNewUser
    customer: CustomerSummary


@dataclass(frozen=True)
class BackupSettingsSubmitted:
    """The Acronis Backup Settings step, submitted, with the request its first step carried."""

    request: AddNewUser
    form: BackupSettingsForm
    actor: str
    scope: CustomerScope
    # The Slack request's own key, claimed by the write that creates the user (None: not here).
    once: str | None = None


def _login_on_platform(platform: BackupPlatform, email: str) -> None:
    problem = platform.login_problem(email)
    if problem:  # the platform would refuse it: say so before asking it anything
        raise FieldErrors({Field.EMAIL: problem})
    try:
        available = platform.login_available(email)
    except PlatformError as error:
        raise FieldErrors(
            {Field.EMAIL: f"Could not check this sign-in name on the backup platform: {error}"}
        ) from None
    if not available:
        raise FieldErrors({Field.EMAIL: "This sign-in name is already taken on the backup platform."})


def _check_free(
    platform: BackupPlatform, request: AddNewUser, customer_name: str, holders: Collection[str | None]
) -> None:
    """The rule, given the request keys of the users holding the request or the e-mail."""
    if request.request_key in holders:
        return  # made by this request already: not asked about again
    if holders:
        raise email_in_use(customer_name)
    _login_on_platform(platform, request.new_user.email)


def check_email_free(
    db: Database, platform: BackupPlatform, request: AddNewUser, scope: CustomerScope
) -> CustomerSummary:
    """The customer (in the person's scope) has no user with this sign-in e-mail, and the platform
    would take it: one read, then the platform asked outside any transaction. A request that
    made its user already (a Slack retry, a double-clicked submit) is not asked about again."""
    new_user = request.new_user
    with db.read() as session:
        customer = customer_summary(session, new_user.customer_id)
        scope.check(customer.name)
        holders = request_or_email_holders(session, new_user.customer_id, new_user.email, request.request_key)
    _check_free(platform, request, customer.name, holders)
    return customer


def check_emails_free(
    db: Database, platform: BackupPlatform, requests: Sequence[AddNewUser]
) -> list[DomainError | None]:
    """`check_email_free` for many requests with no scope to keep (an import's rows): one read for
    all of them, then the platform asked about each, outside any transaction. Each request's
    problem, or None."""
    with db.read() as session:
        names = customer_names(session, {request.new_user.customer_id for request in requests})
        holders = holders_of(
            session, [(r.new_user.customer_id, r.new_user.email, r.request_key) for r in requests]
        )
    problems: list[DomainError | None] = []
    for request in requests:
        new_user = request.new_user
        email_key = new_user.email.strip().lower()
        held = [
            holder.request_key
            for holder in holders
            if holder.request_key == request.request_key
            or (holder.customer_id == new_user.customer_id and holder.email_key == email_key)
        ]
        try:
            name = names.get(new_user.customer_id)
            if name is None:
                raise NotFound("That customer no longer exists.")
            _check_free(platform, request, name, held)
        except DomainError as problem:
            problems.append(problem)
        else:
            problems.append(None)
    return problems


def _added_or_held(
    session: Session,
    settings: Settings,
    request: AddNewUser,
    *,
    actor: str,
    now: datetime,
    customer: CustomerSummary | None = None,
) -> UserAdded | SentForApproval:
    channels = [c for c in dict.fromkeys((request.channel_id, settings.audit_channel)) if c]
    result = create_or_hold(
        session, settings, request, actor=actor, now=now, notify_channels=channels, customer=customer
    )
    if isinstance(result, CreatedUser):
        return UserAdded(result.user_id, result.full_name, result.created)
    return SentForApproval(result.summary)


def create_user_or_request_approval(
    db: Database,
    settings: Settings,
    request: AddNewUser,
    *,
    actor: str,
    now: datetime,
    once: str | None = None,
) -> UserAdded | SentForApproval:
    """Create the user, or hold an Administrator for approval when the policy says so, in one
    transaction with no remote call (the e-mail was checked before, see `check_email_free`).
    `once`: a request key claimed in the same transaction (AlreadyClaimed for a repeat)."""
    with db.transaction() as session:
        claim_or_stop(session, once, now=now)
        return _added_or_held(session, settings, request, actor=actor, now=now)


def add_new_user(
    db: Database,
    platform: BackupPlatform,
    settings: Settings,
    request: AddNewUser,
    *,
    actor: str,
    scope: CustomerScope,
    now: datetime,
    once: str | None = None,
) -> UserAdded | SentForApproval:
    """Add one checked new user (with its Backup settings, if any): the e-mail checked once, then
    created or held for approval. The entry point for adding a user from anywhere."""
    check_email_free(db, platform, request, scope)
    return create_user_or_request_approval(db, settings, request, actor=actor, now=now, once=once)


def submit_new_user(
    db: Database, platform: BackupPlatform, settings: Settings, command: NewUserSubmitted, *, now: datetime
) -> ChooseBackupSettings | UserAdded | SentForApproval:
    """The first step: every field checked, then the e-mail; with Backup ticked its settings come
    next, else the user is added now."""
    new_user = check_new_user(command.form, phone_region=settings.phone_default_region)
    request = AddNewUser(new_user=new_user, request_key=command.request_key, channel_id=command.channel_id)
    if not command.form.assign_backup:
        return add_new_user(
            db,
            platform,
            settings,
            request,
            actor=command.actor,
            scope=command.scope,
            now=now,
            once=command.once,
        )
    customer = check_email_free(db, platform, request, command.scope)
    return ChooseBackupSettings(request=request, customer=customer)


def submit_backup_settings(
    db: Database, settings: Settings, command: BackupSettingsSubmitted, *, now: datetime
) -> UserAdded | SentForApproval:
    """The second step, in one transaction: the Slack request claimed (`once`), the settings
    checked against the customer's subscriptions (a refusal writes nothing), then the user
    created (or held). The e-mail was checked on the platform by the first step; here the
    database has the last word."""
    new_user = command.request.new_user
    with db.transaction() as session:
        claim_or_stop(session, command.once, now=now)
        customer = customer_summary(session, new_user.customer_id)
        command.scope.check(customer.name)
        backup = check_backup_settings(command.form, subscription_ids=[s.id for s in customer.subscriptions])
        with_backup = new_user.model_copy(update={"backup": backup})
        request = command.request.model_copy(update={"new_user": with_backup})
        return _added_or_held(session, settings, request, actor=command.actor, now=now, customer=customer)
