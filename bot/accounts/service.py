"""Backup accounts: create users, assign and change the Backup service, activate.

Plain functions over a session and plain values. Side effects (platform calls, e-mail, Slack
posts) are queued in the outbox within the same transaction; see `bot/accounts/delivery.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.accounts.forms import BackupSettings, BackupSettingsForm, Field, NewUser, check_backup_settings
from bot.accounts.models import (
    ActivationToken,
    BackupUser,
    ProvisioningState,
    Service,
    ServiceAssignment,
    UserStatus,
)
from bot.audit.service import record
from bot.customers.models import Customer
from bot.customers.service import close_matches, find_customer, get_customer
from bot.errors import Ambiguous, FieldErrors, InvalidState, NotFound
from bot.integrations.backup.port import BackupPlatform, PlatformError
from bot.outbox.service import enqueue
from bot.tokens import LinkTokens, hash_token, new_nonce

PASSWORD_MIN = 10
PASSWORD_MAX = 128
# A second Activate click this soon after the first is a double click, not a resend.
ACTIVATION_DEBOUNCE = timedelta(seconds=60)
_hasher = PasswordHasher()


class AccountJob(StrEnum):
    """Outbox kinds of this domain (handlers in bot/accounts/delivery.py)."""

    PROVISION = "accounts.provision"
    ACTIVATION_EMAIL = "accounts.activation_email"
    PLATFORM_ACTIVATION = "accounts.platform_activation"
    USER_CARD = "accounts.user_card"
    USER_CARD_REFRESH = "accounts.user_card_refresh"


ACTIVATION = "activation"


# --- look-ups -------------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> BackupUser:
    user = session.get(
        BackupUser,
        user_id,
        options=[selectinload(BackupUser.services).selectinload(ServiceAssignment.subscription)],
    )
    if user is None:
        raise NotFound("That backup user no longer exists.")
    return user


def find_user(session: Session, email: str, customer_text: str | None = None) -> BackupUser:
    """The user signing in with `email`, within the named customer when one is given."""
    key = email.strip().lower()
    query = select(BackupUser).where(BackupUser.email_key == key).options(selectinload(BackupUser.customer))
    if customer_text:
        customer = find_customer(session, customer_text)
        query = query.where(BackupUser.customer_id == customer.id)
    matches = session.scalars(query).all()
    if len(matches) == 1:
        return get_user(session, matches[0].id)
    if len(matches) > 1:
        names = sorted(user.customer.name for user in matches)
        raise Ambiguous(f"{email} is a user of several customers: {', '.join(names)}.", names)
    known = session.scalars(select(BackupUser.email).order_by(BackupUser.email).limit(5000)).all()
    raise NotFound(f"No backup user signs in with {email}.", close_matches(email, list(known)))


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


def pending_activation(session: Session, *, limit: int = 10) -> tuple[list[BackupUser], int]:
    """The oldest users still pending activation, and how many there are in all."""
    waiting = BackupUser.status == UserStatus.PENDING_ACTIVATION
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


# --- creating and changing users -------------------------------------------------------------


@dataclass(frozen=True)
class CreatedUser:
    user: BackupUser
    # False when this request had already created the user (double-clicked submit).
    created: bool


def check_email_free(session: Session, new_user: NewUser, platform: BackupPlatform) -> None:
    customer = get_customer(session, new_user.customer_id)
    if email_taken(session, new_user.customer_id, new_user.email):
        raise FieldErrors({Field.EMAIL: f"A user with this email already exists for {customer.name}."})
    try:
        available = platform.login_available(new_user.email)
    except PlatformError as error:
        raise FieldErrors(
            {Field.EMAIL: f"Could not check this sign-in name on the backup platform: {error}"}
        ) from None
    if not available:
        raise FieldErrors({Field.EMAIL: "This sign-in name is already taken on the backup platform."})


def create_user(
    session: Session,
    *,
    new_user: NewUser,
    backup: BackupSettings | None,
    actor: str,
    now: datetime,
    request_key: str,
    notify_channels: Sequence[str],
    platform: BackupPlatform,
) -> CreatedUser:
    """Create the account (and its Backup assignment) and queue provisioning and confirmations."""
    existing = session.scalar(select(BackupUser).where(BackupUser.request_key == request_key))
    if existing is not None:
        return CreatedUser(user=get_user(session, existing.id), created=False)
    check_email_free(session, new_user, platform)
    user = BackupUser(
        customer_id=new_user.customer_id,
        first_name=new_user.first_name,
        last_name=new_user.last_name,
        email=new_user.email,
        email_key=new_user.email.lower(),
        notification_email=new_user.notification_email,
        role=new_user.role,
        address=new_user.address,
        phone=new_user.phone,
        status=UserStatus.PENDING_ACTIVATION,
        provisioning=ProvisioningState.PENDING,
        created_by=actor,
        created_at=now,
        request_key=request_key,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        # A concurrent submit of the same modal, or of the same e-mail, won the race.
        existing = session.scalar(select(BackupUser).where(BackupUser.request_key == request_key))
        if existing is not None:
            return CreatedUser(user=get_user(session, existing.id), created=False)
        customer = get_customer(session, new_user.customer_id)
        raise FieldErrors(
            {Field.EMAIL: f"A user with this email already exists for {customer.name}."}
        ) from None
    if backup is not None:
        _apply_backup(session, user, backup, actor=actor, now=now)
    record(
        session,
        actor=actor,
        action="user.created",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"role": user.role.value, "backup": backup is not None, "user_id": user.id},
    )
    enqueue(
        session,
        kind=AccountJob.PROVISION,
        payload={"user_id": user.id},
        now=now,
        dedupe_key=f"provision:{user.id}",
    )
    post_cards(
        session,
        user.id,
        channels=notify_channels,
        headline=CardHeadline.CREATED,
        actor=actor,
        now=now,
        change_key="created",
    )
    return CreatedUser(user=get_user(session, user.id), created=True)


class CardHeadline(StrEnum):
    CREATED = "Backup user created"
    SERVICE_ASSIGNED = "Backup service assigned"
    SETTINGS_CHANGED = "Backup settings changed"


def post_cards(
    session: Session,
    user_id: int,
    *,
    channels: Sequence[str],
    headline: CardHeadline,
    actor: str,
    now: datetime,
    change_key: str,
) -> None:
    """Queue the user's card for each channel, once per change (`change_key`)."""
    for channel in dict.fromkeys(channels):
        enqueue(
            session,
            kind=AccountJob.USER_CARD,
            payload={"user_id": user_id, "channel": channel, "requester": actor, "headline": headline.value},
            now=now,
            dedupe_key=f"user-card:{user_id}:{channel}:{change_key}",
        )


