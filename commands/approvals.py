"""Approve / Reject (with a reason) / Cancel on approval requests: in APPROVALS_CHANNEL, in the
requester's direct message and on App Home."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_sdk import WebClient

from blocks.approvals import ActionId, ApprovalRef, CallbackId, reject_modal
from bot.approvals.decisions import Decide, approve_request, cancel_request, reject_request, rejection_form
from bot.approvals.fields import Field
from bot.approvals.models import ApprovalState
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


def _decide(body: dict[str, Any], context: BoltContext) -> Decide:
    return Decide(carried(ApprovalRef, body["actions"][0].get("value")).request_id, str(context.user_id))


@answers_errors
def approve_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    decision = approve_request(
        deps.db, _decide(body, context), executors=deps.executors, now=deps.clock.now()
    )
    if decision.state is ApprovalState.FAILED:
        text = f"You approved “{decision.summary}”, but it could not be done: {decision.outcome}"
    else:
        text = f"You approved “{decision.summary}”." + (f" {decision.outcome}" if decision.outcome else "")
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def reject_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    summary = rejection_form(
        deps.db,
        _decide(body, context),
        approvals_channel=deps.settings.approvals_channel,
        now=deps.clock.now(),
    )
    client.views_open(trigger_id=body["trigger_id"], view=reject_modal(summary))


def reject_submitted(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    command = Decide(carried(ApprovalRef, view.get("private_metadata")).request_id, str(context.user_id))
    reason = ViewState(view).text(Field.REASON) or ""

    def run() -> dict[str, Any] | None:
        reject_request(deps.db, command, reason=reason, executors=deps.executors, now=deps.clock.now())
        return None

    answer_submission(ack, view, run)


@answers_errors
def cancel_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    decision = cancel_request(deps.db, _decide(body, context), executors=deps.executors, now=deps.clock.now())
    tell_person(
        f"Cancelled your request “{decision.summary}”.", body=body, context=context, client=client, deps=deps
    )


def register(app: App) -> None:
    approvers = [require_approver]
    app.action(ActionId.APPROVE, middleware=approvers)(approve_clicked)
    app.action(ActionId.REJECT, middleware=approvers)(reject_clicked)
    app.view(CallbackId.REJECT, middleware=approvers)(reject_submitted)
    app.action(ActionId.CANCEL)(cancel_clicked)
