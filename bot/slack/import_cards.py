"""The import's progress card: posted when **Import** is pressed, then updated in place as rows
are created (outbox kinds accounts.import_card and accounts.import_card_refresh)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from blocks.backup.imports import import_card, import_card_text
from bot.accounts.import_models import UserImport
from bot.accounts.user_imports import ImportJob, settle_import
from bot.clock import Clock
from bot.db import Database
from bot.outbox.handlers import Delivery, OutboxHandler
from bot.slack.cards import Cards, Render, Rendered

IMPORT_SUBJECT = "user_import"


@dataclass(frozen=True)
class ImportCards:
    db: Database
    clock: Clock
    slack: WebClient

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            ImportJob.CARD: OutboxHandler(self.post_import_card),
            ImportJob.CARD_REFRESH: OutboxHandler(self.refresh_import_card),
        }

    @property
    def cards(self) -> Cards:
        return Cards.in_table(self.db, self.slack, self.clock, IMPORT_SUBJECT)

    def post_import_card(self, delivery: Delivery) -> None:
        import_id = int(delivery.payload["import_id"])
        with self.db.read() as session:
            prepared = session.get(UserImport, import_id)
            channel = prepared.channel_id if prepared else None
        if channel is not None:
            self.cards.post(
                import_id,
                channel=channel,
                fallback_user=delivery.payload.get("requester"),
                render=self._render(import_id),
                once=True,
            )

    def refresh_import_card(self, delivery: Delivery) -> None:
        import_id = int(delivery.payload["import_id"])
        self.cards.refresh(import_id, self._render(import_id))

    def _render(self, import_id: int) -> Render:
        def render(_: str | None) -> Rendered:
            with self.db.transaction() as session:
                progress = settle_import(session, import_id, now=self.clock.now())
            return Rendered(import_card(progress), import_card_text(progress))

        return render
