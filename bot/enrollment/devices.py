"""Invitation links and devices: the landing page opens an invitation; the Access Server or MDM
callback records the device enrolled with it, once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit.service import record
from bot.enrollment.licences import count_device, device_counts, licences_for
from bot.enrollment.models import (
    Device,
    Invitation,
    InvitationState,
    Platform,
    ReplacedLink,
)
from bot.once import insert_once, spend_once
from bot.tokens import hash_token


def devices_of(session: Session, email: str) -> Sequence[Device]:
    return session.scalars(
        select(Device).where(Device.owner_email == email.strip().lower()).order_by(Device.enrolled_at)
    ).all()


class LinkProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"


class InvitationLinkInvalid(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def invitation_for_token(session: Session, token: str, *, now: datetime) -> Invitation:
    token_hash = hash_token(token)
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))
    if invitation is None:
        replaced = session.get(ReplacedLink, token_hash) is not None
        raise InvitationLinkInvalid(LinkProblem.REVOKED if replaced else LinkProblem.UNKNOWN)
    if invitation.state is InvitationState.REVOKED:
        raise InvitationLinkInvalid(LinkProblem.REVOKED)
    if invitation.state is InvitationState.EXPIRED or (
        invitation.expires_at <= now and invitation.state is not InvitationState.ENROLLED
    ):
        raise InvitationLinkInvalid(LinkProblem.EXPIRED)
    return invitation


def open_invitation(session: Session, token: str, *, now: datetime) -> Invitation:
    invitation = invitation_for_token(session, token, now=now)
    if invitation.state is InvitationState.ENROLLED:  # one link, one device: its page says it is spent
        raise InvitationLinkInvalid(LinkProblem.USED)
    if invitation.state in (InvitationState.QUEUED, InvitationState.SENT):
        invitation.state = InvitationState.OPENED
        invitation.opened_at = now
    return invitation


@dataclass(frozen=True)
class Enrollment:
    device: Device
    created: bool
    owner_devices: int
    owner_licences: int
    licence_added: bool


def enroll_device(
    session: Session, *, token: str, platform: Platform, device_id: str, now: datetime, per_licence: int
) -> Enrollment:
    """Record a device enrolled with an invitation (the Access Server or MDM callback)."""
    invitation = invitation_for_token(session, token, now=now)
    return record_device(
        session, invitation, platform=platform, device_id=device_id, now=now, per_licence=per_licence
    )


def known_device(session: Session, platform: Platform, device_id: str) -> Device | None:
    return session.scalar(select(Device).where(Device.platform == platform, Device.device_id == device_id))


def record_device(
    session: Session,
    invitation: Invitation,
    *,
    platform: Platform,
    device_id: str,
    now: datetime,
    per_licence: int,
    actor: str = "enrollment-callback",
) -> Enrollment:
    """The device, recorded once for the invitation's owner (reported again: unchanged)."""
    existing = known_device(session, platform, device_id)
    if existing is not None:
        count = device_counts(session, [existing.owner_email]).get(existing.owner_email, 0)
        return Enrollment(
            device=existing,
            created=False,
            owner_devices=count,
            owner_licences=licences_for(count, per_licence),
            licence_added=False,
        )
    if invitation.state is InvitationState.ENROLLED:
        raise InvitationLinkInvalid(LinkProblem.USED)
    owner = invitation.email_key
    before = device_counts(session, [owner]).get(owner, 0)
    device, created = insert_once(
        session,
        Device(
            owner_email=owner,
            platform=platform,
            device_id=device_id,
            invitation_id=invitation.id,
            enrolled_at=now,
        ),
        lambda: known_device(session, platform, device_id),
    )
    if not created:  # the same device reported twice at once: recorded by the other callback
        return record_device(
            session, invitation, platform=platform, device_id=device_id, now=now, per_licence=per_licence
        )
    # Decided by the database: of two devices racing for one link, one enrolls with it.
    if not spend_once(session, Invitation.enrolled_at, invitation.id, now):
        raise InvitationLinkInvalid(LinkProblem.USED)
    invitation.state = InvitationState.ENROLLED
    session.flush()
    count_device(session, owner)
    record(
        session,
        actor=actor,
        action="device.enrolled",
        target=owner,
        now=now,
        details={"invitation_id": invitation.id, "platform": platform.value, "devices": before + 1},
    )
    return Enrollment(
        device=device,
        created=True,
        owner_devices=before + 1,
        owner_licences=licences_for(before + 1, per_licence),
        licence_added=licences_for(before + 1, per_licence) > licences_for(before, per_licence),
    )
