"""Invitation links and devices: the landing page opens an invitation; the Access Server or MDM
callback records the device enrolled with it. One link enrolls one device, of the platform(s) it
was sent for; once it has, it is spent."""

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

# States in which a link can still enroll a device.
USABLE = (InvitationState.QUEUED, InvitationState.SENT, InvitationState.OPENED)
# ... and in which a device can still be recorded with it: a device held for an approver was
# reported while the link was valid, and may be approved after the link's expiry.
SPENDABLE = (*USABLE, InvitationState.EXPIRED)


def devices_of(session: Session, email: str) -> Sequence[Device]:
    return session.scalars(
        select(Device).where(Device.owner_email == email.strip().lower()).order_by(Device.enrolled_at)
    ).all()


class LinkProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"  # a device has enrolled with it: the link is spent


class InvitationLinkInvalid(Exception):
    def __init__(self, problem: LinkProblem, invitation: Invitation | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        # When the link is spent: when and for which platform(s), for the page to say.
        self.enrolled_at = invitation.enrolled_at if invitation is not None else None


class WrongPlatform(Exception):
    """A device of a platform the invitation was not sent for."""

    def __init__(self, invitation: Invitation, platform: Platform) -> None:
        super().__init__(
            f"this invitation is for {invitation.platform.device_label} devices, not {platform.label}"
        )
        self.allowed = invitation.platform


def _invitation(session: Session, token: str) -> Invitation:
    token_hash = hash_token(token)
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))
    if invitation is None:
        replaced = session.get(ReplacedLink, token_hash) is not None
        raise InvitationLinkInvalid(LinkProblem.REVOKED if replaced else LinkProblem.UNKNOWN)
    return invitation


def _check_usable(invitation: Invitation, *, now: datetime) -> Invitation:
    if invitation.state is InvitationState.REVOKED:
        raise InvitationLinkInvalid(LinkProblem.REVOKED)
    if invitation.state is InvitationState.ENROLLED:
        raise InvitationLinkInvalid(LinkProblem.USED, invitation)
    if invitation.state is InvitationState.EXPIRED or invitation.expires_at <= now:
        raise InvitationLinkInvalid(LinkProblem.EXPIRED)
    if invitation.state not in USABLE:  # its e-mail could not be sent: nobody has the link
        raise InvitationLinkInvalid(LinkProblem.UNKNOWN)
    return invitation


def invitation_for_token(session: Session, token: str, *, now: datetime) -> Invitation:
    """The invitation whose link can still enroll a device, or InvitationLinkInvalid saying why
    not (unknown, replaced or revoked, expired, or spent)."""
    return _check_usable(_invitation(session, token), now=now)


def invitation_for_device(
    session: Session, token: str, *, platform: Platform, device_id: str, now: datetime
) -> tuple[Invitation, Device | None]:
    """For the enrollment callback: the invitation, and the device when it is already known.

    The device the link enrolled, reported again (a retried callback), is answered as known
    whatever the link's state; any other device on a spent link is refused, as is a device of a
    platform the link was not sent for."""
    invitation = _invitation(session, token)
    existing = known_device(session, platform, device_id)
    if existing is not None and (
        existing.invitation_id == invitation.id or invitation.state is not InvitationState.ENROLLED
    ):
        return invitation, existing
    _check_usable(invitation, now=now)
    if not invitation.platform.allows(platform):
        raise WrongPlatform(invitation, platform)
    return invitation, existing


def open_invitation(session: Session, token: str, *, now: datetime) -> Invitation:
    invitation = invitation_for_token(session, token, now=now)
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
    invitation, _ = invitation_for_device(session, token, platform=platform, device_id=device_id, now=now)
    return record_device(
        session, invitation, platform=platform, device_id=device_id, now=now, per_licence=per_licence
    )


def known_device(session: Session, platform: Platform, device_id: str) -> Device | None:
    return session.scalar(select(Device).where(Device.platform == platform, Device.device_id == device_id))


def _recorded_before(session: Session, device: Device, *, per_licence: int) -> Enrollment:
    count = device_counts(session, [device.owner_email]).get(device.owner_email, 0)
    return Enrollment(
        device=device,
        created=False,
        owner_devices=count,
        owner_licences=licences_for(count, per_licence),
        licence_added=False,
    )


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
    """The device, recorded once for the invitation's owner (reported again: unchanged), which
    spends the invitation's link: of two devices racing for one link exactly one enrolls (the
    other gets InvitationLinkInvalid, and its transaction, device row included, rolls back)."""
    existing = known_device(session, platform, device_id)
    if existing is not None:
        return _recorded_before(session, existing, per_licence=per_licence)
    if not invitation.platform.allows(platform):
        raise WrongPlatform(invitation, platform)
    if invitation.state not in SPENDABLE:
        _check_usable(invitation, now=now)
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
    if not spend_once(session, Invitation.enrolled_at, invitation.id, now, Invitation.state.in_(SPENDABLE)):
        session.refresh(invitation)
        revoked = invitation.state is InvitationState.REVOKED
        raise InvitationLinkInvalid(LinkProblem.REVOKED if revoked else LinkProblem.USED, invitation)
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
