"""Cards: messages about one domain object (a user, a batch, a request), posted once per channel
and then kept up to date in place with chat.update as the object changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from sqlalchemy import delete, select

from bot.clock import Clock
from bot.db import Database
from bot.slack.models import PostedMessage
from bot.slack.posting import delivery_failure, post_or_dm, update_message


@dataclass(frozen=True)
class Rendered:
    blocks: Sequence[Block]
    text: str

    def same_as(self, other: Rendered) -> bool:
        return self.text == other.text and _dicts(self.blocks) == _dicts(other.blocks)


def _dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


# Renders the card as it is now; the argument is the headline it was first posted with.
Render = Callable[[str | None], Rendered]


@dataclass(frozen=True)
class Cards:
    db: Database
    slack: WebClient
    clock: Clock
    subject_type: str

    def post(
        self,
        subject_id: int,
        *,
        channel: str,
        fallback_user: str | None,
        render: Render,
        headline: str | None = None,
    ) -> None:
        """Post the card (to the person directly if the bot is not in the channel) and remember it."""
        first = render(headline)
        posted = post_or_dm(
            self.slack, channel=channel, fallback_user=fallback_user, blocks=first.blocks, text=first.text
        )
        with self.db.transaction() as session:
            session.add(
                PostedMessage(
                    subject_type=self.subject_type,
                    subject_id=subject_id,
                    channel=posted.channel,
                    ts=posted.ts,
                    headline=headline,
                    created_at=self.clock.now(),
                )
            )
        # The object may have changed while we were posting; bring the card up to date once more.
        latest = render(headline)
        if not latest.same_as(first):
            update_message(
                self.slack, channel=posted.channel, ts=posted.ts, blocks=latest.blocks, text=latest.text
            )

    def refresh(self, subject_id: int, render: Render) -> None:
        """Update every card of the object in place; forget those that are gone."""
        with self.db.read() as session:
            cards = session.execute(
                select(
                    PostedMessage.id, PostedMessage.channel, PostedMessage.ts, PostedMessage.headline
                ).where(
                    PostedMessage.subject_type == self.subject_type, PostedMessage.subject_id == subject_id
                )
            ).all()
        rendered: dict[str | None, Rendered] = {}
        gone = []
        for card_id, channel, ts, headline in cards:
            card = rendered.setdefault(headline, render(headline))
            if not update_message(self.slack, channel=channel, ts=ts, blocks=card.blocks, text=card.text):
                gone.append(card_id)
        if gone:
            with self.db.transaction() as session:
                session.execute(delete(PostedMessage).where(PostedMessage.id.in_(gone)))

    def posted(self, subject_id: int) -> list[tuple[int, str, str]]:
        """(card id, channel, ts) of every card of the object that is still known."""
        with self.db.read() as session:
            rows = session.execute(
                select(PostedMessage.id, PostedMessage.channel, PostedMessage.ts)
                .where(
                    PostedMessage.subject_type == self.subject_type, PostedMessage.subject_id == subject_id
                )
                .order_by(PostedMessage.id)
            ).all()
        return [(int(card_id), str(channel), str(ts)) for card_id, channel, ts in rows]

    def reply(self, *, channel: str, ts: str, text: str) -> None:
        """A line in the card's thread (follow-ups go there instead of new top-level posts)."""
        try:
            self.slack.chat_postMessage(channel=channel, thread_ts=ts, text=text, unfurl_links=False)
        except SlackApiError as error:
            if error.response.get("error") in ("message_not_found", "channel_not_found", "thread_not_found"):
                return
            raise delivery_failure(error, what="replying in the card's thread") from None
