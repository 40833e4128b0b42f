"""Approval requests in Slack: the message in APPROVALS_CHANNEL, the requester's message, thread
replies, the Reject reason modal and the "sent for approval" state of a modal."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.text import FIELD_TEXT_MAX, escape, mention, mrkdwn, plain, slack_date
from bot.approvals.fields import REASON_MAX, Field
from bot.approvals.models import ApprovalState
from bot.approvals.summary import ApprovalSummary
from bot.config import SLACK_USER_ID

FIELDS_MAX = 10


class ActionId(StrEnum):
    APPROVE = "approvals.approve"
    REJECT = "approvals.reject"
    CANCEL = "approvals.cancel"


class CallbackId(StrEnum):
    REJECT = "approvals.reject"
    SENT = "approvals.sent"


class BlockId(StrEnum):
    DECIDE = "decide"


class ApprovalRef(BaseModel):
    """The value of Approve / Reject / Cancel, and the Reject modal's private_metadata."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    request_id: int


def _ref(approval: ApprovalSummary) -> str:
    return ApprovalRef(request_id=approval.id).model_dump_json()


def asked_by(requester: str) -> str:
    """Who asked: a mention of the person, or (for requests raised by deskops itself, such as the
    device-enrollment callback) their name as plain text."""
    return mention(requester) if SLACK_USER_ID.match(requester) else escape(requester)


def principal_mention(principal: str) -> str:
    """A user id (U…) or user-group id (S…) as a mention."""
    return f"<!subteam^{principal}>" if principal.startswith("S") else mention(principal)


def outcome_line(approval: ApprovalSummary) -> str:
    """Where the request stands, in one mrkdwn line naming who decided and when."""
    when = slack_date(approval.decided_at) if approval.decided_at else ""
    by = mention(approval.decided_by) if approval.decided_by else "someone"
    match approval.state:
        case ApprovalState.PENDING:
            return (
                f":hourglass_flowing_sand: *Waiting for approval* (asked {slack_date(approval.created_at)}, "
                f"expires {slack_date(approval.expires_at)})"
            )
        case ApprovalState.APPROVED:
            done = f" {escape(approval.outcome)}" if approval.outcome else ""
            return f":white_check_mark: *Approved* by {by} on {when}.{done}"
        case ApprovalState.FAILED:
            why = escape(approval.outcome or "the action failed")
            return f":warning: *Approved* by {by} on {when}, but it could not be done: {why}"
        case ApprovalState.REJECTED:
            return f":x: *Rejected* by {by} on {when}: “{escape(approval.reason or '')}”"
        case ApprovalState.CANCELLED:
            return f":heavy_multiplication_x: *Cancelled* by the requester on {when}."
        case ApprovalState.EXPIRED:
            return (
                f":hourglass: *Expired* on {when}: nobody decided in time. Ask again if it is still needed."
            )


def _context_fields(approval: ApprovalSummary) -> list[str]:
    fields = [f"*Requested by*\n{asked_by(approval.requester)}"]
    if approval.customer:
        fields.append(f"*Customer*\n{escape(approval.customer)}")
    fields += [f"*{escape(label)}*\n{escape(value)}" for label, value in approval.details]
    return [f if len(f) <= FIELD_TEXT_MAX else f[: FIELD_TEXT_MAX - 1] + "…" for f in fields]


def approval_message(approval: ApprovalSummary) -> list[Block]:
    """The request in APPROVALS_CHANNEL: full context, and Approve / Reject while it is pending."""
    fields = _context_fields(approval)
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"Approval: {approval.title}", 150)),
        SectionBlock(text=mrkdwn(f"*{escape(approval.summary)}*")),
        SectionBlock(fields=[mrkdwn(f) for f in fields[:FIELDS_MAX]]),
    ]
    if len(fields) > FIELDS_MAX:
        blocks.append(SectionBlock(text=mrkdwn("\n".join(fields[FIELDS_MAX:]))))
    blocks.append(SectionBlock(text=mrkdwn(outcome_line(approval))))
    if approval.state is ApprovalState.PENDING:
        blocks.append(decide_buttons(approval))
    return blocks


