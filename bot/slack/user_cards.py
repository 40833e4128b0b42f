"""The backup user's card: posted to each channel a change is announced in, then kept up to date
in place (outbox kinds accounts.user_card and accounts.user_card_refresh)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from blocks.backup.card import follow_up_text, user_card, user_card_text
from bot.accounts.jobs import AccountJob, CardHeadline, FollowUp, user_cards
from bot.accounts.reading import user_card_summary
from bot.clock import Clock
from bot.db import Database
from bot.outbox.handlers import Delivery, OutboxHandler
from bot.outbox.service import enqueue
from bot.slack.cards import Cards, Render, Rendered

CARD_SUBJECT = "backup_user"


@dataclass(frozen=True)
class UserCards:
    db: Database
    clock: Clock
    slack: WebClient

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            AccountJob.USER_CARD: OutboxHandler(self.post_user_card),
            AccountJob.USER_CARD_REFRESH: OutboxHandler(self.refresh_user_cards),
            AccountJob.CARD_FOLLOW_UP: OutboxHandler(self.follow_up),
            AccountJob.CARD_THREAD_REPLY: OutboxHandler(self.thread_reply),
        }

    @property
    def cards(self) -> Cards:
        return Cards.in_table(self.db, self.slack, self.clock, CARD_SUBJECT)

    def _render(self, user_id: int) -> Render:
        def render(headline: str | None) -> Rendered:
            summary = user_card_summary(self.db, user_id)
            return Rendered(
                user_card(summary, headline=headline or CardHeadline.CREATED), user_card_text(summary)
            )

        return render

    def follow_up(self, delivery: Delivery) -> None:
        """One reply job per card of the user, each done once; a user without a card gets one
        where the change was made, when the change asks for that."""
        user_id = int(delivery.payload["user_id"])
        posted = self.cards.posted(user_id)
        fallback = delivery.payload.get("card_if_none")
        with self.db.transaction() as session:
            for card_id, channel, ts in posted:
                enqueue(
                    session,
                    kind=AccountJob.CARD_THREAD_REPLY,
                    payload={**delivery.payload, "channel": channel, "ts": ts},
                    now=self.clock.now(),
                    dedupe_key=f"card-reply:{delivery.id}:{card_id}",
                )
            if posted or not fallback:
                return
            for card in user_cards(
                user_id,
                channels=[str(c) for c in fallback["channels"]],
                headline=CardHeadline(str(fallback["headline"])),
                actor=str(delivery.payload["actor"]),
                change_key=f"follow-up:{delivery.id}",
            ):
                enqueue(
                    session,
                    kind=card.kind,
                    payload=card.payload,
                    now=self.clock.now(),
                    dedupe_key=card.dedupe_key,
                )

    def thread_reply(self, delivery: Delivery) -> None:
        change = FollowUp(str(delivery.payload["change"]))
        text = follow_up_text(change, actor=str(delivery.payload["actor"]))
        self.cards.reply(channel=str(delivery.payload["channel"]), ts=str(delivery.payload["ts"]), text=text)

    def post_user_card(self, delivery: Delivery) -> None:
        user_id = int(delivery.payload["user_id"])
        self.cards.post(
            user_id,
            channel=str(delivery.payload["channel"]),
            fallback_user=delivery.payload.get("requester"),
            render=self._render(user_id),
            headline=str(delivery.payload.get("headline") or CardHeadline.CREATED),
        )

    def refresh_user_cards(self, delivery: Delivery) -> None:
        user_id = int(delivery.payload["user_id"])
        self.cards.refresh(user_id, self._render(user_id))
