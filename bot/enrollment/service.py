"""Invitation batches and invitations: send, resend, extend, revoke, open, enroll.

Plain functions over a session and plain values; e-mail and Slack posts are queued in the
outbox in the same transaction (handlers in bot/enrollment/delivery.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.audit.service import record
from bot.enrollment.drafts import names_without_email
from bot.enrollment.licences import additional_licences, device_counts, licences_for
from bot.enrollment.models import (
    BatchState,
    Device,
    DraftInvitee,
    Invitation,
    InvitationBatch,
    InvitationState,
    InviteDraft,
    Platform,
    PlatformChoice,
)
from bot.errors import FieldErrors, InvalidState, NotFound
from bot.outbox.service import enqueue, enqueue_many, enqueue_once
from bot.slack.dedupe import claim
from bot.tokens import LinkTokens, hash_token, new_nonce

INVITATION = "invitation"
DAYS_MIN, DAYS_MAX = 1, 365
INVITEES = "invitees"
DAYS = "days"
PLATFORM = "platform"
CHUNK = 1000
# Invitations that can still be used to enroll.
LIVE = (InvitationState.QUEUED, InvitationState.SENT, InvitationState.OPENED)


class EnrollJob(StrEnum):
    INVITATION_EMAIL = "enroll.invitation_email"
    BATCH_CARD = "enroll.batch_card"
    BATCH_REFRESH = "enroll.batch_refresh"


def batch_group(batch_id: int) -> str:
    return f"batch:{batch_id}"


def check_days(text: str | None) -> int:
    value = (text or "").strip()
    if not value.isdigit() or not DAYS_MIN <= int(value) <= DAYS_MAX:
        raise FieldErrors({DAYS: f"Enter a whole number of days from {DAYS_MIN} to {DAYS_MAX}."})
    return int(value)


def check_ready(session: Session, draft: InviteDraft) -> int:
    """The number of invitees, or FieldErrors saying why the list cannot be sent yet."""
    total = session.scalar(select(func.count()).where(DraftInvitee.draft_id == draft.id)) or 0
    if total == 0:
        raise FieldErrors({INVITEES: "Add at least one person or group to invite."})
    missing = names_without_email(session, draft, limit=6)
    if missing:
        count = (
            session.scalar(
                select(func.count()).where(DraftInvitee.draft_id == draft.id, DraftInvitee.email.is_(None))
            )
            or 0
        )
        shown = ", ".join(missing[:5]) + (f" and {count - 5:,} more" if count > 5 else "")
        raise FieldErrors(
            {
                INVITEES: f"{count:,} on the list have no e-mail address ({shown}): "
                "add one with “No email address assigned - click here to edit”, or remove them."
            }
        )
    return int(total)


@dataclass(frozen=True)
class LicenceForecast:
    invitees: int
    invitations: int
    additional_licences: int


def forecast(
    session: Session, draft: InviteDraft, platform: PlatformChoice, *, per_licence: int
) -> LicenceForecast:
    """What a batch would consume if every invitee enrolled every device invited."""
    emails = [
        e.lower()
        for e in session.scalars(
            select(DraftInvitee.email).where(
                DraftInvitee.draft_id == draft.id, DraftInvitee.email.is_not(None)
            )
        )
        if e
    ]
    per_person = len(platform.platforms)
    current = device_counts(session, emails)
    extra = additional_licences(current, dict.fromkeys(emails, per_person), per_licence=per_licence)
    return LicenceForecast(
        invitees=len(emails), invitations=len(emails) * per_person, additional_licences=extra
    )


def send_batch(
    session: Session,
    *,
    draft: InviteDraft,
    days: int,
    platform: PlatformChoice,
    actor: str,
    now: datetime,
    tokens: LinkTokens,
    hold_when: Callable[[int], bool] = lambda invitees: False,
) -> InvitationBatch:
    """Turn the draft into a batch of invitations, one per invitee and platform, and queue their
    e-mails, unless `hold_when(number of invitees)` holds them for `release_batch` (e.g. until an
    approval). Sending the same draft twice (a double click) returns the first batch."""
    existing = session.scalar(select(InvitationBatch).where(InvitationBatch.request_key == draft.id))
    if existing is not None:
        return existing
    invitees = check_ready(session, draft)
    hold = hold_when(invitees)
    platforms = platform.platforms
    batch = InvitationBatch(
        created_by=actor,
        created_at=now,
        channel_id=draft.channel_id,
        platform=platform,
        days=days,
        expires_at=now + timedelta(days=days),
        invitees=invitees,
        invitations=invitees * len(platforms),
        state=BatchState.PENDING_APPROVAL if hold else BatchState.SENDING,
        request_key=draft.id,
    )
    try:
        with session.begin_nested():
            session.add(batch)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(InvitationBatch).where(InvitationBatch.request_key == draft.id))
        if existing is None:
            raise
        return existing
    rows = session.execute(
        select(
            DraftInvitee.display_name,
            DraftInvitee.directory_id,
            DraftInvitee.account_name,
            DraftInvitee.email,
        )
        .where(DraftInvitee.draft_id == draft.id)
        .order_by(DraftInvitee.id)
    ).all()
    for start in range(0, len(rows), CHUNK):
        values = []
        for name, directory_id, account, email in rows[start : start + CHUNK]:
            for device_platform in platforms:
                nonce = new_nonce()
                values.append(
                    {
                        "batch_id": batch.id,
                        "display_name": name,
                        "directory_id": directory_id,
                        "username": account or email,
                        "email": email,
                        "email_key": str(email).lower(),
                        "platform": device_platform,
                        "token_hash": tokens.token_hash(INVITATION, nonce),
                        "nonce": nonce,
                        "state": InvitationState.QUEUED,
                        "created_at": now,
                        "expires_at": batch.expires_at,
                    }
                )
        session.execute(insert(Invitation), values)
    session.delete(draft)
    record(
        session,
        actor=actor,
        action="invitations.batch_created",
        target=f"batch {batch.id}",
        now=now,
        details={
            "batch_id": batch.id,
            "invitees": invitees,
            "platform": platform.value,
            "days": days,
            "held_for_approval": hold,
        },
    )
    if not hold:
        release_batch(session, batch, now=now)
    return batch


def release_batch(session: Session, batch: InvitationBatch, *, now: datetime) -> None:
    """Queue the e-mails of a batch (and its progress card)."""
    batch.state = BatchState.SENDING
    ids = session.scalars(
        select(Invitation.id)
        .where(Invitation.batch_id == batch.id, Invitation.state == InvitationState.QUEUED)
        .order_by(Invitation.id)
    ).all()
    enqueue_many(
        session,
        kind=EnrollJob.INVITATION_EMAIL,
        payloads=[{"invitation_id": i} for i in ids],
        now=now,
        group_key=batch_group(batch.id),
    )
    if batch.channel_id:
        enqueue(
            session,
            kind=EnrollJob.BATCH_CARD,
            payload={"batch_id": batch.id, "requester": batch.created_by},
            now=now,
            dedupe_key=f"batch-card:{batch.id}",
        )


def refresh_batch_card(session: Session, batch_id: int, *, now: datetime, final: bool = False) -> None:
    """Queue an update of the batch's progress message: at most one per 2 seconds while mail
    flows (Slack limits chat.update), and one when the batch is finished."""
    key = f"batch-refresh:{batch_id}:{'final:' + now.isoformat() if final else int(now.timestamp() // 2)}"
    # Outbox threads sending one batch queue the same key at the same moment: one statement that
    # skips a key already queued, where a read-then-insert would collide.
    enqueue_once(
        session, kind=EnrollJob.BATCH_REFRESH, payload={"batch_id": batch_id}, now=now, dedupe_key=key
    )


def finish_if_done(session: Session, batch: InvitationBatch, *, now: datetime) -> bool:
    # Whether any is still queued, not how many: called after every claim of e-mails, it must not
    # walk the rest of a batch of thousands each time.
    queued = session.scalar(
        select(Invitation.id)
        .where(Invitation.batch_id == batch.id, Invitation.state == InvitationState.QUEUED)
        .limit(1)
    )
    if queued is None and batch.state in (BatchState.SENDING, BatchState.WAITING):
        batch.state = BatchState.DONE
        batch.problem = None
        batch.finished_at = now
        refresh_batch_card(session, batch.id, now=now, final=True)
        return True
    refresh_batch_card(session, batch.id, now=now)
    return False


@dataclass(frozen=True)
class BatchProgress:
    batch: InvitationBatch
    counts: dict[InvitationState, int]
    failures: list[tuple[str, int]]
    additional_licences: int

    @property
    def sent(self) -> int:
        return sum(
            self.counts.get(s, 0)
            for s in (
                InvitationState.SENT,
                InvitationState.OPENED,
                InvitationState.ENROLLED,
                InvitationState.EXPIRED,
                InvitationState.REVOKED,
            )
        )

    @property
    def failed(self) -> int:
        return self.counts.get(InvitationState.FAILED, 0)

    @property
    def queued(self) -> int:
        return self.counts.get(InvitationState.QUEUED, 0)


def batch_progress(session: Session, batch_id: int, *, per_licence: int) -> BatchProgress:
    batch = session.get(InvitationBatch, batch_id)
    if batch is None:
        raise NotFound("That invitation batch no longer exists.")
    counts = {
        InvitationState(state): int(n)
        for state, n in session.execute(
            select(Invitation.state, func.count())
            .where(Invitation.batch_id == batch_id)
            .group_by(Invitation.state)
        )
    }
    failures = [
        (str(reason), int(n))
        for reason, n in session.execute(
            select(Invitation.failure, func.count())
            .where(Invitation.batch_id == batch_id, Invitation.state == InvitationState.FAILED)
            .group_by(Invitation.failure)
            .order_by(func.count().desc())
            .limit(5)
        )
    ]
    emails = session.scalars(select(Invitation.email_key).where(Invitation.batch_id == batch_id)).all()
    per_person: dict[str, int] = {}
    for email in emails:
        per_person[email] = per_person.get(email, 0) + 1
    extra = additional_licences(device_counts(session, per_person), per_person, per_licence=per_licence)
    return BatchProgress(batch=batch, counts=counts, failures=failures, additional_licences=extra)


def retry_batch(session: Session, *, batch_id: int, actor: str, now: datetime) -> InvitationBatch:
    """After the mail settings were fixed: failed and waiting invitations go out again now."""
    batch = session.get(InvitationBatch, batch_id)
    if batch is None:
        raise NotFound("That invitation batch no longer exists.")
    failed = session.scalars(
        select(Invitation.id).where(
            Invitation.batch_id == batch_id, Invitation.state == InvitationState.FAILED
        )
    ).all()
    session.execute(
        update(Invitation).where(Invitation.id.in_(failed)).values(state=InvitationState.QUEUED, failure=None)
    )
    from bot.outbox.service import retry_failed

    retry_failed(session, now=now, group_key=batch_group(batch_id))
    batch.state = BatchState.SENDING
    batch.problem = None
    batch.finished_at = None
    record(
        session,
        actor=actor,
        action="invitations.batch_retried",
        target=f"batch {batch_id}",
        now=now,
        details={"batch_id": batch_id, "failed_again_queued": len(failed)},
    )
    refresh_batch_card(session, batch_id, now=now)
    return batch


# --- single invitations ---------------------------------------------------------------------


def get_invitation(session: Session, invitation_id: int) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound("That invitation no longer exists.")
    return invitation


def _queue_email(session: Session, invitation: Invitation, *, now: datetime) -> None:
    enqueue(
        session,
        kind=EnrollJob.INVITATION_EMAIL,
        payload={"invitation_id": invitation.id},
        now=now,
        group_key=batch_group(invitation.batch_id),
        dedupe_key=f"invitation-email:{invitation.id}:{invitation.nonce}",
    )


def resend_invitation(
    session: Session, *, invitation_id: int, actor: str, now: datetime, tokens: LinkTokens
) -> Invitation:
    """A new link in a new e-mail; the old link stops working."""
    invitation = get_invitation(session, invitation_id)
    if invitation.state is InvitationState.ENROLLED:
        raise InvalidState(
            f"{invitation.display_name}'s {invitation.platform.label} device is already enrolled."
        )
    invitation.nonce = new_nonce()
    invitation.token_hash = tokens.token_hash(INVITATION, invitation.nonce)
    invitation.state = InvitationState.QUEUED
    invitation.revoked_at = None
    invitation.failure = None
    if invitation.expires_at <= now:
        invitation.expires_at = now + timedelta(days=invitation.batch.days)
    _queue_email(session, invitation, now=now)
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


def invitations_of(session: Session, *, email: str | None, limit: int) -> Sequence[Invitation]:
    query = select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit)
    if email:
        query = query.where(Invitation.email_key == email.strip().lower())
    return session.scalars(query).all()


def devices_of(session: Session, email: str) -> Sequence[Device]:
    return session.scalars(
        select(Device).where(Device.owner_email == email.strip().lower()).order_by(Device.enrolled_at)
    ).all()


# --- the landing page and the device callback ----------------------------------------------


class LinkProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


class InvitationLinkInvalid(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def invitation_for_token(session: Session, token: str, *, now: datetime) -> Invitation:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        raise InvitationLinkInvalid(LinkProblem.UNKNOWN)
    if invitation.state is InvitationState.REVOKED:
        raise InvitationLinkInvalid(LinkProblem.REVOKED)
    if invitation.state is InvitationState.EXPIRED or (
        invitation.expires_at <= now and invitation.state is not InvitationState.ENROLLED
    ):
        raise InvitationLinkInvalid(LinkProblem.EXPIRED)
    return invitation


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
    owner = invitation.email_key
    before = device_counts(session, [owner]).get(owner, 0)
    device = Device(
        owner_email=owner,
        platform=platform,
        device_id=device_id,
        invitation_id=invitation.id,
        enrolled_at=now,
    )
    session.add(device)
    invitation.state = InvitationState.ENROLLED
    invitation.enrolled_at = now
    session.flush()
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