def _apply_backup(
    session: Session, user: BackupUser, settings: BackupSettings, *, actor: str, now: datetime
) -> ServiceAssignment:
    customer = get_customer(session, user.customer_id)
    if settings.subscription_id not in {s.id for s in customer.subscriptions}:
        raise FieldErrors({Field.SUBSCRIPTION: f"That subscription does not belong to {customer.name}."})
    assignment = session.scalar(
        select(ServiceAssignment).where(
            ServiceAssignment.user_id == user.id, ServiceAssignment.service == Service.BACKUP
        )
    )
    if assignment is None:
        assignment = ServiceAssignment(
            user_id=user.id, service=Service.BACKUP, assigned_by=actor, assigned_at=now
        )
        session.add(assignment)
    quotas = settings.quotas
    assignment.subscription_id = settings.subscription_id
    assignment.notification_level = settings.notification_level
    assignment.backup_role = settings.backup_role
    assignment.quota_storage_gb = quotas.storage_gb
    assignment.quota_workstations = quotas.workstations
    assignment.quota_servers = quotas.servers
    assignment.quota_virtual_machines = quotas.virtual_machines
    assignment.quota_mobile_devices = quotas.mobile_devices
    assignment.quota_m365_seats = quotas.m365_seats
    assignment.updated_at = now
    session.flush()
    session.expire(user, ["services"])
    return assignment


