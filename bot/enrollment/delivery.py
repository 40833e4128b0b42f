"""Outbox handlers of enrollment: invitation e-mails (the batch progress card is bot.slack.batch_cards)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, select, tuple_, update

from bot.clock import Clock
from bot.db import Database, Record
from bot.enrollment.batches import finish_if_done, refresh_batch_card
from bot.enrollment.jobs import INVITATION, EnrollJob, batch_group
from bot.enrollment.links import PERSONAL_VALUES, EnrollmentLinks, invitation_with_qr
from bot.enrollment.models import (
    BatchState,
    Invitation,
    InvitationBatch,
    InvitationState,
    PlatformChoice,
)
from bot.integrations.mail.port import (
    DeferReason,
    MailDeferred,
    Mailer,
    MailError,
    OutgoingEmail,
)
from bot.integrations.mail.render import MailRenderer
from bot.integrations.mail.stencil import Stencil
from bot.outbox.handlers import Delivery, DeliveryDeferred, DeliveryFailed, OutboxHandler, Outcome, backoff
from bot.outbox.service import postpone_group, postpone_kind
from bot.tokens import LinkTokens

log = logging.getLogger(__name__)
# Waits that hold back every invitation e-mail, not only the claim that met them.
BATCH_PAUSES = (DeferReason.SLOW_DOWN, DeferReason.DAILY_QUOTA, DeferReason.DAILY_LIMIT)
STENCILS_KEPT = 32  # batches (by language, platform and expiry) whose rendering is kept
# Invitation e-mails one claim takes when nothing else is due before them: the claim, the
# outcome record and the batch's bookkeeping are paid once for all of them (each e-mail is still
# recorded as sent on its own, and a claim paced past half its lease hands the rest back).
CLAIM_SIZE = 100


def _claim_half_spent(delivery: Delivery, now: datetime) -> bool:
    """Less than half a lease is left: past that, a stall (a busy machine, a slow write) could
    outlast the claim while an e-mail is on its way, and another worker would send it too. Half
    of the lease, not of what was left when the claim began: a claim that began late (its read
    was slow) must not keep sending into its last instants."""
    if delivery.claimed_until is None or delivery.lease is None:
        return False
    return delivery.claimed_until - now < delivery.lease / 2


def _deferred(deliveries: Sequence[Delivery], reason: str, until: datetime) -> list[Outcome]:
    return [DeliveryDeferred(reason, until=until) for _ in deliveries]


@dataclass(frozen=True)
class _Letter:
    """What an invitation e-mail needs, read for a whole claim in one query."""

    id: int
    batch_id: int
    state: InvitationState
    nonce: str
    email: str
    display_name: str
    username: str
    platform: PlatformChoice
    expires_at: datetime
    # The batch's language (None: LANGUAGE).
    language: str | None


# What the invitation e-mails of a batch share: language, platform, expiry.
_Shared = tuple[str | None, PlatformChoice, datetime]

# Built once, with expanding parameters, so SQLAlchemy compiles each of them once.
_LETTERS = (
    select(
        *(getattr(Invitation, name) for name in _Letter.__dataclass_fields__ if name != "language"),
        InvitationBatch.language,
    )
    .join(InvitationBatch, InvitationBatch.id == Invitation.batch_id)
    .where(Invitation.id.in_(bindparam("ids", expanding=True)))
)
# The table, not the mapped class: an ORM update costs several times the statement itself.
_INVITATIONS = cast(Table, Invitation.__table__)
# By primary key (`ids`), and only while the invitation still has the link that was sent.
_MARK_SENT = (
    update(_INVITATIONS)
    .where(
        _INVITATIONS.c.id.in_(bindparam("ids", expanding=True)),
        tuple_(_INVITATIONS.c.id, _INVITATIONS.c.nonce).in_(bindparam("sent", expanding=True)),
        _INVITATIONS.c.state == InvitationState.QUEUED,
    )
    .values(state=InvitationState.SENT, sent_at=bindparam("now"))
)
_MARK_ONE_SENT = (
    update(_INVITATIONS)
    .where(
        _INVITATIONS.c.id == bindparam("invitation_id"),
        _INVITATIONS.c.nonce == bindparam("link_nonce"),
        _INVITATIONS.c.state == InvitationState.QUEUED,
    )
    .values(state=InvitationState.SENT, sent_at=bindparam("now"))
)


@dataclass(frozen=True)
class EnrollmentDelivery:
    db: Database
    clock: Clock
    mailer: Mailer
    renderer: MailRenderer
    tokens: LinkTokens
    links: EnrollmentLinks
    per_licence: int
    # How many invitation e-mails one outbox claim takes (see CLAIM_SIZE); the worker's default
    # when the relay is paced, where the relay is the bottleneck and a thread holding 100 rows
    # would keep them from the other replicas' connections.
    claim_size: int | None = CLAIM_SIZE
    # Shared by the outbox threads: a stencil is filled by any of them (see Stencil).
    _stencils: dict[_Shared, Stencil] = field(default_factory=dict, init=False, repr=False, compare=False)

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            EnrollJob.INVITATION_EMAIL: OutboxHandler(
                self.send_invitation,
                gave_up=self.invitation_failed,
                deliver_many=self.send_invitations,
                claim_size=self.claim_size,
            ),
        }

    # --- e-mail ---------------------------------------------------------------------------

    def send_invitation(self, delivery: Delivery) -> None:
        [failed] = self.send_invitations([delivery])
        if failed is not None:
            raise failed

    def send_invitations(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        """The invitation e-mails of one claim: read together, sent one by one, each recorded as
        sent as soon as the SMTP server accepted it, and the batch's bookkeeping done once for
        the claim. A crash repeats at most the e-mail each outbox thread had on its way: the
        instant between the server's answer and that record cannot be closed from this side
        (the repeat carries the same Message-ID and link)."""
        ids = [int(delivery.payload["invitation_id"]) for delivery in deliveries]
        with self.db.read() as session:
            letters = {row.id: _Letter(**row._asdict()) for row in session.execute(_LETTERS, {"ids": ids})}
        with self.db.records() as record:
            return self._send_claim(deliveries, ids, letters, record)

    def _send_claim(
        self,
        deliveries: Sequence[Delivery],
        ids: Sequence[int],
        letters: dict[int, _Letter],
        record: Record,
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        sent: list[_Letter] = []
        for index, (delivery, invitation_id) in enumerate(zip(deliveries, ids, strict=True)):
            letter = letters.get(invitation_id)
            if letter is None or letter.state is not InvitationState.QUEUED:
                outcomes.append(None)  # revoked, resent with a newer link, or already sent
                continue
            if _claim_half_spent(delivery, self.clock.now()):
                # Paced sending is slow: the rest goes back in line before this claim's lease ends.
                outcomes += _deferred(deliveries[index:], "its turn comes in a later claim", self.clock.now())
                break
            try:
                self.mailer.send(self._email(letter))
            except MailDeferred as deferred:
                until = deferred.until or self.clock.now()
                outcomes += _deferred(deliveries[index:], str(deferred), until)
                self._record_sent(sent)
                sent = []
                if deferred.reason in BATCH_PAUSES:
                    self._relay_paused(until)
                break
            except MailError as error:
                if error.permanent:
                    outcomes.append(DeliveryFailed(str(error), permanent=True))
                    continue
                self._record_sent(sent)  # before the batch is held, as it was sent before that
                sent = []
                self._hold_batch(letter.batch_id, str(error), wait=backoff(delivery.attempt))
                outcomes.append(
                    DeliveryFailed(str(error), retry_after=backoff(delivery.attempt).total_seconds())
                )
                continue
            # Recorded at once, so a crash does not send it again; `_record_sent` writes it again.
            record(
                _MARK_ONE_SENT,
                {"invitation_id": letter.id, "link_nonce": letter.nonce, "now": self.clock.now()},
            )
            sent.append(letter)
            outcomes.append(None)
        self._record_sent(sent)
        return outcomes

    def _relay_paused(self, until: datetime) -> None:
        """Every invitation e-mail waits for the pause to end (rather than being claimed and put
        back one claim at a time), and the cards of batches under way say why."""
        now = self.clock.now()
        with self.db.transaction() as session:
            postpone_kind(session, kind=EnrollJob.INVITATION_EMAIL, until=until)
            under_way = session.scalars(
                select(InvitationBatch.id).where(
                    InvitationBatch.state.in_([BatchState.SENDING, BatchState.WAITING])
                )
            ).all()
            for batch_id in under_way:
                refresh_batch_card(session, batch_id, now=now, paused_until=until)

    def _email(self, letter: _Letter) -> OutgoingEmail:
        """The letter's e-mail, from the one rendering of its batch's language, platform and
        expiry that every claim of the batch fills in."""
        shared = (letter.language, letter.platform, letter.expires_at)
        stencil = self._stencils.get(shared)
        if stencil is None:
            if len(self._stencils) >= STENCILS_KEPT:
                self._stencils.clear()  # batches long done; the few under way render theirs again
            stencil = self._stencils[shared] = self.renderer.stencil(
                "enrollment_invitation",
                context=self.links.batch_context(letter.platform, letter.expires_at),
                personal=PERSONAL_VALUES,
                language=letter.language,
            )
        token = self.tokens.token(INVITATION, letter.nonce)
        email = stencil.email(
            letter.email,
            self.links.personal_context(token, display_name=letter.display_name, username=letter.username),
            message_id=f"invitation-{letter.id}-{letter.nonce}",
        )
        return invitation_with_qr(email, self.links.landing_url(token))

    def _record_sent(self, letters: Sequence[_Letter]) -> None:
        """Invitations whose e-mail went out: sent (unless resent with a new link meanwhile; a
        no-op for those already recorded one by one), and each batch they belong to sending
        again, or done."""
        if not letters:
            return
        now = self.clock.now()
        with self.db.transaction() as session:
            for batch_id in sorted({letter.batch_id for letter in letters}):
                # Locked first, so that two threads finishing a batch's last claims at the same
                # moment cannot each count the other's invitations as still queued.
                batch = session.get(InvitationBatch, batch_id, with_for_update=True)
                mine = [letter for letter in letters if letter.batch_id == batch_id]
                session.execute(
                    _MARK_SENT,
                    {"ids": [m.id for m in mine], "sent": [(m.id, m.nonce) for m in mine], "now": now},
                )
                if batch is not None:
                    if batch.state is BatchState.WAITING:
                        batch.state, batch.problem = BatchState.SENDING, None
                    finish_if_done(session, batch, now=now)

    def _hold_batch(self, batch_id: int, problem: str, *, wait: timedelta) -> None:
        """Mail cannot go out (e.g. the SMTP login is refused): the batch waits instead of
        trying every invitation against a server that will refuse them all."""
        now = self.clock.now()
        with self.db.transaction() as session:
            batch = session.get(InvitationBatch, batch_id)
            if batch is None:
                return
            changed = batch.state is not BatchState.WAITING or batch.problem != problem
            batch.state, batch.problem = BatchState.WAITING, problem[:1000]
            postpone_group(session, group_key=batch_group(batch_id), until=now + wait)
            if changed:
                refresh_batch_card(session, batch_id, now=now)

    def invitation_failed(self, delivery: Delivery, reason: str) -> None:
        invitation_id = int(delivery.payload["invitation_id"])
        now = self.clock.now()
        with self.db.transaction() as session:
            invitation = session.get(Invitation, invitation_id)
            if invitation is None or invitation.state is not InvitationState.QUEUED:
                return
            invitation.state = InvitationState.FAILED
            invitation.failure = reason[:1000]
            batch = session.get(InvitationBatch, invitation.batch_id, with_for_update=True)
            if batch is not None:
                finish_if_done(session, batch, now=now)
