"""Approve, Reject and Cancel as a person clicks them: each decision in its own unit of work (the
held action runs inside it, exactly once), answered with what the person is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.approvals.executors import Executors
from bot.approvals.models import ApprovalState
from bot.approvals.service import approve, cancel, check_can_decide, reject
from bot.approvals.summary import ApprovalSummary, summarize
from bot.db import Database


@dataclass(frozen=True)
class Decision:
    """A request as it ended: what it asked, how it ended, and what came of it."""

    summary: str
    state: ApprovalState
    outcome: str | None


@dataclass(frozen=True)
class Decide:
    request_id: int
    # The approver deciding, or the requester cancelling.
    person: str


def approve_request(db: Database, command: Decide, *, executors: Executors, now: datetime) -> Decision:
    with db.transaction() as session:
        request = approve(
            session, request_id=command.request_id, approver=command.person, executors=executors, now=now
        )
        return Decision(request.summary, request.state, request.outcome)


def rejection_form(
    db: Database, command: Decide, *, approvals_channel: str | None, now: datetime
) -> ApprovalSummary:
    """The request a Reject click is about, if the person may decide it (else NotAllowed or
    InvalidState, before the reason is asked for)."""
    with db.read() as session:
        request = check_can_decide(session, request_id=command.request_id, approver=command.person, now=now)
        return summarize(session, request, approvals_channel=approvals_channel)


def reject_request(
    db: Database, command: Decide, *, reason: str, executors: Executors, now: datetime
) -> Decision:
    """FieldErrors under `reason` when none is given: the requester needs to know what to change."""
    with db.transaction() as session:
        request = reject(
            session,
            request_id=command.request_id,
            approver=command.person,
            reason=reason,
            executors=executors,
            now=now,
        )
        return Decision(request.summary, request.state, request.outcome)


def cancel_request(db: Database, command: Decide, *, executors: Executors, now: datetime) -> Decision:
    with db.transaction() as session:
        request = cancel(
            session, request_id=command.request_id, requester=command.person, executors=executors, now=now
        )
        return Decision(request.summary, request.state, request.outcome)