def ensure_can_assign(user: BackupUser) -> None:
    if user.assignment(Service.BACKUP) is not None:
        raise InvalidState(
            f"{user.full_name} already has the Backup service; use `/backup settings {user.email}`."
        )


def ensure_has_backup(user: BackupUser) -> None:
    if user.assignment(Service.BACKUP) is None:
        raise InvalidState(f"{user.full_name} has no Backup service yet; use `/backup assign {user.email}`.")


def settings_for_user(
    session: Session, user_id: int, form: BackupSettingsForm, *, keep_subscription: bool
) -> BackupSettings:
    """Check settings typed for a user: against the customer's subscriptions, or keeping the
    subscription the user already has (Backup User Settings does not change it)."""
    user = get_user(session, user_id)
    current = user.assignment(Service.BACKUP)
    if keep_subscription and current is not None:
        return check_backup_settings(
            replace(form, subscription_id=current.subscription_id), subscription_ids=[current.subscription_id]
        )
    customer = get_customer(session, user.customer_id)
    return check_backup_settings(form, subscription_ids=[s.id for s in customer.subscriptions])


def assign_backup(
    session: Session,
    *,
    user_id: int,
    settings: BackupSettings,
    actor: str,
    now: datetime,
    notify_channels: Sequence[str],
    change_key: str,
) -> BackupUser:
    user = get_user(session, user_id)
    ensure_can_assign(user)
    _apply_backup(session, user, settings, actor=actor, now=now)
    _settings_changed(session, user, action="service.assigned", actor=actor, now=now, settings=settings)
    post_cards(
        session,
        user_id,
        channels=notify_channels,
        headline=CardHeadline.SERVICE_ASSIGNED,
        actor=actor,
        now=now,
        change_key=change_key,
    )
    return get_user(session, user_id)


def update_backup_settings(
    session: Session,
    *,
    user_id: int,
    settings: BackupSettings,
    actor: str,
    now: datetime,
    notify_channels: Sequence[str],
    change_key: str,
) -> BackupUser:
    user = get_user(session, user_id)
    ensure_has_backup(user)
    _apply_backup(session, user, settings, actor=actor, now=now)
    _settings_changed(
        session, user, action="service.settings_changed", actor=actor, now=now, settings=settings
    )
    post_cards(
        session,
        user_id,
        channels=notify_channels,
        headline=CardHeadline.SETTINGS_CHANGED,
        actor=actor,
        now=now,
        change_key=change_key,
    )
    return get_user(session, user_id)


def _settings_changed(
    session: Session, user: BackupUser, *, action: str, actor: str, now: datetime, settings: BackupSettings
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={
            "user_id": user.id,
            "subscription_id": settings.subscription_id,
            "notifications": settings.notification_level.value,
            "backup_role": settings.backup_role.value,
            "quotas": {k: v for k, v in vars(settings.quotas).items() if v is not None},
        },
    )
    user.provisioning = ProvisioningState.PENDING
    user.provisioning_error = None
    enqueue(session, kind=AccountJob.PROVISION, payload={"user_id": user.id}, now=now)
    refresh_cards(session, user.id, now=now)


def refresh_cards(session: Session, user_id: int, *, now: datetime) -> None:
    enqueue(session, kind=AccountJob.USER_CARD_REFRESH, payload={"user_id": user_id}, now=now)


def retry_provisioning(session: Session, *, user_id: int, actor: str, now: datetime) -> BackupUser:
    user = get_user(session, user_id)
    if user.provisioning is not ProvisioningState.FAILED:
        raise InvalidState(f"{user.full_name} is not waiting for a retry.")
    user.provisioning = ProvisioningState.PENDING
    user.provisioning_error = None
    record(
        session,
        actor=actor,
        action="user.provisioning_retried",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"user_id": user.id},
    )
    enqueue(session, kind=AccountJob.PROVISION, payload={"user_id": user.id}, now=now)
    refresh_cards(session, user.id, now=now)
    return user


