"""What in enrollment waits for an approver (only while APPROVALS_CHANNEL is set):

- an invitation batch above APPROVAL_BATCH_SIZE invitees: the batch is created but held, nothing
  is e-mailed; on approval its e-mails are queued; rejected, cancelled or expired, it says so;
- a device beyond a person's licence (APPROVAL_DEVICES_BEYOND_LICENCE): the callback is answered
  202 and the device is recorded only on approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.approvals.models import ApprovalRequest, ApprovalState
from bot.approvals.policy import ApprovalKind, needs_approval
from bot.approvals.service import request_approval
from bot.config import Settings
from bot.enrollment.batches import refresh_batch_card, release_batch, send_batch
from bot.enrollment.devices import Enrollment, InvitationLinkInvalid, invitation_for_device, record_device
from bot.enrollment.jobs import EnrollJob
from bot.enrollment.licences import additional_licences_of_batch, device_counts, licences_for
from bot.enrollment.models import (
    BatchState,
    Invitation,
    InvitationBatch,
    InviteDraft,
    Platform,
    PlatformChoice,
)
from bot.errors import InvalidState
from bot.outbox.service import enqueue
from bot.tokens import LinkTokens


@dataclass(frozen=True)
class BatchOutcome:
    batch: InvitationBatch
    approval: ApprovalRequest | None


def send_or_request_approval(
    session: Session,
    *,
    settings: Settings,
    draft: InviteDraft,
    days: int,
    platform: PlatformChoice,
    actor: str,
    now: datetime,
    tokens: LinkTokens,
    devices_per_person: int = 1,
) -> BatchOutcome:
    """`send_batch`, holding a batch the policy finds too large until an approver approves it."""
    channel_id, draft_id = draft.channel_id, draft.id
    too_large = partial(needs_approval, settings, ApprovalKind.INVITATION_BATCH)
    batch = send_batch(
        session,
        draft=draft,
        days=days,
        platform=platform,
        actor=actor,
        now=now,
        tokens=tokens,
        devices_per_person=devices_per_person,
        hold_when=lambda invitees: too_large(invitees=invitees),
    )
    if batch.state is not BatchState.PENDING_APPROVAL:
        return BatchOutcome(batch=batch, approval=None)
    approval = request_approval(
        session,
        settings=settings,
        kind=ApprovalKind.INVITATION_BATCH,
        payload={"batch_id": batch.id},
        requester=actor,
        summary=f"Send {batch.invitations:,} enrollment invitations to {batch.invitees:,} people",
        details=[
            ("People", f"{batch.invitees:,} (more than {settings.approval_batch_size:,})"),
            ("Devices per person", str(batch.devices_per_person)),
            ("Platform", batch.platform.label),
            (
                "Licences",
                f"up to {additional_licences_of_batch(session, batch.id, per_licence=settings.devices_per_licence):,} "
                "more licensed users if all enroll",
            ),
            ("Expires after", f"{batch.days} days"),
        ],
        channel_id=channel_id,
        request_key=f"invitation_batch:{draft_id}",
        now=now,
    )
    if channel_id:  # the progress card says the batch waits for approval
        enqueue(
            session,
            kind=EnrollJob.BATCH_CARD,
            payload={"batch_id": batch.id, "requester": actor},
            now=now,
            dedupe_key=f"batch-card:{batch.id}",
        )
    return BatchOutcome(batch=batch, approval=approval)


def release_held_batch(session: Session, request: ApprovalRequest, *, now: datetime) -> str:
    batch = session.get(InvitationBatch, int(request.payload["batch_id"]))
    if batch is None or batch.state is not BatchState.PENDING_APPROVAL:
        raise InvalidState("The invitation batch is no longer waiting for approval.")
    release_batch(session, batch, now=now)
    refresh_batch_card(session, batch.id, now=now)
    return f"{batch.invitations:,} invitations are on their way."


def drop_held_batch(session: Session, request: ApprovalRequest, state: ApprovalState, now: datetime) -> None:
    batch = session.get(InvitationBatch, int(request.payload["batch_id"]))
    if batch is not None and batch.state is BatchState.PENDING_APPROVAL:
        batch.state = BatchState.REJECTED if state is ApprovalState.REJECTED else BatchState.CANCELLED
        batch.finished_at = now
        refresh_batch_card(session, batch.id, now=now, final=True)


class HeldDevice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    token_hash: str
    platform: Platform
    device_id: str


@dataclass(frozen=True)
class DeviceOutcome:
    enrollment: Enrollment | None
    approval: ApprovalRequest | None


def enroll_or_request_approval(
    session: Session, *, settings: Settings, token: str, platform: Platform, device_id: str, now: datetime
) -> DeviceOutcome:
    """Record the device, unless it takes its owner beyond their licence and the policy wants an
    approver to agree first."""
    invitation, known = invitation_for_device(session, token, platform=platform, device_id=device_id, now=now)
    per_licence = settings.devices_per_licence
    owned = device_counts(session, [invitation.email_key]).get(invitation.email_key, 0)
    # Everyone's first licence is theirs: only a device needing a further one is "beyond".
    beyond = licences_for(owned + 1, per_licence) - max(licences_for(owned, per_licence), 1)
    if known is None and needs_approval(
        settings, ApprovalKind.DEVICE_BEYOND_LICENCE, additional_licences=beyond
    ):
        held = HeldDevice(token_hash=invitation.token_hash, platform=platform, device_id=device_id)
        approval = request_approval(
            session,
            settings=settings,
            kind=ApprovalKind.DEVICE_BEYOND_LICENCE,
            payload=held.model_dump(mode="json"),
            requester="enrollment-callback",
            summary=f"Enroll a {platform.label} device of {invitation.email}: device {owned + 1}, "
            f"which makes them {licences_for(owned + 1, per_licence)} licensed users",
            details=[
                ("Person", f"{invitation.display_name} ({invitation.email})"),
                ("Devices already enrolled", str(owned)),
                ("Device", f"{platform.label} {device_id}"),
            ],
            request_key=f"device:{platform.value}:{device_id}",
            now=now,
        )
        return DeviceOutcome(enrollment=None, approval=approval)
    enrollment = record_device(
        session, invitation, platform=platform, device_id=device_id, now=now, per_licence=per_licence
    )
    return DeviceOutcome(enrollment=enrollment, approval=None)


def record_held_device(session: Session, request: ApprovalRequest, *, now: datetime, per_licence: int) -> str:
    held = HeldDevice.model_validate(request.payload)
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == held.token_hash))
    if invitation is None:
        raise InvalidState("The invitation was replaced meanwhile; the device was not recorded.")
    try:
        record_device(
            session,
            invitation,
            platform=held.platform,
            device_id=held.device_id,
            now=now,
            per_licence=per_licence,
            actor="approval",
        )
    except InvitationLinkInvalid as error:
        raise InvalidState(
            f"The invitation can no longer enroll a device ({error.problem.value}); the device was not recorded."
        ) from None
    return f"The {held.platform.label} device of {invitation.email} is recorded."
