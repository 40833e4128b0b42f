"""Cards: messages about one domain object (a user, a batch, an approval request), posted once per
place and then kept up to date in place with chat.update as the object changes. The one
mechanism for every message deskops updates in place; where a card was posted is remembered by a
`CardPlaces` (the posted_messages table, or the approval request's own columns)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from sqlalchemy import delete, select

from bot.clock import Clock
from bot.db import Database
from bot.slack.models import PostedMessage
from bot.slack.posting import Posted, delivery_failure, post_or_dm, update_message


@dataclass(frozen=True)
class Rendered:
    blocks: Sequence[Block]
    text: str

    def same_as(self, other: Rendered) -> bool:
        return self.text == other.text and _dicts(self.blocks) == _dicts(other.blocks)


def _dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


# Renders the card as it is now; the argument is the headline it was first posted with (for an
# object with several kinds of card, which kind it is).
Render = Callable[[str | None], Rendered]


@dataclass(frozen=True)
class Place:
    id: int
    channel: str
    ts: str
    headline: str | None


class CardPlaces(Protocol):
    def remember(self, subject_id: int, posted: Posted, headline: str | None) -> None: ...

    def places(self, subject_id: int) -> list[Place]: ...

    def forget(self, place_ids: Sequence[int]) -> None:
        """The messages are gone (deleted, or their channel archived)."""


@dataclass(frozen=True)
class PostedMessages:
    """Cards remembered in the posted_messages table, by subject type and id."""

    db: Database
    clock: Clock
    subject_type: str

    def remember(self, subject_id: int, posted: Posted, headline: str | None) -> None:
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

    def places(self, subject_id: int) -> list[Place]:
        with self.db.read() as session:
            rows = session.execute(
                select(PostedMessage.id, PostedMessage.channel, PostedMessage.ts, PostedMessage.headline)
                .where(
                    PostedMessage.subject_type == self.subject_type, PostedMessage.subject_id == subject_id
                )
                .order_by(PostedMessage.id)
            ).all()
        return [Place(int(i), str(channel), str(ts), headline) for i, channel, ts, headline in rows]

    def forget(self, place_ids: Sequence[int]) -> None:
        if place_ids:
            with self.db.transaction() as session:
                session.execute(delete(PostedMessage).where(PostedMessage.id.in_(place_ids)))


@dataclass(frozen=True)
class Cards:
    slack: WebClient
    store: CardPlaces

    @classmethod
    def in_table(cls, db: Database, slack: WebClient, clock: Clock, subject_type: str) -> Cards:
        return cls(slack, PostedMessages(db, clock, subject_type))

    def post(
        self,
        subject_id: int,
        *,
        channel: str,
        fallback_user: str | None,
        render: Render,
        headline: str | None = None,
        once: bool = False,
    ) -> None:
        """Post the card (to the person directly if the bot is not in the channel) and remember it.
        With `once`, a card of this headline already posted (by an attempt that failed only
        afterwards) is not posted again."""
        if once and any(p.headline == headline for p in self.store.places(subject_id)):
            return
        first = render(headline)
        posted = post_or_dm(
            self.slack, channel=channel, fallback_user=fallback_user, blocks=first.blocks, text=first.text
        )
        self.store.remember(subject_id, posted, headline)
        # The object may have changed while we were posting; bring the card up to date once more.
        latest = render(headline)
        if not latest.same_as(first):
            update_message(
                self.slack, channel=posted.channel, ts=posted.ts, blocks=latest.blocks, text=latest.text
            )

    def refresh(self, subject_id: int, render: Render) -> None:
        """Update every card of the object in place; forget those that are gone."""
        rendered: dict[str | None, Rendered] = {}
        gone = []
        for place in self.store.places(subject_id):
            card = rendered.setdefault(place.headline, render(place.headline))
            if not update_message(
                self.slack, channel=place.channel, ts=place.ts, blocks=card.blocks, text=card.text
            ):
                gone.append(place.id)
        self.store.forget(gone)

    def posted(self, subject_id: int) -> list[tuple[int, str, str]]:
        """(card id, channel, ts) of every card of the object that is still known."""
        return [(p.id, p.channel, p.ts) for p in self.store.places(subject_id)]

    def reply(self, *, channel: str, ts: str, text: str) -> None:
        """A line in the card's thread (follow-ups go there instead of new top-level posts)."""
        try:
            self.slack.chat_postMessage(channel=channel, thread_ts=ts, text=text, unfurl_links=False)
        except SlackApiError as error:
            if error.response.get("error") in ("message_not_found", "channel_not_found", "thread_not_found"):
                return
            raise delivery_failure(error, what="replying in the card's thread") from None
