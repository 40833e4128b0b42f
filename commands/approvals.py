"""Approve / Reject (with a reason) / Cancel on approval requests: in APPROVALS_CHANNEL, in the
requester's direct message and on App Home."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_sdk import WebClient

from blocks.approvals import ActionId, ApprovalRef, BlockId, CallbackId, reject_modal
from bot.approvals.models import ApprovalState
from bot.approvals.service import approve, cancel, check_can_decide, reject
from bot.approvals.summary import summarize
from bot.deps import Deps
from bot.slack.access import is_approver
from commands.errors import answers_errors
from commands.replies import tell_person
from commands.state import ViewState, carried
from commands.submissions import answer_submission

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, only approvers can decide approval requests. "
    "Ask a deskops administrator to add you (or your user group) to APPROVERS."
)


def require_approver(
    body: dict[str, Any], context: BoltContext, deps: Deps, next: Callable[[], None]
) -> BoltResponse | None:
    """Let APPROVERS through; tell anyone else, and run no listener (the returned response is the ack)."""
    if is_approver(deps.approvers, context.user_id):
        next()
        return None
    log.info("refused an approval decision to %s: not in APPROVERS", context.user_id)
    try:
        tell_person(REFUSAL, body=body, context=context, client=deps.slack, deps=deps)
    except Exception:
        log.exception("could not tell %s they are not an approver", context.user_id)
    return BoltResponse(status=200, body="")


def _ref(body: dict[str, Any]) -> ApprovalRef:
    return carried(ApprovalRef, body["actions"][0].get("value"))


@answers_errors
def approve_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    ref = _ref(body)
    with deps.db.transaction() as session:
        request = approve(
            session,
            request_id=ref.request_id,
            approver=str(context.user_id),
            executors=deps.executors,
            now=deps.clock.now(),
        )
        summary, state, outcome = request.summary, request.state, request.outcome
    if state is ApprovalState.FAILED:
        text = f"You approved “{summary}”, but it could not be done: {outcome}"
    else:
        text = f"You approved “{summary}”." + (f" {outcome}" if outcome else "")
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def reject_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    ref = _ref(body)
    with deps.db.read() as session:
        request = check_can_decide(
            session, request_id=ref.request_id, approver=str(context.user_id), now=deps.clock.now()
        )
        summary = summarize(session, request, approvals_channel=deps.settings.approvals_channel)
    client.views_open(trigger_id=body["trigger_id"], view=reject_modal(summary))


def reject_submitted(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    ref = carried(ApprovalRef, view.get("private_metadata"))
    reason = ViewState(view).text(BlockId.REASON) or ""

    def run() -> dict[str, Any] | None:
        with deps.db.transaction() as session:
            reject(
                session,
                request_id=ref.request_id,
                approver=str(context.user_id),
                reason=reason,
                executors=deps.executors,
                now=deps.clock.now(),
            )
        return None

    answer_submission(ack, view, run)


@answers_errors
def cancel_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    ref = _ref(body)
    with deps.db.transaction() as session:
        request = cancel(
            session,
            request_id=ref.request_id,
            requester=str(context.user_id),
            executors=deps.executors,
            now=deps.clock.now(),
        )
        summary = request.summary
    tell_person(f"Cancelled your request “{summary}”.", body=body, context=context, client=client, deps=deps)


def register(app: App) -> None:
    approvers = [require_approver]
    app.action(ActionId.APPROVE, middleware=approvers)(approve_clicked)
    app.action(ActionId.REJECT, middleware=approvers)(reject_clicked)
    app.view(CallbackId.REJECT, middleware=approvers)(reject_submitted)
    app.action(ActionId.CANCEL)(cancel_clicked)
