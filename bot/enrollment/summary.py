"""Read models of enrollment for builders: plain frozen values, no database behind them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.enrollment.batch_progress import BatchProgress
from bot.enrollment.drafts import SearchState
from bot.enrollment.licences import LicenceForecast
from bot.enrollment.models import (
    BatchState,
    Device,
    DraftInvitee,
    Invitation,
    InvitationState,
    Platform,
    PlatformChoice,
)
from bot.enrollment.progress import SendingOutlook


@dataclass(frozen=True)
class InviteeItem:
    id: int
    display_name: str
    email: str | None
    source: str | None


@dataclass(frozen=True)
class DraftSummary:
    """Everything the Send Enrollment Invitation modal shows."""

    search: SearchState
    invitees: list[InviteeItem]
    total: int
    without_email: int
    offset: int
    page_size: int
    forecast: LicenceForecast | None
    platform: PlatformChoice
    devices_per_person: int
    notice: str | None

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.invitees) < self.total


def invitee_item(row: DraftInvitee) -> InviteeItem:
    return InviteeItem(row.id, row.display_name, row.email, row.source)


@dataclass(frozen=True)
class InvitationItem:
    id: int
    display_name: str
    email: str
    platform: PlatformChoice
    state: InvitationState
    created_at: datetime
    expires_at: datetime
    sent_at: datetime | None
    failure: str | None

    @property
    def can_resend(self) -> bool:
        return self.state is not InvitationState.ENROLLED

    @property
    def can_extend(self) -> bool:
        return self.state not in (InvitationState.ENROLLED, InvitationState.REVOKED)

    @property
    def can_revoke(self) -> bool:
        return self.state not in (InvitationState.ENROLLED, InvitationState.REVOKED)


def summarize_invitation(invitation: Invitation) -> InvitationItem:
    return InvitationItem(
        id=invitation.id,
        display_name=invitation.display_name,
        email=invitation.email,
        platform=invitation.platform,
        state=invitation.state,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        sent_at=invitation.sent_at,
        failure=invitation.failure,
    )


@dataclass(frozen=True)
class DeviceItem:
    platform: Platform
    device_id: str
    enrolled_at: datetime


@dataclass(frozen=True)
class PersonItem:
    """One person's figures: devices enrolled, invitations open, licences used."""

    email: str
    display_name: str
    devices: int
    open_invitations: int
    licences: int
    # The person's latest invitation: Invite another device copies its platform and days.
    latest_invitation_id: int


@dataclass(frozen=True)
class Listed:
    """A page of a longer list: where it starts, how many a page holds, and how many there are in all."""

    offset: int = 0
    size: int = 1
    total: int = 0


@dataclass(frozen=True)
class StatusSummary:
    email: str | None
    invitations: list[InvitationItem]
    devices: list[DeviceItem]
    licensed_users: int
    people: int
    device_total: int
    devices_per_licence: int
    per_person: list[PersonItem]
    people_listed: Listed = Listed()
    invitations_listed: Listed = Listed()


def status_summary(
    *,
    email: str | None,
    invitations: Sequence[Invitation],
    devices: Sequence[Device],
    people: int,
    device_total: int,
    licensed_users: int,
    devices_per_licence: int,
    per_person: Sequence[PersonItem] = (),
    people_listed: Listed = Listed(),
    invitations_listed: Listed = Listed(),
) -> StatusSummary:
    return StatusSummary(
        email=email,
        invitations=[summarize_invitation(i) for i in invitations],
        devices=[DeviceItem(d.platform, d.device_id, d.enrolled_at) for d in devices],
        licensed_users=licensed_users,
        people=people,
        device_total=device_total,
        devices_per_licence=devices_per_licence,
        per_person=list(per_person),
        people_listed=people_listed,
        invitations_listed=invitations_listed,
    )


@dataclass(frozen=True)
class BatchSummary:
    id: int
    created_by: str
    created_at: datetime
    platform: PlatformChoice
    days: int
    expires_at: datetime
    invitees: int
    invitations: int
    state: BatchState
    problem: str | None
    sent: int
    failed: int
    queued: int
    failures: list[tuple[str, int]]
    additional_licences: int
    # Pauses, the daily limit and the expected finish (None: nothing known of the relay).
    outlook: SendingOutlook | None = None
    devices_per_person: int = 1


def summarize_batch(progress: BatchProgress, outlook: SendingOutlook | None = None) -> BatchSummary:
    batch = progress.batch
    return BatchSummary(
        id=batch.id,
        created_by=batch.created_by,
        created_at=batch.created_at,
        platform=batch.platform,
        days=batch.days,
        expires_at=batch.expires_at,
        invitees=batch.invitees,
        devices_per_person=batch.devices_per_person,
        invitations=batch.invitations,
        state=batch.state,
        problem=batch.problem,
        sent=progress.sent,
        failed=progress.failed,
        queued=progress.queued,
        failures=progress.failures,
        additional_licences=progress.additional_licences,
        outlook=outlook,
    )
