"""Invitation batches: send a draft as one, release a held one, keep its progress card current,
retry what failed. E-mails and Slack posts are queued in the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from bot.audit.service import record
from bot.enrollment.checks import check_ready
from bot.enrollment.jobs import INVITATION, EnrollJob, batch_group
from bot.enrollment.models import (
    BatchState,
    DraftInvitee,
    Invitation,
    InvitationBatch,
    InvitationState,
    InviteDraft,
    PlatformChoice,
)
from bot.errors import NotFound
from bot.once import insert_once
from bot.outbox.service import enqueue, enqueue_many, enqueue_once, retry_failed
from bot.tokens import LinkTokens, new_nonce

CHUNK = 1000
_INVITATIONS = cast(Table, Invitation.__table__)


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
    key = batch_key(draft.id)
    existing = _batch_of(session, key)
    if existing is not None:
        return existing
    invitees = check_ready(session, draft)
    hold = hold_when(invitees)
    batch, created = insert_once(
        session,
        InvitationBatch(
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
            request_key=key,
            language=draft.language,
        ),
        lambda: _batch_of(session, key),
    )
    if not created:  # a concurrent Send of the same draft got there first: one batch
        return batch
    _add_invitations(session, batch, draft, tokens=tokens, now=now)
    session.delete(draft)
    _record_created(session, batch, actor=actor, now=now, held=hold)
    if not hold:
        release_batch(session, batch, now=now)
    return batch


def _record_created(
    session: Session, batch: InvitationBatch, *, actor: str, now: datetime, held: bool
) -> None:
    record(
        session,
        actor=actor,
        action="invitations.batch_created",
        target=f"batch {batch.id}",
        now=now,
        details={
            "batch_id": batch.id,
            "invitees": batch.invitees,
            "platform": batch.platform.value,
            "devices_per_person": batch.devices_per_person,
            "days": batch.days,
            "held_for_approval": held,
        },
    )


def batch_key(draft_id: str) -> str:
    """The request key of the batch sent from a draft: one batch per draft."""
    return f"draft:{draft_id}"


def _batch_of(session: Session, key: str) -> InvitationBatch | None:
    return session.scalar(select(InvitationBatch).where(InvitationBatch.request_key == key))


def _add_invitations(
    session: Session, batch: InvitationBatch, draft: InviteDraft, *, tokens: LinkTokens, now: datetime
) -> None:
    """`devices_per_person` invitations per invitee, CHUNK invitees at a time (keyset paging), so
    a batch of 10,000 is never in memory at once."""
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
            for _ in range(batch.devices_per_person):
                nonce = new_nonce()
                values.append(
                    {
                        "batch_id": batch.id,
                        "display_name": name,
                        "directory_id": directory_id,
                        "username": account or email,
                        "email": email,
                        "email_key": str(email).lower(),
                        "platform": batch.platform,
                        "token_hash": tokens.token_hash(INVITATION, nonce),
                        "nonce": nonce,
                        "state": InvitationState.QUEUED,
                        "created_at": now,
                        "expires_at": batch.expires_at,
                    }
                )
        # The table, not the mapped class: the ORM's bulk insert copies and checks every row first.
        session.execute(insert(_INVITATIONS), values)


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
