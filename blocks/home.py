"""The App Home tab: what the helpdesk person needs to see when they open the app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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

from blocks.backup.ids import ActionId
from blocks.backup.metadata import UserRef
from blocks.text import escape, mrkdwn, plain, slack_date
from bot.accounts.summary import UserSummary


@dataclass(frozen=True)
class RecentAction:
    action: str
    target: str
    at: datetime


ACTION_WORDS = {
    "user.created": "added backup user",
    "user.activation_sent": "sent activation e-mail to",
    "user.activated": "activated",
    "service.assigned": "assigned Backup to",
    "service.settings_changed": "changed Backup settings of",
    "user.provisioning_retried": "retried platform set-up of",
}


def home_view(
    *,
    allowed: bool,
    pending: Sequence[UserSummary],
    pending_total: int,
    recent: Sequence[RecentAction],
    notice: str | None = None,
) -> View:
    blocks: list[Block] = [HeaderBlock(text=plain("deskops helpdesk", 150))]
    if notice:
        blocks.append(SectionBlock(text=mrkdwn(f":information_source: {escape(notice)}")))
    if not allowed:
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    "You are not in the helpdesk yet. Ask a deskops administrator to add you to HELPDESK_USERS."
                )
            )
        )
        return View(type="home", blocks=blocks)
    blocks.append(
        SectionBlock(
            text=mrkdwn(
                "`/backup add` to add a backup user · `/backup users` to list a customer's users · `/backup help`"
            )
        )
    )
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=mrkdwn(f"*Users pending activation* ({pending_total:,})")))
    if not pending:
        blocks.append(ContextBlock(elements=[mrkdwn("Nobody is waiting for activation.")]))
    for user in pending:
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    f"*{escape(user.full_name)}* · {escape(user.email)} · {escape(user.customer)}\n"
                    f"added {slack_date(user.created_at)}"
                ),
                accessory=ButtonElement(
                    text=plain("Resend activation" if user.activation_sent_at else "Activate", 75),
                    action_id=ActionId.ACTIVATE,
                    value=UserRef(user_id=user.id).model_dump_json(),
                ),
            )
        )
    if pending_total > len(pending):
        blocks.append(ContextBlock(elements=[mrkdwn(f"and {pending_total - len(pending):,} more")]))
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=mrkdwn("*Your recent actions*")))
    if not recent:
        blocks.append(ContextBlock(elements=[mrkdwn("Nothing yet.")]))
    lines = [
        f"• {ACTION_WORDS.get(r.action, r.action)} {escape(r.target)} · {slack_date(r.at)}" for r in recent
    ]
    if lines:
        blocks.append(SectionBlock(text=mrkdwn("\n".join(lines))))
    return View(type="home", blocks=blocks[:100])
