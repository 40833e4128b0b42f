"""Invite another device: one more invitation (its own e-mail and link, for one device) to the
person of an earlier invitation, from /enroll status or a reminder.

The invitation is a batch of one whose request key comes from the button, so a double click, a
retried click or two replicas handling the same click send one invitation: the batch's unique
request key lets only one of them in (bot/once.insert_once, as for every batch)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit.service import record
from bot.db import Database
from bot.enrollment.invitations import get_invitation
from bot.enrollment.jobs import INVITATION, queue_invitation_email
from bot.enrollment.models import BatchState, Invitation, InvitationBatch, InvitationState, PlatformChoice
from bot.once import insert_once
from bot.tokens import LinkTokens, new_nonce

KEY_PREFIX = "another-device:"


@dataclass(frozen=True)
class AnotherInvitation:
    display_name: str
    email: str
    platform: PlatformChoice
    expires_at: datetime
    # False when this button had already sent its invitation (a double click): nothing new.
    created: bool


def invite_another_device(
    db: Database, *, invitation_id: int, request_key: str, actor: str, now: datetime, tokens: LinkTokens
) -> AnotherInvitation:
    key = (KEY_PREFIX + request_key)[:64]
    with db.transaction() as session:
        done = _sent_for(session, key)
        if done is not None:
            return _outcome(done, created=False)
        source = get_invitation(session, invitation_id)
        batch, created = insert_once(
            session, _batch_of_one(source, key=key, actor=actor, now=now), lambda: _batch_for(session, key)
        )
        if not created:  # the same click handled at once elsewhere: its invitation, not a second
            done = _sent_for(session, key)
            assert done is not None
            return _outcome(done, created=False)
        invitation = _new_invitation(session, source, batch, now=now, tokens=tokens)
        queue_invitation_email(session, invitation, now=now)
        record(
            session,
            actor=actor,
            action="invitation.another_device",
            target=invitation.email,
            now=now,
            details={"invitation_id": invitation.id, "from_invitation": source.id},
        )
        return _outcome(invitation, created=True)


def _sent_for(session: Session, key: str) -> Invitation | None:
    return session.scalar(
        select(Invitation).join(InvitationBatch).where(InvitationBatch.request_key == key).limit(1)
    )


def _batch_for(session: Session, key: str) -> InvitationBatch | None:
    return session.scalar(select(InvitationBatch).where(InvitationBatch.request_key == key))


def _batch_of_one(source: Invitation, *, key: str, actor: str, now: datetime) -> InvitationBatch:
    days = source.batch.days
    return InvitationBatch(
        created_by=actor,
        created_at=now,
        channel_id=None,  # one e-mail: the person who clicked is told, no progress card
        platform=source.platform,
        language=source.batch.language,  # the same language as the person's invitation
        days=days,
        expires_at=now + timedelta(days=days),
        invitees=1,
        devices_per_person=1,
        invitations=1,
        state=BatchState.SENDING,
        request_key=key,
    )


def _new_invitation(
    session: Session, source: Invitation, batch: InvitationBatch, *, now: datetime, tokens: LinkTokens
) -> Invitation:
    nonce = new_nonce()
    invitation = Invitation(
        batch_id=batch.id,
        display_name=source.display_name,
        directory_id=source.directory_id,
        username=source.username,
        email=source.email,
        email_key=source.email_key,
        platform=source.platform,
        token_hash=tokens.token_hash(INVITATION, nonce),
        nonce=nonce,
        state=InvitationState.QUEUED,
        created_at=now,
        expires_at=batch.expires_at,
    )
    session.add(invitation)
    session.flush()
    return invitation


def _outcome(invitation: Invitation, *, created: bool) -> AnotherInvitation:
    return AnotherInvitation(
        display_name=invitation.display_name,
        email=invitation.email,
        platform=invitation.platform,
        expires_at=invitation.expires_at,
        created=created,
    )
