from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base


def _enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"

    @property
    def label(self) -> str:
        return {Platform.IOS: "iOS", Platform.ANDROID: "Android"}[self]


class PlatformChoice(StrEnum):
    """The platform(s) an invitation is for, as chosen in the modal: its e-mail holds the store
    link of each, and its link enrolls a device of any of them (one device in all)."""

    IOS = "ios"
    ANDROID = "android"
    BOTH = "both"

    @property
    def label(self) -> str:
        return {PlatformChoice.IOS: "iOS", PlatformChoice.ANDROID: "Android", PlatformChoice.BOTH: "Both"}[
            self
        ]

    @property
    def platforms(self) -> list[Platform]:
        return [Platform.IOS, Platform.ANDROID] if self is PlatformChoice.BOTH else [Platform(self.value)]

    @property
    def device_label(self) -> str:
        """How e-mails and pages name the device: "iOS", "Android", "iOS / Android" (no word
        to translate inside the e-mails' translated sentences)."""
        return " / ".join(platform.label for platform in self.platforms)

    def allows(self, platform: Platform) -> bool:
        return platform in self.platforms


class BatchState(StrEnum):
    SENDING = "sending"
    DONE = "done"
    WAITING = "waiting"  # mail cannot go out (e.g. SMTP settings); retried, or by Retry
    PENDING_APPROVAL = "pending_approval"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class InvitationState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    OPENED = "opened"
    ENROLLED = "enrolled"
    EXPIRED = "expired"
    REVOKED = "revoked"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return self.value


class InviteDraft(Base):
    """The Send Enrollment Invitation modal's working state, kept here rather than in the view
    (private_metadata holds 3,000 characters; a group can bring thousands of invitees)."""

    __tablename__ = "invite_drafts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40))
    channel_id: Mapped[str | None] = mapped_column(String(40))
    platform: Mapped[PlatformChoice] = mapped_column(
        _enum(PlatformChoice, "platform_choice"), default=PlatformChoice.BOTH
    )
    # The last search: text, mode, results (a few users and groups), and a problem to show.
    search: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # When the search kept in `search` was pressed (microseconds since the epoch, from Slack's
    # action_ts): a search that finishes after a newer one never replaces the newer results.
    search_at: Mapped[int | None] = mapped_column(BigInteger)
    notice: Mapped[str | None] = mapped_column(String(500))
    # How many invitations (one device each) every person on the list gets.
    devices_per_person: Mapped[int] = mapped_column(default=1, server_default="1")
    # The language chosen for the invitations' e-mails and pages (None: LANGUAGE).
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class DraftInvitee(Base):
    __tablename__ = "draft_invitees"
    __table_args__ = (
        UniqueConstraint("draft_id", "merge_key"),
        Index("ix_draft_invitees_draft_position", "draft_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("invite_drafts.id", ondelete="CASCADE"))
    # Lower-cased e-mail, or the directory id for someone without one: duplicates merge on it.
    merge_key: Mapped[str] = mapped_column(String(400))
    directory_id: Mapped[str | None] = mapped_column(String(400))
    account_name: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    source: Mapped[str | None] = mapped_column(String(200))


class InvitationBatch(Base):
    __tablename__ = "invitation_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(index=True)
    channel_id: Mapped[str | None] = mapped_column(String(40))
    platform: Mapped[PlatformChoice] = mapped_column(_enum(PlatformChoice, "platform_choice"))
    days: Mapped[int]
    expires_at: Mapped[datetime]
    invitees: Mapped[int]
    # Invitations per person: invitations = invitees * devices_per_person.
    devices_per_person: Mapped[int] = mapped_column(default=1, server_default="1")
    invitations: Mapped[int]
    state: Mapped[BatchState] = mapped_column(_enum(BatchState, "batch_state"))
    # Why mail is waiting, in words for the helpdesk (cleared when it flows again).
    problem: Mapped[str | None] = mapped_column(String(1000))
    finished_at: Mapped[datetime | None]
    # The modal's draft id: a double-clicked Send creates one batch.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The language of its e-mails and landing pages (None: LANGUAGE when they are shown).
    language: Mapped[str | None] = mapped_column(String(16))


class Invitation(Base):
    """One e-mail to one invitee, whose link enrolls one device of its platform(s). Once a device
    enrolled with it (state enrolled) the link is spent."""

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_state_expires_at", "state", "expires_at"),
        Index("ix_invitations_batch_state", "batch_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("invitation_batches.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(200))
    directory_id: Mapped[str | None] = mapped_column(String(400))
    username: Mapped[str] = mapped_column(String(320))
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), index=True)
    platform: Mapped[PlatformChoice] = mapped_column(_enum(PlatformChoice, "platform_choice"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(32))
    state: Mapped[InvitationState] = mapped_column(_enum(InvitationState, "invitation_state"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # Indexed for the daily digest, which counts what happened in one day out of years.
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    opened_at: Mapped[datetime | None] = mapped_column(index=True)
    enrolled_at: Mapped[datetime | None] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(String(1000))

    batch: Mapped[InvitationBatch] = relationship()


class ReplacedLink(Base):
    """The link of an invitation e-mail that Resend replaced: opening it says the invitation was
    replaced by a newer one (410), not that the link is unknown."""

    __tablename__ = "replaced_invitation_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    replaced_at: Mapped[datetime]


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("platform", "device_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_email: Mapped[str] = mapped_column(String(320), index=True)
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "device_platform"))
    device_id: Mapped[str] = mapped_column(String(200))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    enrolled_at: Mapped[datetime] = mapped_column(index=True)


class DeviceOwner(Base):
    """How many devices each person has enrolled: kept with every device recorded, so one
    person's count is one row and the tally below stays exact when enrollments race."""

    __tablename__ = "device_owners"

    owner_email: Mapped[str] = mapped_column(String(320), primary_key=True)
    devices: Mapped[int]


class DeviceTally(Base):
    """How many people have enrolled exactly `devices` devices. Its size is the largest number
    of devices one person has, not the number of devices: the licence total reads it whole
    (the sum of owners * ceil(devices / per licence), whatever the per-licence setting is) instead of
    counting every device."""

    __tablename__ = "device_tally"

    devices: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    owners: Mapped[int]
