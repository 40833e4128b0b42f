"""Outbox handler of reminders: post one reminder message to HELPDESK_CHANNEL."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from blocks.reminders import reminder_message, reminder_text
from bot.db import Database
from bot.outbox.handlers import Delivery, OutboxHandler
from bot.reminders.service import ReminderJob, all_posted, record_posted, reminders_to_post
from bot.slack.posting import post_or_dm


@dataclass(frozen=True)
class ReminderDelivery:
    db: Database
    slack: WebClient
    window_hours: int
    pending_days: int

    def handlers(self) -> dict[str, OutboxHandler]:
        return {ReminderJob.POST: OutboxHandler(self.post_reminders)}

    def post_reminders(self, delivery: Delivery) -> None:
        ids = [int(i) for i in delivery.payload["reminder_ids"]]
        channel = str(delivery.payload["channel"])
        with self.db.read() as session:
            if all_posted(session, ids):
                return  # posted by an earlier attempt that failed only afterwards
            post = reminders_to_post(session, ids)
        if not post.invitations and not post.users:
            return  # nothing left to remind about (deleted meanwhile)
        posted = post_or_dm(
            self.slack,
            channel=channel,
            fallback_user=None,
            blocks=reminder_message(
                post.invitations, post.users, window_hours=self.window_hours, pending_days=self.pending_days
            ),
            text=reminder_text(post.invitations, post.users),
        )
        with self.db.transaction() as session:
            record_posted(session, ids, channel=posted.channel, ts=posted.ts)
