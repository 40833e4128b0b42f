"""Outbox handlers of approvals: post the request to the approvers, tell the requester, update both
in place (as cards, remembered on the request itself), reply in the request's thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.approvals import (
    approval_message,
    approval_text,
    decided_reply,
    reminder_reply,
    requester_message,
    requester_text,
)
from bot.approvals.reading import record_message, request_messages, request_summary
from bot.approvals.service import ApprovalJob, ThreadNote
from bot.clock import Clock
from bot.db import Database
from bot.outbox.handlers import Delivery, DeliveryFailed, OutboxHandler
from bot.slack.cards import Cards, Place, Render, Rendered
from bot.slack.posting import Posted, delivery_failure


class Audience(StrEnum):
    """The two cards of a request (the headline they are posted with)."""

    APPROVERS = "approvers"
    REQUESTER = "requester"


@dataclass(frozen=True)
class RequestPlaces:
    """Where a request's cards are: its own columns. A card that is gone is not forgotten: its
    thread is still where replies about the request belong."""

    db: Database

    def remember(self, subject_id: int, posted: Posted, headline: str | None) -> None:
        to_requester = headline == Audience.REQUESTER
        record_message(self.db, subject_id, to_requester=to_requester, channel=posted.channel, ts=posted.ts)

    def places(self, subject_id: int) -> list[Place]:
        messages = request_messages(self.db, subject_id)
        found = []
        for index, (audience, where) in enumerate(
            ((Audience.APPROVERS, messages.approvers), (Audience.REQUESTER, messages.requester))
        ):
            if where is not None:
                found.append(Place(index, where[0], where[1], audience.value))
        return found

    def forget(self, place_ids: Sequence[int]) -> None:
        return None


@dataclass(frozen=True)
class ApprovalDelivery:
    db: Database
    clock: Clock
    slack: WebClient
    approvals_channel: str | None
    approvers: tuple[str, ...]

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            ApprovalJob.POST: OutboxHandler(self.post_request),
            ApprovalJob.REQUESTER_DM: OutboxHandler(self.tell_requester),
            ApprovalJob.REFRESH: OutboxHandler(self.refresh),
            ApprovalJob.THREAD: OutboxHandler(self.reply_in_thread),
        }

    @property
    def cards(self) -> Cards:
        return Cards(self.slack, RequestPlaces(self.db))

    def _render(self, request_id: int) -> Render:
        def render(headline: str | None) -> Rendered:
            summary = request_summary(self.db, request_id, approvals_channel=self.approvals_channel)
            if headline == Audience.REQUESTER:
                return Rendered(requester_message(summary), requester_text(summary))
            return Rendered(approval_message(summary), approval_text(summary))

        return render

    def post_request(self, delivery: Delivery) -> None:
        request_id = int(delivery.payload["request_id"])
        self.cards.post(
            request_id,
            channel=str(delivery.payload["channel"]),
            fallback_user=None,
            render=self._render(request_id),
            headline=Audience.APPROVERS,
            once=True,
        )

    def tell_requester(self, delivery: Delivery) -> None:
        request_id = int(delivery.payload["request_id"])
        if request_messages(self.db, request_id).requester is not None:
            return  # posted by an earlier attempt that failed only afterwards
        summary = request_summary(self.db, request_id, approvals_channel=self.approvals_channel)
        self.cards.post(
            request_id,
            channel=summary.requester,
            fallback_user=None,
            render=self._render(request_id),
            headline=Audience.REQUESTER,
        )

    def refresh(self, delivery: Delivery) -> None:
        request_id = int(delivery.payload["request_id"])
        self.cards.refresh(request_id, self._render(request_id))

    def reply_in_thread(self, delivery: Delivery) -> None:
        request_id = int(delivery.payload["request_id"])
        note = ThreadNote(str(delivery.payload["note"]))
        summary = request_summary(self.db, request_id, approvals_channel=self.approvals_channel)
        where = request_messages(self.db, request_id).approvers
        if where is None:
            raise DeliveryFailed("waiting for the approval request to be posted first")
        if note is ThreadNote.REMINDER and summary.state.is_open is False:
            return  # decided since: no reminder needed
        text = (
            decided_reply(summary) if note is ThreadNote.DECIDED else reminder_reply(summary, self.approvers)
        )
        try:
            self.slack.chat_postMessage(channel=where[0], thread_ts=where[1], text=text, unfurl_links=False)
        except SlackApiError as error:
            raise delivery_failure(error, what="replying in the request's thread") from None
