"""The App Home tab: a person's dashboard — approvals waiting for them, their own requests,
invitations expiring soon, users pending activation and their recent actions, with the same
buttons as the channel messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.approvals import asked_by, cancel_button, decide_buttons
from blocks.backup.ids import ActionId
from blocks.backup.metadata import UserRef
from blocks.reminders import invitation_blocks
from blocks.text import escape, mrkdwn, plain, slack_date
from bot.accounts.summary import UserSummary
from bot.approvals.summary import ApprovalSummary
from bot.reminders.service import InvitationReminder

VIEW_BLOCKS_MAX = 100


@dataclass(frozen=True)
class RecentAction:
    action: str
    target: str
    at: datetime


@dataclass(frozen=True)
class HomeContent:
    """What one person's Home tab shows; lists hold the first few, totals count them all."""

    allowed: bool  # in HELPDESK_USERS
    approver: bool = False  # in APPROVERS, with approvals on
    to_decide: Sequence[ApprovalSummary] = ()
    to_decide_total: int = 0
    my_requests: Sequence[ApprovalSummary] = ()
    my_requests_total: int = 0
    expiring: Sequence[InvitationReminder] = ()
    expiring_total: int = 0
    expiring_window_hours: int = 48
    pending: Sequence[UserSummary] = ()
    pending_total: int = 0
    recent: Sequence[RecentAction] = field(default_factory=list)
    notice: str | None = None


ACTION_WORDS = {
    "user.created": "added backup user",
    "user.activation_sent": "sent activation e-mail to",
    "user.activated": "activated",
    "service.assigned": "assigned Backup to",
    "service.settings_changed": "changed Backup settings of",
    "user.provisioning_retried": "retried platform set-up of",
    "approval.requested": "asked for approval:",
    "approval.approved": "approved",
    "approval.rejected": "rejected",
    "approval.cancelled": "cancelled the request",
    "invitation.resent": "resent the invitation to",
    "invitation.extended": "extended the invitation of",
    "invitation.revoked": "revoked the invitation of",
    "invitations.batch_created": "sent invitations:",
}


def _more(shown: int, total: int) -> list[Block]:
    return [ContextBlock(elements=[mrkdwn(f"and {total - shown:,} more")])] if total > shown else []


def _approvals(content: HomeContent) -> list[Block]:
    blocks: list[Block] = []
    if content.approver:
        blocks += [
            DividerBlock(),
            SectionBlock(text=mrkdwn(f"*Waiting for your approval* ({content.to_decide_total:,})")),
        ]
        if not content.to_decide:
            blocks.append(ContextBlock(elements=[mrkdwn("Nothing waits for you.")]))
        for item in content.to_decide:
            blocks.append(
                SectionBlock(
                    text=mrkdwn(
                        f"*{escape(item.summary)}*\nasked by {asked_by(item.requester)} {slack_date(item.created_at)}"
                        f" · expires {slack_date(item.expires_at)}"
                    )
                )
            )
            blocks.append(decide_buttons(item, block_id=f"decide-{item.id}"))
        blocks += _more(len(content.to_decide), content.to_decide_total)
    if content.my_requests:
        blocks += [
            DividerBlock(),
            SectionBlock(
                text=mrkdwn(f"*Your requests waiting for approval* ({content.my_requests_total:,})")
            ),
        ]
        for item in content.my_requests:
            blocks.append(
                SectionBlock(
                    text=mrkdwn(f"*{escape(item.summary)}*\nasked {slack_date(item.created_at)}"),
                    accessory=cancel_button(item),
                )
            )
        blocks += _more(len(content.my_requests), content.my_requests_total)
    return blocks


def _helpdesk(content: HomeContent) -> list[Block]:
    blocks: list[Block] = [
        DividerBlock(),
        SectionBlock(
            text=mrkdwn(
                f"*Invitations expiring within {content.expiring_window_hours} hours* ({content.expiring_total:,})"
            )
        ),
    ]
    if not content.expiring:
        blocks.append(ContextBlock(elements=[mrkdwn("No invitation expires soon.")]))
    for invitation in content.expiring:
        blocks += invitation_blocks(invitation)
    blocks += _more(len(content.expiring), content.expiring_total)
    blocks += [
        DividerBlock(),
        SectionBlock(text=mrkdwn(f"*Users pending activation* ({content.pending_total:,})")),
    ]
    if not content.pending:
        blocks.append(ContextBlock(elements=[mrkdwn("Nobody is waiting for activation.")]))
    for user in content.pending:
        sent = (
            f" · activation e-mail sent {slack_date(user.activation_sent_at)}"
            if user.activation_sent_at
            else ""
        )
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    f"*{escape(user.full_name)}* · {escape(user.email)} · {escape(user.customer)}\n"
                    f"added {slack_date(user.created_at)}{sent}"
                ),
                # Activate whether or not an e-mail went before (DESIGN §1); the line says when.
                accessory=ButtonElement(
                    text=plain("Activate", 75),
                    action_id=ActionId.ACTIVATE,
                    value=UserRef(user_id=user.id).model_dump_json(),
                ),
            )
        )
    blocks += _more(len(content.pending), content.pending_total)
    blocks += [DividerBlock(), SectionBlock(text=mrkdwn("*Your recent actions*"))]
    lines = [
        f"• {ACTION_WORDS.get(r.action, r.action)} {escape(r.target)} · {slack_date(r.at)}"
        for r in content.recent
    ]
    blocks.append(
        SectionBlock(text=mrkdwn("\n".join(lines)))
        if lines
        else ContextBlock(elements=[mrkdwn("Nothing yet.")])
    )
    return blocks


def home_view(content: HomeContent) -> View:
    blocks: list[Block] = [HeaderBlock(text=plain("deskops helpdesk", 150))]
    if content.notice:
        blocks.append(SectionBlock(text=mrkdwn(f":information_source: {escape(content.notice)}")))
    if content.allowed:
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    "`/backup add` to add a backup user · `/backup users` to list a customer's users · "
                    "`/enroll invite` to invite devices · `/backup help`"
                )
            )
        )
    elif not content.approver:
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    "You are not in the helpdesk yet. Ask a deskops administrator to add you to HELPDESK_USERS."
                )
            )
        )
        return View(type="home", blocks=blocks)
    blocks += _approvals(content)
    if content.allowed:
        blocks += _helpdesk(content)
    if len(blocks) > VIEW_BLOCKS_MAX:
        blocks = [
            *blocks[: VIEW_BLOCKS_MAX - 1],
            ContextBlock(elements=[mrkdwn("(and more: see the channels)")]),
        ]
    return View(type="home", blocks=blocks)
