"""What the Slack layer reads about invitation batches to render them, each in its own read
transaction."""

from __future__ import annotations

from bot.db import Database
from bot.enrollment.batch_progress import batch_progress
from bot.enrollment.models import InvitationBatch
from bot.enrollment.summary import BatchSummary, summarize_batch


def batch_card_summary(db: Database, batch_id: int, *, per_licence: int) -> BatchSummary:
    with db.read() as session:
        return summarize_batch(batch_progress(session, batch_id, per_licence=per_licence))


def batch_channel(db: Database, batch_id: int) -> str | None:
    """Where the batch's progress card goes (the channel /enroll invite was typed in), if anywhere."""
    with db.read() as session:
        batch = session.get(InvitationBatch, batch_id)
        return batch.channel_id if batch else None
