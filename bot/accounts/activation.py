"""Activation: the e-mailed single-use link, the password it sets, the user becoming active."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.actions import UserAction
from bot.accounts.jobs import AccountJob, refresh_cards
from bot.accounts.models import (
    ActivationToken,
    BackupUser,
    UserStatus,
)
from bot.accounts.passwords import NOT_TEXT, not_text, weakness
from bot.accounts.platform_state import read_back_quietly
from bot.accounts.queries import check_user_in_scope, get_user
from bot.audit.service import record
from bot.clock import Clock
from bot.db import Database
from bot.errors import FieldErrors, InvalidState
from bot.i18n.catalogs import N_
from bot.integrations.backup.port import BackupPlatform
from bot.once import spend_once
from bot.outbox.service import enqueue
from bot.tokens import LinkTokens, hash_token, new_nonce

PASSWORD_MIN = 10
PASSWORD_MAX = 128
# A second Activate click this soon after the first is a double click, not a resend.
ACTIVATION_DEBOUNCE = timedelta(seconds=60)
_hasher = PasswordHasher()


ACTIVATION = "activation"


@dataclass(frozen=True)
class ActivationRequest:
    user: BackupUser
    # False when an activation e-mail had just been sent (a double click): nothing new was queued.
    queued: bool


def revoke_open_links(session: Session, user_id: int, *, now: datetime) -> None:
    """Every link of the user not used yet stops working (a newer one, disabled, deleted)."""
    for link in session.scalars(
        select(ActivationToken).where(
            ActivationToken.user_id == user_id,
            ActivationToken.used_at.is_(None),
            ActivationToken.revoked_at.is_(None),
        )
    ):
        link.revoked_at = now


def new_link(
    session: Session, user: BackupUser, *, now: datetime, valid_for: timedelta, tokens: LinkTokens
) -> ActivationToken:
    """A new single-use link to choose a password; the user's earlier unused links stop working."""
    revoke_open_links(session, user.id, now=now)
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
    return token


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
    if user.status is UserStatus.DISABLED:
        raise InvalidState(
            f"{user.full_name} is disabled: enable the user first (`/backup enable {user.email}`)."
        )
    if user.status is UserStatus.DELETED:
        raise InvalidState(f"{user.full_name} was deleted.")
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
    token = new_link(session, user, now=now, valid_for=valid_for, tokens=tokens)
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


@dataclass(frozen=True)
class ActivationQueued:
    full_name: str
    to: str
    # False when an activation e-mail had just been sent (a double click): nothing new was queued.
    queued: bool


def send_activation(
    db: Database,
    platform: BackupPlatform,
    clock: Clock,
    tokens: LinkTokens,
    action: UserAction,
    *,
    valid_for: timedelta,
) -> ActivationQueued:
    """Activate / `/backup activate`: queue the activation e-mail in its own transaction. An
    account activated on the platform meanwhile is read back first (outside any transaction),
    so it is told it is active instead of sent another e-mail."""
    check_user_in_scope(db, action.user_id, action.scope)
    read_back_quietly(db, platform, clock, user_ids=[action.user_id])
    with db.transaction() as session:
        result = request_activation(
            session,
            user_id=action.user_id,
            actor=action.actor,
            now=clock.now(),
            platform=platform,
            valid_for=valid_for,
            tokens=tokens,
        )
        return ActivationQueued(result.user.full_name, result.user.mail_to, result.queued)


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


class PasswordRejected(FieldErrors):
    """A password the activation page refuses: `field`, and `message` (an English msgid with
    `%(count)d` where a number goes) with its `values`, for the page to say in the user's language."""

    def __init__(self, field: str, message: str, **values: int) -> None:
        super().__init__({field: message % values})
        self.field, self.message, self.values = field, message, values


def check_password(password: str, confirmation: str, *, email: str, name: str = "") -> None:
    """Long enough, text, and not easy to guess (see bot/accounts/passwords), saying why not."""
    if not_text(password):
        raise PasswordRejected("password", NOT_TEXT)
    if len(password) < PASSWORD_MIN:
        raise PasswordRejected("password", N_("Use at least %(count)d characters."), count=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        raise PasswordRejected("password", N_("Use at most %(count)d characters."), count=PASSWORD_MAX)
    if password.strip().lower() == email.lower():
        raise PasswordRejected("password", N_("Do not use your e-mail address as your password."))
    why = weakness(password, personal=[email, *email.split("@"), *name.split()])
    if why is not None:
        raise PasswordRejected("password", why)
    if password != confirmation:
        raise PasswordRejected("confirmation", N_("The two passwords are not the same."))


def activate(session: Session, *, token: str, password: str, confirmation: str, now: datetime) -> BackupUser:
    """Set the password from the e-mailed link: the user becomes active and the link is spent."""
    user, row = user_for_token(session, token, now=now)
    check_password(password, confirmation, email=user.email, name=f"{user.first_name} {user.last_name}")
    # Decided by the database: of concurrent submissions of the same link exactly one spends it.
    if not spend_once(session, ActivationToken.used_at, row.id, now, ActivationToken.revoked_at.is_(None)):
        raise ActivationLinkInvalid(TokenProblem.USED)
    user.password_hash = _hasher.hash(password)
    # A password reset link (bot/accounts/reset.py) is the same page for a user already active.
    resetting = user.status is UserStatus.ACTIVE
    user.status = UserStatus.ACTIVE
    user.activated_at = user.activated_at or now
    record(
        session,
        actor=f"user:{user.id}",
        action="user.password_reset" if resetting else "user.activated",
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
