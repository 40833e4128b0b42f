"""What a helpdesk person does to one invitation (Resend, Extend, Revoke) or to a batch (Retry),
each in its own unit of work, answered with the invitation as it is afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.db import Database
from bot.enrollment.batches import retry_batch
from bot.enrollment.checks import check_days
from bot.enrollment.invitations import extend_invitation, get_invitation, resend_invitation, revoke_invitation
from bot.enrollment.summary import InvitationItem, summarize_invitation
from bot.tokens import LinkTokens


@dataclass(frozen=True)
class InvitationAction:
    invitation_id: int
    actor: str


@dataclass(frozen=True)
class Extend:
    invitation_id: int
    actor: str
    # As typed in the Extend modal.
    days: str | None
    # The submitted view (its id and hash): the same submission again extends once.
    change_key: str | None


@dataclass(frozen=True)
class ExtensionForm:
    """What the Extend modal asks about: whose invitation, and the batch's days as a start."""

    who: str
    days: int


def resend(db: Database, action: InvitationAction, *, now: datetime, tokens: LinkTokens) -> InvitationItem:
    with db.transaction() as session:
        invitation = resend_invitation(
            session, invitation_id=action.invitation_id, actor=action.actor, now=now, tokens=tokens
        )
        return summarize_invitation(invitation)


def revoke(db: Database, action: InvitationAction, *, now: datetime) -> InvitationItem:
    with db.transaction() as session:
        invitation = revoke_invitation(
            session, invitation_id=action.invitation_id, actor=action.actor, now=now
        )
        return summarize_invitation(invitation)


def extension_form(db: Database, invitation_id: int) -> ExtensionForm:
    with db.read() as session:
        invitation = get_invitation(session, invitation_id)
        return ExtensionForm(
            f"{invitation.display_name} ({invitation.platform.label})", invitation.batch.days
        )


def extend(db: Database, command: Extend, *, now: datetime) -> InvitationItem:
    """FieldErrors under `days` when the number is not one; a repeated submission extends once."""
    days = check_days(command.days)
    with db.transaction() as session:
        invitation = extend_invitation(
            session,
            invitation_id=command.invitation_id,
            days=days,
            actor=command.actor,
            now=now,
            change_key=command.change_key,
        )
        return summarize_invitation(invitation)


def retry_sending(db: Database, *, batch_id: int, actor: str, now: datetime) -> None:
    """The batch's failed and waiting invitations go out again."""
    with db.transaction() as session:
        retry_batch(session, batch_id=batch_id, actor=actor, now=now)