# --- activation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivationRequest:
    user: BackupUser
    # False when an activation e-mail had just been sent (a double click): nothing new was queued.
    queued: bool


def request_activation(
    session: Session,
    *,
    user_id: int,
    actor: str,
    now: datetime,
    platform: BackupPlatform,
    valid_for: timedelta,
    tokens: LinkTokens,
) -> ActivationRequest:
    """Queue the activation e-mail; an earlier unused link stops working."""
    user = get_user(session, user_id)
    if user.status is UserStatus.ACTIVE:
        raise InvalidState(f"{user.full_name} is already active.")
    recent = session.scalar(
        select(ActivationToken).where(
            ActivationToken.user_id == user.id,
            ActivationToken.used_at.is_(None),
            ActivationToken.revoked_at.is_(None),
            ActivationToken.created_at > now - ACTIVATION_DEBOUNCE,
        )
    )
    if recent is not None:
        return ActivationRequest(user=user, queued=False)
    for token in session.scalars(
        select(ActivationToken).where(
            ActivationToken.user_id == user.id,
            ActivationToken.used_at.is_(None),
            ActivationToken.revoked_at.is_(None),
        )
    ):
        token.revoked_at = now
    nonce = new_nonce()
    token = ActivationToken(
        user_id=user.id,
        token_hash=tokens.token_hash(ACTIVATION, nonce),
        nonce=nonce,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(token)
    session.flush()
    kind = (
        AccountJob.PLATFORM_ACTIVATION if platform.sends_own_activation_email else AccountJob.ACTIVATION_EMAIL
    )
    enqueue(
        session,
        kind=kind,
        payload={"user_id": user.id, "token_id": token.id},
        now=now,
        dedupe_key=f"activation:{token.id}",
    )
    record(
        session,
        actor=actor,
        action="user.activation_sent",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"user_id": user.id, "to": user.mail_to},
    )
    refresh_cards(session, user.id, now=now)
    return ActivationRequest(user=user, queued=True)


def last_activation_sent(session: Session, user_id: int) -> datetime | None:
    return session.scalar(
        select(func.max(ActivationToken.created_at)).where(ActivationToken.user_id == user_id)
    )


class TokenProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ActivationLinkInvalid(Exception):
    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def user_for_token(session: Session, token: str, *, now: datetime) -> tuple[BackupUser, ActivationToken]:
    row = session.scalar(select(ActivationToken).where(ActivationToken.token_hash == hash_token(token)))
    if row is None:
        raise ActivationLinkInvalid(TokenProblem.UNKNOWN)
    if row.used_at is not None:
        raise ActivationLinkInvalid(TokenProblem.USED)
    if row.revoked_at is not None:
        raise ActivationLinkInvalid(TokenProblem.REVOKED)
    if row.expires_at <= now:
        raise ActivationLinkInvalid(TokenProblem.EXPIRED)
    return get_user(session, row.user_id), row


def check_password(password: str, confirmation: str, *, email: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise FieldErrors({"password": f"Use at least {PASSWORD_MIN} characters."})
    if len(password) > PASSWORD_MAX:
        raise FieldErrors({"password": f"Use at most {PASSWORD_MAX} characters."})
    if password.strip().lower() == email.lower():
        raise FieldErrors({"password": "Do not use your e-mail address as your password."})
    if password != confirmation:
        raise FieldErrors({"confirmation": "The two passwords are not the same."})


def activate(session: Session, *, token: str, password: str, confirmation: str, now: datetime) -> BackupUser:
    """Set the password from the e-mailed link: the user becomes active and the link is spent."""
    user, row = user_for_token(session, token, now=now)
    check_password(password, confirmation, email=user.email)
    row.used_at = now
    user.password_hash = _hasher.hash(password)
    user.status = UserStatus.ACTIVE
    user.activated_at = now
    record(
        session,
        actor=f"user:{user.id}",
        action="user.activated",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"user_id": user.id},
    )
    refresh_cards(session, user.id, now=now)
    return user


def verify_password(user: BackupUser, password: str) -> bool:
    if user.password_hash is None:
        return False
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except Exception:
        return False
