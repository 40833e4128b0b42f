"""Single invitations: look up, resend with a new link, extend, revoke, expire on schedule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.audit.service import record
from bot.enrollment.jobs import INVITATION, queue_invitation_email
from bot.enrollment.models import (
    Invitation,
    InvitationState,
    ReplacedLink,
)
from bot.errors import InvalidState, NotFound
from bot.request_keys import claim
from bot.tokens import LinkTokens, new_nonce

# Invitations that can still be used to enroll.
LIVE = (InvitationState.QUEUED, InvitationState.SENT, InvitationState.OPENED)


def get_invitation(session: Session, invitation_id: int) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound("That invitation no longer exists.")
    return invitation


def resend_invitation(
    session: Session, *, invitation_id: int, actor: str, now: datetime, tokens: LinkTokens
) -> Invitation:
    """A new link in a new e-mail; the old link stops working."""
    invitation = get_invitation(session, invitation_id)
    if invitation.state is InvitationState.ENROLLED:
        raise InvalidState(
            f"{invitation.display_name}'s {invitation.platform.label} device is already enrolled."
        )
    session.add(ReplacedLink(token_hash=invitation.token_hash, invitation_id=invitation.id, replaced_at=now))
    invitation.nonce = new_nonce()
    invitation.token_hash = tokens.token_hash(INVITATION, invitation.nonce)
    invitation.state = InvitationState.QUEUED
    invitation.revoked_at = None
    invitation.failure = None
    if invitation.expires_at <= now:
        invitation.expires_at = now + timedelta(days=invitation.batch.days)
    queue_invitation_email(session, invitation, now=now)
    record(
        session,
        actor=actor,
        action="invitation.resent",
        target=invitation.email,
        now=now,
        details={"invitation_id": invitation.id, "platform": invitation.platform.value},
    )
    return invitation


def extend_invitation(
    session: Session,
    *,
    invitation_id: int,
    days: int,
    actor: str,
    now: datetime,
    change_key: str | None = None,
) -> Invitation:
    """Add `days`, once per `change_key` (the submitted view): a double click extends once."""
    invitation = get_invitation(session, invitation_id)
    if change_key is not None and not claim(session, f"extend:{change_key}", now=now):
        return invitation
    if invitation.state in (InvitationState.ENROLLED, InvitationState.REVOKED):
        raise InvalidState(f"This invitation is {invitation.state.label}; extending it changes nothing.")
    invitation.expires_at = max(invitation.expires_at, now) + timedelta(days=days)
    if invitation.state is InvitationState.EXPIRED:
        invitation.state = InvitationState.OPENED if invitation.opened_at else InvitationState.SENT
    record(
        session,
        actor=actor,
        action="invitation.extended",
        target=invitation.email,
        now=now,
        details={
            "invitation_id": invitation.id,
            "days": days,
            "expires_at": invitation.expires_at.isoformat(),
        },
    )
    return invitation


def revoke_invitation(session: Session, *, invitation_id: int, actor: str, now: datetime) -> Invitation:
    invitation = get_invitation(session, invitation_id)
    if invitation.state is InvitationState.ENROLLED:
        raise InvalidState("The device is already enrolled; revoking the invitation would change nothing.")
    invitation.state = InvitationState.REVOKED
    invitation.revoked_at = now
    record(
        session,
        actor=actor,
        action="invitation.revoked",
        target=invitation.email,
        now=now,
        details={"invitation_id": invitation.id},
    )
    return invitation


def expire_due(session: Session, *, now: datetime) -> int:
    """Invitations past their expiry move to expired (a scheduled job)."""
    result = session.execute(
        update(Invitation)
        .where(Invitation.state.in_(LIVE), Invitation.expires_at <= now)
        .values(state=InvitationState.EXPIRED)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def invitations_of(
    session: Session, *, email: str | None, limit: int, offset: int = 0
) -> Sequence[Invitation]:
    query = (
        select(Invitation)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .offset(offset)
        .limit(limit)
    )
    if email:
        query = query.where(Invitation.email_key == email.strip().lower())
    return session.scalars(query).all()