def decide_buttons(approval: ApprovalSummary, *, block_id: str = BlockId.DECIDE) -> ActionsBlock:
    return ActionsBlock(
        block_id=block_id,
        elements=[
            ButtonElement(
                text=plain("Approve", 75), action_id=ActionId.APPROVE, value=_ref(approval), style="primary"
            ),
            ButtonElement(
                text=plain("Reject", 75), action_id=ActionId.REJECT, value=_ref(approval), style="danger"
            ),
        ],
    )


def cancel_button(approval: ApprovalSummary) -> ButtonElement:
    return ButtonElement(text=plain("Cancel request", 75), action_id=ActionId.CANCEL, value=_ref(approval))


def approval_text(approval: ApprovalSummary) -> str:
    """The notification text of the approvals message."""
    # Notification texts are mrkdwn as well: what people typed into the summary stays text.
    if approval.state is ApprovalState.PENDING:
        return f"Approval needed: {escape(approval.summary)}"
    return f"{approval.state.value.capitalize()}: {escape(approval.summary)}"


def requester_message(approval: ApprovalSummary) -> list[Block]:
    """The requester's direct message: waiting (with Cancel), then the outcome, updated in place."""
    where = f" in <#{approval.approvals_channel}>" if approval.approvals_channel else ""
    if approval.state is ApprovalState.PENDING:
        return [
            SectionBlock(
                text=mrkdwn(
                    f":hourglass_flowing_sand: *Waiting for approval:* {escape(approval.summary)}\n"
                    f"The request is with the approvers{where}; you will see their decision here."
                ),
                accessory=cancel_button(approval),
            )
        ]
    return [
        SectionBlock(text=mrkdwn(f"*{escape(approval.summary)}*")),
        SectionBlock(text=mrkdwn(outcome_line(approval))),
    ]


def requester_text(approval: ApprovalSummary) -> str:
    if approval.state is ApprovalState.PENDING:
        return f"Waiting for approval: {escape(approval.summary)}"
    return f"{approval.state.value.capitalize()}: {escape(approval.summary)}"


def decided_reply(approval: ApprovalSummary) -> str:
    """The thread reply telling the requester what was decided."""
    return f"{asked_by(approval.requester)} {outcome_line(approval)}"


def reminder_reply(approval: ApprovalSummary, approvers: Sequence[str]) -> str:
    """The thread reply re-notifying the approvers of a request nobody decided yet."""
    who = " ".join(principal_mention(p) for p in approvers[:20])
    return (
        f"{who} :bell: Still waiting for a decision on this request (asked "
        f"{slack_date(approval.created_at)}; it expires {slack_date(approval.expires_at)})."
    ).strip()


def reject_modal(approval: ApprovalSummary) -> View:
    return View(
        type="modal",
        callback_id=CallbackId.REJECT,
        private_metadata=_ref(approval),
        title=plain("Reject request", 24),
        submit=plain("Reject", 24),
        close=plain("Cancel", 24),
        blocks=[
            SectionBlock(
                text=mrkdwn(f"*{escape(approval.summary)}*\nAsked by {asked_by(approval.requester)}")
            ),
            InputBlock(
                block_id=Field.REASON,
                label=plain("Reason", 2000),
                hint=plain("The requester reads this in the request's thread.", 2000),
                element=PlainTextInputElement(
                    action_id=Field.REASON,
                    multiline=True,
                    max_length=REASON_MAX,
                    placeholder=plain("What is wrong, or what should change?", 150),
                ),
            ),
        ],
    )


def sent_for_approval_modal(*, title: str, summary: str, approvals_channel: str | None) -> View:
    """What a modal turns into when its action waits for approval (Done closes the whole stack)."""
    where = f" in <#{approvals_channel}>" if approvals_channel else ""
    return View(
        type="modal",
        callback_id=CallbackId.SENT,
        title=plain(title, 24),
        close=plain("Done", 24),
        clear_on_close=True,
        blocks=[
            SectionBlock(
                text=mrkdwn(
                    f":hourglass_flowing_sand: *Sent for approval*\n{escape(summary)}\n\n"
                    f"This needs an approver's OK. The request is waiting{where}; you will get a direct "
                    "message when it is decided, and you can cancel it there or on the app's Home tab."
                )
            ),
            ContextBlock(elements=[mrkdwn("Nothing has been done yet.")]),
        ],
    )
