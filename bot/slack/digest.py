"""Outbox handler of the digest: collect it for its period and post it to DIGEST_CHANNEL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from slack_sdk import WebClient

from blocks.digest import digest_message, digest_text
from bot.db import Database
from bot.digest.service import Digest, DigestJob, collect_digest
from bot.outbox.handlers import Delivery, OutboxHandler
from bot.slack.posting import Posted, post_or_dm


@dataclass(frozen=True)
class DigestDelivery:
    db: Database
    slack: WebClient
    expiring_window: timedelta
    per_licence: int
    timezone: str

    def handlers(self) -> dict[str, OutboxHandler]:
        return {DigestJob.POST: OutboxHandler(self.post_digest)}

    def collect(self, *, day: date, start: datetime, end: datetime) -> Digest:
        with self.db.read() as session:
            return collect_digest(
                session,
                day=day,
                start=start,
                end=end,
                expiring_window=self.expiring_window,
                per_licence=self.per_licence,
                timezone=self.timezone,
            )

    def post(self, digest: Digest, *, channel: str) -> Posted:
        return post_or_dm(
            self.slack,
            channel=channel,
            fallback_user=None,
            blocks=digest_message(digest),
            text=digest_text(digest),
        )

    def post_digest(self, delivery: Delivery) -> None:
        payload = delivery.payload
        digest = self.collect(
            day=date.fromisoformat(str(payload["day"])),
            start=datetime.fromisoformat(str(payload["start"])),
            end=datetime.fromisoformat(str(payload["end"])),
        )
        self.post(digest, channel=str(payload["channel"]))
