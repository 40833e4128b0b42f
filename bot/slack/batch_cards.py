"""The invitation batch's progress card: posted once, then kept up to date in place as mail goes
out (sent / queued / paused, a progress bar, the expected finish, why sending waits)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from blocks.enroll.messages import batch_card, batch_card_text
from bot.clock import Clock
from bot.db import Database
from bot.enrollment.batch_progress import BatchProgress, batch_progress
from bot.enrollment.jobs import EnrollJob
from bot.enrollment.models import BatchState, InvitationBatch
from bot.enrollment.progress import SendingOutlook, sending_outlook
from bot.enrollment.summary import summarize_batch
from bot.mailrelay.pacing import RelayOutlook, RelayPacer
from bot.outbox.handlers import Delivery, OutboxHandler
from bot.slack.cards import Cards, Render, Rendered

BATCH_SUBJECT = "invitation_batch"


@dataclass(frozen=True)
class BatchCards:
    db: Database
    clock: Clock
    slack: WebClient
    per_licence: int
    zone: ZoneInfo
    relay: RelayPacer | None = None

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            EnrollJob.BATCH_CARD: OutboxHandler(self.post_batch_card),
            EnrollJob.BATCH_REFRESH: OutboxHandler(self.refresh_batch_cards),
        }

    @property
    def cards(self) -> Cards:
        return Cards.in_table(self.db, self.slack, self.clock, BATCH_SUBJECT)

    def post_batch_card(self, delivery: Delivery) -> None:
        batch_id = int(delivery.payload["batch_id"])
        with self.db.read() as session:
            batch = session.get(InvitationBatch, batch_id)
            channel = batch.channel_id if batch else None
        if channel is not None:
            self.cards.post(
                batch_id,
                channel=channel,
                fallback_user=delivery.payload.get("requester"),
                render=self._render(batch_id),
            )

    def refresh_batch_cards(self, delivery: Delivery) -> None:
        batch_id = int(delivery.payload["batch_id"])
        self.cards.refresh(batch_id, self._render(batch_id))

    def _render(self, batch_id: int) -> Render:
        def render(_: str | None) -> Rendered:
            relay = self.relay.outlook() if self.relay is not None else None
            with self.db.read() as session:
                progress = batch_progress(session, batch_id, per_licence=self.per_licence)
                summary = summarize_batch(progress, self._outlook(progress, relay))
            return Rendered(batch_card(summary), batch_card_text(summary))

        return render

    def _outlook(self, progress: BatchProgress, relay: RelayOutlook | None) -> SendingOutlook | None:
        if progress.batch.state not in (BatchState.SENDING, BatchState.WAITING):
            return None
        return sending_outlook(
            now=self.clock.now(),
            zone=self.zone,
            queued=progress.queued,
            sent=progress.sent,
            started=progress.batch.created_at,
            relay=relay,
        )
