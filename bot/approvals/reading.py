"""An approval request as the Slack layer needs it: its summary, and where its two messages (to
the approvers, to the requester) were posted, kept on the request itself. Each function is its
own transaction."""

from __future__ import annotations

from dataclasses import dataclass

from bot.approvals.service import get_request
from bot.approvals.summary import ApprovalSummary, summarize
from bot.db import Database


@dataclass(frozen=True)
class RequestMessages:
    """(channel, ts) of the approvers' message and of the requester's, None until posted."""

    approvers: tuple[str, str] | None
    requester: tuple[str, str] | None


def request_summary(db: Database, request_id: int, *, approvals_channel: str | None) -> ApprovalSummary:
    with db.read() as session:
        return summarize(session, get_request(session, request_id), approvals_channel=approvals_channel)


def request_messages(db: Database, request_id: int) -> RequestMessages:
    with db.read() as session:
        request = get_request(session, request_id)
        approvers = (request.channel, request.ts) if request.channel and request.ts else None
        requester = (
            (request.requester_channel, request.requester_ts)
            if request.requester_channel and request.requester_ts
            else None
        )
        return RequestMessages(approvers=approvers, requester=requester)


def record_message(db: Database, request_id: int, *, to_requester: bool, channel: str, ts: str) -> None:
    with db.transaction() as session:
        request = get_request(session, request_id)
        if to_requester:
            request.requester_channel, request.requester_ts = channel, ts
        else:
            request.channel, request.ts = channel, ts
