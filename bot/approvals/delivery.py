"""Outbox handlers of approvals: post the request, tell the requester, update both in place, reply
in the request's thread."""

from __future__ import annotations

from dataclasses import dataclass

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
from bot.approvals.service import ApprovalJob, ThreadNote, get_request
from bot.approvals.summary import ApprovalSummary, summarize
from bot.clock import Clock
from bot.db import Database
from bot.outbox.worker import Delivery, DeliveryFailed, OutboxHandler
from bot.slack.posting import delivery_failure, post_or_dm, update_message


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

    def _summary(self, request_id: int) -> ApprovalSummary:
        with self.db.read() as session:
            return summarize(
                session, get_request(session, request_id), approvals_channel=self.approvals_channel
            )

    def post_request(self, delivery: Delivery) -> None:
        request_id = int(delivery.payload["request_id"])
        channel = str(delivery.payload["channel"])
        with self.db.read() as session:
            if get_request(session, request_id).ts is not None:
                return  # posted by an earlier attempt that failed only afterwards
        summary = self._summary(request_id)
        posted = post_or_dm(
            self.slack,
            channel=channel,
            fallback_user=None,
            blocks=approval_message(summary),
            text=approval_text(summary),
        )
        with self.db.transaction() as session:
            request = get_request(session, request_id)
            request.channel, request.ts = posted.channel, posted.ts
        # Decided while we were posting? Then the refresh found no message yet: update it now.
        latest = self._summary(request_id)
        if latest != summary:
            update_message(
                self.slack,
                channel=posted.channel,
                ts=posted.ts,
                blocks=approval_message(latest),
                text=approval_text(latest),
            )

    def tell_requester(self, delivery: Delivery) -> None:
        request_id = int(delivery.payload["request_id"])
        with self.db.read() as session:
            if get_request(session, request_id).requester_ts is not None:
                return
        summary = self._summary(request_id)
        posted = post_or_dm(
            self.slack,
            channel=summary.requester,
            fallback_user=None,
            blocks=requester_message(summary),
            text=requester_text(summary),
        )
        with self.db.transaction() as session:
            request = get_request(session, request_id)
            request.requester_channel, request.requester_ts = posted.channel, posted.ts
        latest = self._summary(request_id)
        if latest != summary:
            update_message(
                self.slack,
                channel=posted.channel,
                ts=posted.ts,
                blocks=requester_message(latest),
                text=requester_text(latest),
            )

    def refresh(self, delivery: Delivery) -> None:
        request_id = int(delivery.payload["request_id"])
        summary = self._summary(request_id)
        with self.db.read() as session:
            request = get_request(session, request_id)
            places = [(request.channel, request.ts), (request.requester_channel, request.requester_ts)]
        for index, (channel, ts) in enumerate(places):
            if channel is None or ts is None:
                continue  # not posted yet: it will be posted as it is now
            blocks = approval_message(summary) if index == 0 else requester_message(summary)
            text = approval_text(summary) if index == 0 else requester_text(summary)
            update_message(self.slack, channel=channel, ts=ts, blocks=blocks, text=text)

    def reply_in_thread(self, delivery: Delivery) -> None:
        request_id = int(delivery.payload["request_id"])
        note = ThreadNote(str(delivery.payload["note"]))
        summary = self._summary(request_id)
        with self.db.read() as session:
            request = get_request(session, request_id)
            channel, ts = request.channel, request.ts
        if channel is None or ts is None:
            raise DeliveryFailed("waiting for the approval request to be posted first")
        if note is ThreadNote.REMINDER and summary.state.is_open is False:
            return  # decided since: no reminder needed
        text = (
            decided_reply(summary) if note is ThreadNote.DECIDED else reminder_reply(summary, self.approvers)
        )
        try:
            self.slack.chat_postMessage(channel=channel, thread_ts=ts, text=text, unfurl_links=False)
        except SlackApiError as error:
            raise delivery_failure(error, what="replying in the request's thread") from None
