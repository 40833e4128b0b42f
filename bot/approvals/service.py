"""Approvals: hold an action as a request, let an approver approve or reject it, let the requester
cancel it, expire it, and remind the approvers while nobody decides.

Plain functions over a session. Posting and updating the Slack messages is queued in the outbox
in the same transaction (handlers in bot/slack/approvals.py). On approval the held action runs
once, in the deciding transaction: the request row is locked (`FOR UPDATE` on PostgreSQL; SQLite
has one writer), so two approvers clicking at the same moment, or a Slack retry, run it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.approvals.executors import Executors
from bot.approvals.fields import REASON_MAX, Field
from bot.approvals.models import ApprovalRequest, ApprovalState
from bot.approvals.policy import approvals_enabled
from bot.audit.service import record
from bot.config import SLACK_USER_ID, Settings
from bot.errors import DomainError, FieldErrors, InvalidState, NotAllowed, NotFound
from bot.once import insert_once
from bot.outbox.service import enqueue

SUMMARY_MAX = 300
DETAIL_MAX = 1000


class ApprovalJob(StrEnum):
    """Outbox kinds of this domain."""

    POST = "approvals.post"  # the request in APPROVALS_CHANNEL
    REQUESTER_DM = "approvals.requester_dm"  # "waiting for approval" to the requester, with Cancel
    REFRESH = "approvals.refresh"  # both messages updated in place
    THREAD = "approvals.thread"  # a reply in the request's thread


class ThreadNote(StrEnum):
    DECIDED = "decided"
    REMINDER = "reminder"


class ApprovalsOff(InvalidState):
    """request_approval was called while APPROVALS_CHANNEL is unset (check needs_approval first)."""


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def request_approval(
    session: Session,
    *,
    settings: Settings,
    kind: str,
    payload: Mapping[str, Any],
    requester: str,
    summary: str,
    now: datetime,
    details: Sequence[tuple[str, str]] = (),
    customer_id: int | None = None,
    channel_id: str | None = None,
    request_key: str | None = None,
) -> ApprovalRequest:
    """Hold an action for approval and queue its message to APPROVALS_CHANNEL (and the requester's
    "waiting for approval" message). The same `request_key` again returns the first request."""
    if not approvals_enabled(settings):
        raise ApprovalsOff("Approvals are off (APPROVALS_CHANNEL is not set).")
    key = request_key or f"{kind}:{uuid.uuid4().hex}"
    existing = session.scalar(select(ApprovalRequest).where(ApprovalRequest.request_key == key))
    if existing is not None:
        return existing
    request = ApprovalRequest(
        kind=kind,
        payload=dict(payload),
        summary=_one_line(summary, SUMMARY_MAX),
        details=[[_one_line(label, 100), value[:DETAIL_MAX]] for label, value in details],
        customer_id=customer_id,
        requester=requester,
        channel_id=channel_id,
        request_key=key,
        state=ApprovalState.PENDING,
        created_at=now,
        expires_at=now + timedelta(hours=settings.approval_expiry_hours),
        reminders_sent=0,
    )
    request, created = insert_once(
        session,
        request,
        lambda: session.scalar(select(ApprovalRequest).where(ApprovalRequest.request_key == key)),
    )
    if not created:  # a concurrent request with the same key got there first: one request
        return request
    _audit(session, request, "approval.requested", actor=requester, now=now)
    enqueue(
        session,
        kind=ApprovalJob.POST,
        payload={"request_id": request.id, "channel": settings.approvals_channel},
        now=now,
        dedupe_key=f"approval-post:{request.id}",
    )
    if SLACK_USER_ID.match(requester):  # not for requests raised by a callback
        enqueue(
            session,
            kind=ApprovalJob.REQUESTER_DM,
            payload={"request_id": request.id},
            now=now,
            dedupe_key=f"approval-dm:{request.id}",
        )
    return request


def get_request(session: Session, request_id: int, *, lock: bool = False) -> ApprovalRequest:
    query = select(ApprovalRequest).where(ApprovalRequest.id == request_id)
    if lock:
        query = query.with_for_update()
    request = session.scalar(query)
    if request is None:
        raise NotFound("That approval request no longer exists.")
    return request


def _ensure_pending(request: ApprovalRequest, *, now: datetime) -> None:
    if request.state is not ApprovalState.PENDING:
        raise InvalidState(f"This request was already {state_words(request.state)}; nothing was changed.")
    if request.expires_at <= now:
        raise InvalidState("This request has expired; ask again if it is still needed.")


def check_can_decide(session: Session, *, request_id: int, approver: str, now: datetime) -> ApprovalRequest:
    """The request, if `approver` may decide it now (they are not its requester; it is pending)."""
    request = get_request(session, request_id)
    if request.requester == approver:
        raise NotAllowed("You asked for this yourself: another approver has to decide.")
    _ensure_pending(request, now=now)
    return request


def approve(
    session: Session, *, request_id: int, approver: str, executors: Executors, now: datetime
) -> ApprovalRequest:
    """Approve and run the held action, exactly once."""
    request = get_request(session, request_id, lock=True)
    if request.requester == approver:
        raise NotAllowed("You asked for this yourself: another approver has to decide.")
    _ensure_pending(request, now=now)
    registered = executors.get(request.kind)
    if registered is None:
        raise InvalidState(f"deskops cannot carry out {request.kind!r} requests; nothing was changed.")
    request.decided_by = approver
    request.decided_at = now
    try:
        with session.begin_nested():
            request.outcome = registered.run(session, request, now=now)
        request.state = ApprovalState.APPROVED
    except DomainError as error:
        request.state = ApprovalState.FAILED
        request.outcome = _error_text(error)
        _run_closed_hook(session, request, executors, now=now)
    _audit(session, request, "approval.approved", actor=approver, now=now, outcome=request.outcome)
    _closed(session, request, now=now)
    return request


def reject(
    session: Session, *, request_id: int, approver: str, reason: str, executors: Executors, now: datetime
) -> ApprovalRequest:
    text = " ".join((reason or "").split())
    if not text:
        raise FieldErrors({Field.REASON: "Say why, so the requester knows what to change."})
    request = get_request(session, request_id, lock=True)
    if request.requester == approver:
        raise NotAllowed("You asked for this yourself: another approver has to decide.")
    _ensure_pending(request, now=now)
    request.state = ApprovalState.REJECTED
    request.decided_by = approver
    request.decided_at = now
    request.reason = text[:REASON_MAX]
    _audit(session, request, "approval.rejected", actor=approver, now=now, outcome=request.reason)
    _run_closed_hook(session, request, executors, now=now)
    _closed(session, request, now=now)
    return request


def cancel(
    session: Session, *, request_id: int, requester: str, executors: Executors, now: datetime
) -> ApprovalRequest:
    request = get_request(session, request_id, lock=True)
    if request.requester != requester:
        raise NotAllowed("Only the person who asked can cancel this request.")
    if request.state is not ApprovalState.PENDING:
        raise InvalidState(f"This request was already {state_words(request.state)}; nothing was changed.")
    request.state = ApprovalState.CANCELLED
    request.decided_by = requester
    request.decided_at = now
    _audit(session, request, "approval.cancelled", actor=requester, now=now)
    _run_closed_hook(session, request, executors, now=now)
    _closed(session, request, now=now)
    return request


def expire_due(session: Session, *, executors: Executors, now: datetime) -> int:
    """Pending requests past their time end as expired (a scheduled job)."""
    due = session.scalars(
        select(ApprovalRequest)
        .where(ApprovalRequest.state == ApprovalState.PENDING, ApprovalRequest.expires_at <= now)
        .order_by(ApprovalRequest.id)
        .with_for_update(skip_locked=True)
    ).all()
    for request in due:
        request.state = ApprovalState.EXPIRED
        request.decided_at = now
        _audit(session, request, "approval.expired", actor="deskops", now=now)
        _run_closed_hook(session, request, executors, now=now)
        _closed(session, request, now=now)
    return len(due)


def remind_due(session: Session, *, reminder_hours: Sequence[int], now: datetime) -> int:
    """Re-notify the approvers in the thread of requests nobody decided (1 h, 3 h, 9 h…)."""
    pending = session.scalars(
        select(ApprovalRequest)
        .where(
            ApprovalRequest.state == ApprovalState.PENDING,
            ApprovalRequest.expires_at > now,
            ApprovalRequest.reminders_sent < len(reminder_hours),
        )
        .order_by(ApprovalRequest.id)
        .with_for_update(skip_locked=True)
    ).all()
    sent = 0
    for request in pending:
        due_at = request.created_at + timedelta(hours=reminder_hours[request.reminders_sent])
        if due_at > now:
            continue
        # One reminder per run, even after a long outage: the approvers need one nudge, not three.
        while (
            request.reminders_sent < len(reminder_hours)
            and request.created_at + timedelta(hours=reminder_hours[request.reminders_sent]) <= now
        ):
            request.reminders_sent += 1
        enqueue(
            session,
            kind=ApprovalJob.THREAD,
            payload={"request_id": request.id, "note": ThreadNote.REMINDER.value},
            now=now,
            dedupe_key=f"approval-reminder:{request.id}:{request.reminders_sent}",
        )
        sent += 1
    return sent


# --- reading ---------------------------------------------------------------------------------


def pending_requests(
    session: Session,
    *,
    now: datetime,
    requester: str | None = None,
    not_requester: str | None = None,
    limit: int = 10,
) -> tuple[list[ApprovalRequest], int]:
    """Pending requests, oldest first (e.g. those `not_requester` may decide), and how many in all."""
    conditions = [ApprovalRequest.state == ApprovalState.PENDING, ApprovalRequest.expires_at > now]
    if requester is not None:
        conditions.append(ApprovalRequest.requester == requester)
    if not_requester is not None:
        conditions.append(ApprovalRequest.requester != not_requester)
    total = session.scalar(select(func.count()).select_from(ApprovalRequest).where(*conditions)) or 0
    rows = session.scalars(
        select(ApprovalRequest).where(*conditions).order_by(ApprovalRequest.created_at).limit(limit)
    ).all()
    return list(rows), int(total)


def state_words(state: ApprovalState) -> str:
    return {
        ApprovalState.PENDING: "waiting for approval",
        ApprovalState.APPROVED: "approved",
        ApprovalState.FAILED: "approved (but it could not be done)",
        ApprovalState.REJECTED: "rejected",
        ApprovalState.CANCELLED: "cancelled",
        ApprovalState.EXPIRED: "expired",
    }[state]


# --- internals -------------------------------------------------------------------------------


def _error_text(error: DomainError) -> str:
    if isinstance(error, FieldErrors):
        return " ".join(error.errors.values())
    return str(error)


def _run_closed_hook(
    session: Session, request: ApprovalRequest, executors: Executors, *, now: datetime
) -> None:
    registered = executors.get(request.kind)
    if registered is not None and registered.on_closed is not None:
        registered.on_closed(session, request, request.state, now)


def _closed(session: Session, request: ApprovalRequest, *, now: datetime) -> None:
    """The request is decided: update its messages in place and say so in its thread."""
    enqueue(
        session,
        kind=ApprovalJob.REFRESH,
        payload={"request_id": request.id},
        now=now,
        dedupe_key=f"approval-refresh:{request.id}:{request.state.value}",
    )
    enqueue(
        session,
        kind=ApprovalJob.THREAD,
        payload={"request_id": request.id, "note": ThreadNote.DECIDED.value},
        now=now,
        dedupe_key=f"approval-decided:{request.id}",
    )


def _audit(
    session: Session,
    request: ApprovalRequest,
    action: str,
    *,
    actor: str,
    now: datetime,
    outcome: str | None = None,
) -> None:
    details: dict[str, Any] = {"request_id": request.id, "kind": request.kind, "state": request.state.value}
    if outcome:
        details["outcome"] = outcome[:500]
    record(
        session,
        actor=actor,
        action=action,
        target=request.summary[:400],
        now=now,
        customer_id=request.customer_id,
        details=details,
    )
