"""Invitation batches: check a draft, forecast its licences, send it, follow its progress,
retry what failed. E-mails and Slack posts are queued in the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.audit.service import record
from bot.enrollment.drafts import names_without_email
from bot.enrollment.fields import Field
from bot.enrollment.jobs import INVITATION, EnrollJob, batch_group
from bot.enrollment.licences import additional_licences, additional_licences_of_batch, device_counts
from bot.enrollment.models import (
    BatchState,
    DraftInvitee,
    Invitation,
    InvitationBatch,
    InvitationState,
    InviteDraft,
    PlatformChoice,
)
from bot.errors import FieldErrors, NotFound
from bot.i18n.languages import UnknownLanguage, parse_language
from bot.outbox.service import enqueue, enqueue_many, enqueue_once, retry_failed
from bot.tokens import LinkTokens, new_nonce

DAYS_MIN, DAYS_MAX = 1, 365
# One invitation enrolls one device. Ten covers a phone, a tablet and their replacements; more is
# most likely a typo that multiplies a group's e-mails (1,000 people x 50 is five days of an
# Exchange Online mailbox's 10,000 recipients a day).
DEVICES_MIN, DEVICES_MAX = 1, 10
CHUNK = 1000


def check_days(text: str | None) -> int:
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or not DAYS_MIN <= int(value) <= DAYS_MAX:
        raise FieldErrors({Field.DAYS: f"Enter a whole number of days from {DAYS_MIN} to {DAYS_MAX}."})
    return int(value)


def check_devices(text: str | None) -> int:
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or not DEVICES_MIN <= int(value) <= DEVICES_MAX:
        raise FieldErrors(
            {
                Field.DEVICES: f"Enter a whole number of devices per person from {DEVICES_MIN} to {DEVICES_MAX}."
            }
        )
    return int(value)


def check_language(value: str | None, *, default: str) -> str:
    """The language chosen for a batch (none chosen: `default`, the LANGUAGE setting)."""
    if not value:
        return default
    try:
        return parse_language(value)
    except UnknownLanguage as error:
        raise FieldErrors({Field.LANGUAGE: str(error)}) from None


def check_ready(session: Session, draft: InviteDraft) -> int:
    """The number of invitees, or FieldErrors saying why the list cannot be sent yet."""
    total = session.scalar(select(func.count()).where(DraftInvitee.draft_id == draft.id)) or 0
    if total == 0:
        raise FieldErrors({Field.INVITEES: "Add at least one person or group to invite."})
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
                Field.INVITEES: f"{count:,} on the list have no e-mail address ({shown}): "
                "add one with “No email address assigned - click here to edit”, or remove them."
            }
        )
    return int(total)


@dataclass(frozen=True)
class LicenceForecast:
    invitees: int
    devices_per_person: int
    invitations: int
    additional_licences: int
    devices_per_licence: int


def forecast(
    session: Session, draft: InviteDraft, devices_per_person: int, *, per_licence: int
) -> LicenceForecast:
    """What a batch would consume if every invitee enrolled a device with every invitation (one
    device each): per person, ceil((devices owned + new) / 3) - ceil(devices owned / 3)."""
    emails = [
        e.lower()
        for e in session.scalars(
            select(DraftInvitee.email).where(
                DraftInvitee.draft_id == draft.id, DraftInvitee.email.is_not(None)
            )
        )
        if e
    ]
    current = device_counts(session, emails)
    extra = additional_licences(current, dict.fromkeys(emails, devices_per_person), per_licence=per_licence)
    return LicenceForecast(
        invitees=len(emails),
        devices_per_person=devices_per_person,
        invitations=len(emails) * devices_per_person,
        additional_licences=extra,
        devices_per_licence=per_licence,
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
    devices_per_person: int = 1,
    hold_when: Callable[[int], bool] = lambda invitees: False,
) -> InvitationBatch:
    """Turn the draft into a batch of invitations, `devices_per_person` per invitee (each its own
    e-mail and link, for `platform`), and queue their e-mails, unless `hold_when(number of
    invitees)` holds them for `release_batch` (e.g. until an approval). Sending the same draft
    twice (a double click) returns the first batch."""
    existing = session.scalar(select(InvitationBatch).where(InvitationBatch.request_key == draft.id))
    if existing is not None:
        return existing
    invitees = check_ready(session, draft)
    hold = hold_when(invitees)
    batch = InvitationBatch(
        created_by=actor,
        created_at=now,
        channel_id=draft.channel_id,
        platform=platform,
        days=days,
        expires_at=now + timedelta(days=days),
        invitees=invitees,
        devices_per_person=devices_per_person,
        invitations=invitees * devices_per_person,
        state=BatchState.PENDING_APPROVAL if hold else BatchState.SENDING,
        request_key=draft.id,
        language=draft.language,
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
    # CHUNK invitees at a time (keyset paging), so a batch of 10,000 is never in memory at once.
    page = (
        select(
            DraftInvitee.id,
            DraftInvitee.display_name,
            DraftInvitee.directory_id,
            DraftInvitee.account_name,
            DraftInvitee.email,
        )
        .where(DraftInvitee.draft_id == draft.id)
        .order_by(DraftInvitee.id)
        .limit(CHUNK)
    )
    after = 0
    while rows := session.execute(page.where(DraftInvitee.id > after)).all():
        after = rows[-1].id
        values = []
        for _, name, directory_id, account, email in rows:
            for _ in range(devices_per_person):
                nonce = new_nonce()
                values.append(
                    {
                        "batch_id": batch.id,
                        "display_name": name,
                        "directory_id": directory_id,
                        "username": account or email,
                        "email": email,
                        "email_key": str(email).lower(),
                        "platform": platform,
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
            "devices_per_person": devices_per_person,
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


def refresh_batch_card(
    session: Session,
    batch_id: int,
    *,
    now: datetime,
    final: bool = False,
    paused_until: datetime | None = None,
) -> None:
    """Queue an update of the batch's progress message: at most one per 2 seconds while mail
    flows (Slack limits chat.update), and one when the batch is finished or sending pauses."""
    if final:
        slot = f"final:{now.isoformat()}"
    elif paused_until is not None:
        slot = f"paused:{paused_until.isoformat()}"
    else:
        slot = str(int(now.timestamp() // 2))
    key = f"batch-refresh:{batch_id}:{slot}"
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
    extra = additional_licences_of_batch(session, batch_id, per_licence=per_licence)
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
