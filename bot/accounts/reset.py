"""/backup reset: a new password for a user who lost theirs.

- Local provider: a single-use, expiring link (hashed like activation links) e-mailed to the
  user's mail address; it opens the same page as activation, where they choose a new password.
- A platform that sends its own mails (Acronis): a user who never activated gets the platform's
  activation e-mail again; an activated account resets its password on the platform's sign-in page
  ("Forgot password?"), which mails the user itself: no API call starts that for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.accounts.activation import ActivationRequest, new_link, request_activation
from bot.accounts.jobs import AccountJob
from bot.accounts.models import UserStatus
from bot.accounts.queries import get_user
from bot.audit.service import record
from bot.customers.scope import CustomerScope
from bot.db import Database
from bot.errors import InvalidState
from bot.integrations.backup.port import BackupPlatform
from bot.outbox.service import enqueue
from bot.tokens import LinkTokens

# The e-mail template (bot/integrations/mail/templates/password_reset.*).
RESET_TEMPLATE = "password_reset"


@dataclass(frozen=True)
class ResetRequest:
    full_name: str
    to: str
    # "reset": a reset link was e-mailed; "activation": the user had not activated, so the
    # activation e-mail went (again).
    sent: str


def request_password_reset(
    session: Session,
    *,
    user_id: int,
    actor: str,
    now: datetime,
    scope: CustomerScope,
    platform: BackupPlatform,
    valid_for: timedelta,
    tokens: LinkTokens,
) -> ResetRequest:
    user = get_user(session, user_id)
    scope.check(user.customer.name)
    if user.status is UserStatus.PENDING_ACTIVATION:
        activation: ActivationRequest = request_activation(
            session,
            user_id=user_id,
            actor=actor,
            now=now,
            platform=platform,
            valid_for=valid_for,
            tokens=tokens,
        )
        return ResetRequest(activation.user.full_name, activation.user.mail_to, "activation")
    if user.status is not UserStatus.ACTIVE:
        raise InvalidState(f"{user.full_name} is {user.status.label}: a password reset needs an active user.")
    if platform.sends_own_activation_email:
        raise InvalidState(
            f"{user.full_name} resets the password on the backup platform's sign-in page with "
            f"“Forgot password?”, which e-mails {user.mail_to} a link."
        )
    token = new_link(session, user, now=now, valid_for=valid_for, tokens=tokens)
    enqueue(
        session,
        kind=AccountJob.ACTIVATION_EMAIL,
        payload={"user_id": user.id, "token_id": token.id, "template": RESET_TEMPLATE},
        now=now,
        dedupe_key=f"password-reset:{token.id}",
    )
    record(
        session,
        actor=actor,
        action="user.password_reset_sent",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"user_id": user.id, "to": user.mail_to},
    )
    return ResetRequest(user.full_name, user.mail_to, "reset")


def send_password_reset(
    db: Database,
    *,
    user_id: int,
    actor: str,
    now: datetime,
    scope: CustomerScope,
    platform: BackupPlatform,
    valid_for: timedelta,
    tokens: LinkTokens,
) -> ResetRequest:
    """`request_password_reset` in its own unit of work."""
    with db.transaction() as session:
        return request_password_reset(
            session,
            user_id=user_id,
            actor=actor,
            now=now,
            scope=scope,
            platform=platform,
            valid_for=valid_for,
            tokens=tokens,
        )
