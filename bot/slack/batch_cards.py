"""An invitation batch's progress card in the channel /enroll invite was typed in, kept up to
date in place (outbox kinds enroll.batch_card and enroll.batch_refresh)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from blocks.enroll.messages import batch_card, batch_card_text
from bot.clock import Clock
from bot.db import Database
from bot.enrollment.jobs import EnrollJob
from bot.enrollment.reading import batch_card_summary, batch_channel
from bot.outbox.worker import Delivery, OutboxHandler
from bot.slack.cards import Cards, Render, Rendered

BATCH_SUBJECT = "invitation_batch"


@dataclass(frozen=True)
class BatchCards:
    db: Database
    clock: Clock
    slack: WebClient
    per_licence: int

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            EnrollJob.BATCH_CARD: OutboxHandler(self.post_batch_card),
            EnrollJob.BATCH_REFRESH: OutboxHandler(self.refresh_batch_cards),
        }

    @property
    def cards(self) -> Cards:
        return Cards.in_table(self.db, self.slack, self.clock, BATCH_SUBJECT)

    def _render(self, batch_id: int) -> Render:
        def render(_: str | None) -> Rendered:
            summary = batch_card_summary(self.db, batch_id, per_licence=self.per_licence)
            return Rendered(batch_card(summary), batch_card_text(summary))

        return render

    def post_batch_card(self, delivery: Delivery) -> None:
        batch_id = int(delivery.payload["batch_id"])
        channel = batch_channel(self.db, batch_id)
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
